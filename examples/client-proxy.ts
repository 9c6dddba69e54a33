/*
Client mode by hand: our standard input and output linked to a remote server that reconnects, with every request answered within a minute.
*/
import {
	bearerToken, guardRequests, link, pipeTransport, processStdio, reconnect, remote,
} from 'rx-mcp-proxy';

const upstream = pipeTransport(
	remote({url: 'https://example.com/mcp', auth: bearerToken('your-token')}),
	reconnect({initialDelay: 1000, maxDelay: 60_000}),
	guardRequests({timeout: 60_000}),
);
link(processStdio(), upstream).subscribe();
