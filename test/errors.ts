/*
The error classes' facts and the helpers that read errors (source/errors.ts): each class's name and JSON-RPC code, a cause found down the chain, a readable message with its causes, and the wording of every size limit.
*/
import test from 'ava';
import {
	AuthError, ChildExitError, ConnectError, describeError, errorCodes, hasCause, HttpError, LimitError, McpProxyError, MessageTooLargeError, ProtocolError,
	RedirectError, SessionExpiredError, SignInError, SpawnError, TimeoutError, tooLargeMessage, TransportError, UnsupportedTransportError, UsageError,
} from '../source/errors.js';

test('each error is an McpProxyError with its own name, and answers a request with its JSON-RPC code', t => {
	const rows: Array<[Error & {rpcCode: number}, string, number]> = [
		[new McpProxyError('x'), 'McpProxyError', errorCodes.internalError],
		[new UsageError('x'), 'UsageError', errorCodes.internalError],
		[new TransportError('x'), 'TransportError', errorCodes.connectionClosed],
		[new SpawnError('x', 'node'), 'SpawnError', errorCodes.connectionClosed],
		[new ProtocolError('x'), 'ProtocolError', errorCodes.invalidRequest],
		[new TimeoutError('x'), 'TimeoutError', errorCodes.requestTimeout],
		[new AuthError('x'), 'AuthError', errorCodes.connectionClosed],
		[new SignInError('x'), 'SignInError', errorCodes.connectionClosed],
		[new SessionExpiredError('x'), 'SessionExpiredError', errorCodes.connectionClosed],
		[new ConnectError('x'), 'ConnectError', errorCodes.connectionClosed],
	];
	for (const [error, name, code] of rows) {
		t.true(error instanceof McpProxyError, `${name}`);
		t.is(error.name, name);
		t.is(error.rpcCode, code, `${name}`);
	}

	t.true(new SignInError('x') instanceof AuthError);
	t.is(new SpawnError('x', 'node').command, 'node');
	t.deepEqual(new ConnectError('x').unsent, []);
	for (const type of [ChildExitError, HttpError, RedirectError, UnsupportedTransportError, LimitError, MessageTooLargeError]) {
		t.true(type.prototype instanceof McpProxyError, `${type.name}`);
	}
});

test('hasCause finds a type anywhere in the first ten of the chain', t => {
	const deep = (levels: number) => {
		let error: Error = new AuthError('root');
		for (let level = 0; level < levels; level++) {
			error = new Error(`wrapper ${level}`, {cause: error});
		}

		return error;
	};

	t.true(hasCause(new AuthError('x'), AuthError));
	t.true(hasCause(deep(9), AuthError));
	t.false(hasCause(deep(10), AuthError), 'past the walk');
	t.true(hasCause(new SignInError('x'), AuthError), 'a subclass counts');
	t.false(hasCause(new TransportError('x'), AuthError));
	t.false(hasCause('AuthError', AuthError));
	t.false(hasCause(undefined, AuthError));
});

test('describeError: the message with each cause that adds something, four deep at most', t => {
	const rows: Array<[unknown, string]> = [
		['plain', 'plain'],
		[42, '42'],
		[new Error('fetch failed', {cause: new Error('connect ECONNREFUSED')}), 'fetch failed: connect ECONNREFUSED'],
		[new Error('It broke.', {cause: new Error('why')}), 'It broke. (why)'],
		[new Error('lost: reset', {cause: new Error('reset')}), 'lost: reset'],
		[new Error('a', {cause: new Error('b', {cause: new Error('c', {cause: new Error('d', {cause: new Error('e', {cause: new Error('f')})})})})}), 'a: b: c: d: e'],
		[new Error('a', {cause: 'not an error'}), 'a'],
	];
	for (const [error, text] of rows) {
		t.is(describeError(error), text);
	}
});

test('a size limit is worded one way everywhere: what, its size when known, the limit, how to raise it', t => {
	t.is(tooLargeMessage('The request', 100, 250, 'raise it with --max-message-bytes'), 'The request (250 bytes) exceeds the proxy\'s limit of 100 bytes (raise it with --max-message-bytes)');
	t.is(tooLargeMessage('An event', 100, undefined, 'a fixed limit'), 'An event exceeds the proxy\'s limit of 100 bytes (a fixed limit)');
});
