/*
Stop gracefully: on SIGTERM, or when standard input ends, the requests already sent are answered before the session closes.
*/
import process from 'node:process';
import {fromEvent} from 'rxjs';
import {
	closeWhen, drainOnEnd, guardRequests, link, pipeTransport, processStdio, remote,
} from 'rx-mcp-proxy';

const stop$ = fromEvent(process, 'SIGTERM');
link(processStdio(), pipeTransport(
	remote({url: 'https://example.com/mcp'}),
	guardRequests(),
	closeWhen(stop$),
	drainOnEnd({grace: 10_000}),
)).subscribe();
