/*
A transport is a function from the messages we send to those we receive: a whole (useless) MCP server in one expression.
*/
import {filter, map} from 'rxjs';
import {
	isRequest, link, processStdio, type Message, type Transport,
} from 'rx-mcp-proxy';

// Answers every request with an empty result: the kind of fake peer operators are tested against.
const fakeServer: Transport = outgoing$ => outgoing$.pipe(
	filter(isRequest),
	map((request): Message => ({jsonrpc: '2.0', id: request.id, result: {}})),
);

link(processStdio(), fakeServer).subscribe();
