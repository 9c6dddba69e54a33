/*
A remote server whose certificate a private CA signed: a connection pool that trusts it.
*/
import {readFileSync} from 'node:fs';
import {
	httpAgent, link, processStdio, remote,
} from 'rx-mcp-proxy';

const dispatcher = httpAgent({ca: readFileSync('corporate-ca.pem')});
link(processStdio(), remote({url: 'https://mcp.internal/mcp', dispatcher})).subscribe();
