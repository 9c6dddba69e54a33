/*
The JSON-RPC error answers owed when the remote's HTTP goes wrong (source/http/error-replies.ts), as tables: a request refused with an error status, and an event too large to read on a long-lived stream.
*/
import test from 'ava';
import {errorCodes} from '../../source/errors.js';
import {httpErrorReply, oversizeEventReply} from '../../source/http/error-replies.js';

const call = {id: 7, method: 'tools/call'};

test('an HTTP error status: the server\'s own JSON-RPC error when its body has one, else the status and the start of the body', t => {
	const ownError = '{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"bad arguments"}}';
	const gatewayPage = '<html><body><h1>502 Bad Gateway</h1></body></html>';
	const rows: Array<[string, number, string, string, number, string]> = [
		['its own error', 400, 'Bad Request', ownError, -32_602, 'The remote server refused `tools/call` (HTTP 400): bad arguments'],
		['a gateway', 502, 'Bad Gateway', gatewayPage, errorCodes.upstreamUnavailable, 'The remote server answered `tools/call` with HTTP 502 Bad Gateway: 502 Bad Gateway'],
		['unavailable, no body', 503, '', '', errorCodes.upstreamUnavailable, 'The remote server answered `tools/call` with HTTP 503'],
		['a timeout', 504, 'Gateway Timeout', '', errorCodes.upstreamUnavailable, 'The remote server answered `tools/call` with HTTP 504 Gateway Timeout'],
		['another status', 500, 'Internal Server Error', 'oops', errorCodes.internalError, 'The remote server answered `tools/call` with HTTP 500 Internal Server Error: oops'],
		['JSON without an error', 400, '', '{"message":"nope"}', errorCodes.internalError, 'The remote server answered `tools/call` with HTTP 400: {"message":"nope"}'],
	];
	for (const [name, status, statusText, body, code, message] of rows) {
		t.deepEqual(httpErrorReply(call, {status, statusText}, body), {jsonrpc: '2.0', id: 7, error: {code, message}}, `${name}`);
	}

	const withData = httpErrorReply(call, {status: 400, statusText: ''}, '{"error":{"code":-32000,"message":"m","data":{"why":1}}}');
	t.deepEqual(withData.error.data, {why: 1});
});

test('an oversized event: always a log line; an error for the remote when it was a request, for the client when a response, none when neither can be told', t => {
	const origin = 'the GET stream of http://127.0.0.1:9/mcp';
	const request = oversizeEventReply({head: '{"jsonrpc":"2.0","id":"r1","method":"sampling/createMessage","params":{"x":"', tail: '"}}'}, 100, origin, undefined);
	const skipped = 'An event on the GET stream of http://127.0.0.1:9/mcp exceeds the proxy\'s limit of 100 bytes (raise it with the `maxMessageBytes` option); it was skipped.';
	t.is(request.log, `${skipped} It began {"jsonrpc":"2.0","id":"r1","method":"sampling/createMessage","params":{"x":"`);
	const refused = 'The request exceeds the proxy\'s limit of 100 bytes (raise it with the `maxMessageBytes` option)';
	t.deepEqual(request.toRemote, {jsonrpc: '2.0', id: 'r1', error: {code: errorCodes.messageTooLarge, message: refused}});
	t.is(request.toClient, undefined);

	const response = oversizeEventReply({head: '{"jsonrpc":"2.0","id":3,"result":{"x":"', tail: '"}}'}, 100, origin, {maxMessageBytes: '--max-message-bytes'});
	const tooLarge = 'The remote server\'s answer exceeds the proxy\'s limit of 100 bytes (raise it with --max-message-bytes)';
	t.deepEqual(response.toClient, {jsonrpc: '2.0', id: 3, error: {code: errorCodes.messageTooLarge, message: tooLarge}});
	t.is(response.toRemote, undefined);

	const unknown = oversizeEventReply({head: 'garbage', tail: 'more'}, 100, origin, undefined);
	t.deepEqual(Object.keys(unknown), ['log']);
});
