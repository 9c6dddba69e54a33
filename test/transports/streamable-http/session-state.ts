import test from 'ava';
import {
	ConnectError, SessionExpiredError, TransportError, UnsupportedTransportError,
} from '../../../source/errors.js';
import {
	createSessionState,
	expired,
	requestHeaders,
	sessionEvents,
	step,
	type SessionEffect,
	type SessionEvent,
	type SessionState,
} from '../../../source/transports/streamable-http/session-state.js';
import type {Message} from '../../../source/types.js';
import {attachForwardedHeaders} from '../../../source/wire/modern.js';

/*
The session's step, without sockets or timers: given events, the effects and the state after.
*/

const initialize: Message = {
	jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
};
const initialized: Message = {jsonrpc: '2.0', method: 'notifications/initialized'};
const initializeResult: Message = {jsonrpc: '2.0', id: 0, result: {protocolVersion: '2025-06-18', capabilities: {}, serverInfo: {name: 's', version: '1'}}};
const initializeError: Message = {jsonrpc: '2.0', id: 0, error: {code: -32_602, message: 'no'}};
const call = (id: number): Message => ({
	jsonrpc: '2.0', id, method: 'tools/call', params: {name: 'echo', arguments: {}},
});
const cancel = (requestId: number): Message => ({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId}});
const answer: Message = {jsonrpc: '2.0', id: 'srv-1', result: {roots: []}};

const send = (message: Message): SessionEvent => ({type: 'send', message});
const receive = (message: Message): SessionEvent => ({type: 'receive', message});
const connectRefused = (message?: Message): SessionEvent => ({
	type: 'refused', end: {kind: 'connect', text: 'Cannot connect to http://x/mcp: ECONNREFUSED', cause: undefined}, ...(message ? {message} : {}),
});

function run(events: SessionEvent[], state: SessionState = createSessionState({getStreamTimeout: 5000})): {state: SessionState; effects: SessionEffect[][]} {
	return {state, effects: events.map(event => step(state, event))};
}

/**
A session initialized with id `s1` whose GET stream is open.
*/
function open(): SessionState {
	const {state} = run([send(initialize), {type: 'session-assigned', sessionId: 's1'}, receive(initializeResult), sessionEvents.getStreamSettled]);
	return state;
}

test('requests are POSTed on their own, notifications and answers in the answer lane', t => {
	const {effects} = run([send(call(1)), send(initialized), send(answer)]);
	t.deepEqual(effects, [
		[{type: 'post', message: call(1), lane: 'request'}],
		[{type: 'post', message: initialized, lane: 'answer'}],
		[{type: 'post', message: answer, lane: 'answer'}],
	]);
});

test('initialize: what follows is held until the answer, then until the GET stream opens; the negotiated version is kept', t => {
	const {state, effects} = run([
		send(initialize),
		send(initialized),
		{type: 'session-assigned', sessionId: 's1'},
		receive(initializeResult),
		send(call(1)),
		sessionEvents.getStreamSettled,
	]);
	t.deepEqual(effects, [
		[{type: 'post', message: initialize, lane: 'request'}],
		[],
		[],
		[
			{type: 'deliver', message: initializeResult},
			{type: 'open-get-stream'},
			{type: 'start-timer', timer: 'get-stream-wait', delay: 5000},
		],
		[],
		[
			{type: 'cancel-timer', timer: 'get-stream-wait'},
			{type: 'post', message: initialized, lane: 'answer'},
			{type: 'post', message: call(1), lane: 'request'},
		],
	]);
	t.like(state, {
		sessionId: 's1', protocolVersion: '2025-06-18', initializeId: undefined, held: undefined, awaitingGetStream: false,
	});
});

test('a GET stream that does not open in time lets the held messages go, with a warning; settling later changes nothing', t => {
	const state = createSessionState({getStreamTimeout: 300});
	run([send(initialize), receive(initializeResult), send(initialized)], state);
	const {effects} = run([sessionEvents.getStreamTimeout, sessionEvents.getStreamSettled], state);
	t.deepEqual(effects, [
		[
			{type: 'log', level: 'warning', text: 'The GET stream did not open within 300 ms; carrying on without waiting for it'},
			{type: 'post', message: initialized, lane: 'answer'},
		],
		[],
	]);
});

test('an initialize answered with an error opens no GET stream: the held messages go at once', t => {
	const {effects} = run([send(initialize), send(call(1)), receive(initializeError)]);
	t.deepEqual(effects[2], [
		{type: 'deliver', message: initializeError},
		{type: 'post', message: call(1), lane: 'request'},
	]);
});

test('a second initialize deletes the session it leaves and starts over', t => {
	const state = open();
	const {effects} = run([send(initialize)], state);
	t.deepEqual(effects, [[
		{type: 'delete-session', sessionId: 's1', protocolVersion: '2025-06-18'},
		{type: 'post', message: initialize, lane: 'request'},
	]]);
	t.like(state, {sessionId: undefined, protocolVersion: undefined, initializeId: 0});
	t.deepEqual(state.held, []);
});

test('a cancellation is sent, and ends its request\'s exchange', t => {
	const {effects} = run([send(call(7)), send(cancel(7))], open());
	t.deepEqual(effects[1], [
		{type: 'post', message: cancel(7), lane: 'answer'},
		{type: 'abort-request', id: 7},
	]);
});

test('the session\'s headers: its id and negotiated version on every request, after the fixed and the extra ones', t => {
	t.deepEqual(requestHeaders(open(), {'x-team': 'blue'}, {accept: 'text/event-stream'}), {
		'x-team': 'blue', accept: 'text/event-stream', 'mcp-session-id': 's1', 'mcp-protocol-version': '2025-06-18',
	});
	t.deepEqual(requestHeaders(createSessionState({getStreamTimeout: 1}), {}, {accept: 'a'}), {accept: 'a'});
});

test('a refusal waits for the open POSTs, then ends the transport listing every message never processed', t => {
	const state = open();
	// Two POSTs open: call 1 (refused) and call 2 (on a connection that works).
	const {effects} = run([
		sessionEvents.postStarted,
		sessionEvents.postStarted,
		connectRefused(call(1)),
		sessionEvents.postFinished,
		send(call(3)),
		send(cancel(2)),
		send(cancel(3)),
		sessionEvents.postFinished,
		send(call(4)),
	], state);
	t.deepEqual(state.refusal?.unsent, [call(1)]);
	t.deepEqual(effects.slice(0, 2), [[], []]);
	t.deepEqual(effects[2], [{type: 'start-timer', timer: 'refusal-grace', delay: 5000}]);
	t.deepEqual(effects[3], []);
	// Sent meanwhile: kept as unsent (3); a cancellation is not, takes its request out (3) and ends an open exchange (2).
	t.deepEqual(effects.slice(4, 7), [[], [{type: 'abort-request', id: 2}], [{type: 'abort-request', id: 3}]]);
	const [cancelTimer, failure] = effects[7]!;
	t.deepEqual(cancelTimer, {type: 'cancel-timer', timer: 'refusal-grace'});
	t.is(failure!.type, 'error');
	const {error} = failure as {error: Error};
	t.true(error instanceof ConnectError);
	t.is(error.message, 'Cannot connect to http://x/mcp: ECONNREFUSED');
	t.deepEqual((error as ConnectError).unsent, [call(1)]);
	t.true(state.ended);
	t.true(state.sessionGone, 'no DELETE for a server that cannot be reached');
	t.deepEqual(effects[8], [], 'nothing after the end');
});

test('a 404 for the session: with no POST open the transport ends at once; the messages held are unsent too', t => {
	const state = createSessionState({getStreamTimeout: 5000});
	run([send(initialize), {type: 'session-assigned', sessionId: 's1'}, receive(initializeResult), send(initialized)], state);
	const {effects} = run([{type: 'refused', end: expired('s1')}], state);
	const {error} = effects[0]!.find(effect => effect.type === 'error') as {error: Error};
	t.true(error instanceof SessionExpiredError);
	t.is(error.message, 'The remote server no longer knows session s1 (HTTP 404)');
	t.deepEqual((error as SessionExpiredError).unsent, [initialized]);
});

test('the refusal grace ends the transport even with POSTs still open', t => {
	const state = open();
	run([sessionEvents.postStarted, sessionEvents.postStarted, connectRefused(call(1))], state);
	const {effects} = run([sessionEvents.refusalGraceElapsed, sessionEvents.postFinished], state);
	t.is(effects[0]!.at(-1)!.type, 'error');
	t.deepEqual(effects[1], []);
});

test('a broken connection ends the transport, unless a refusal is under way (which lists what was not processed)', t => {
	const error = new TransportError('The connection to http://x/mcp failed: socket hang up');
	t.deepEqual(run([{type: 'broken', error}], open()).effects, [[{type: 'error', error}]]);
	const refusing = open();
	run([sessionEvents.postStarted, connectRefused(call(1))], refusing);
	t.deepEqual(run([{type: 'broken', error}], refusing).effects, [[]]);
});

test('a failure that is not the session\'s end leaves the session to delete when unsubscribed; an unsupported transport does not', t => {
	const failed = open();
	run([{type: 'failed', error: new TransportError('broke')}], failed);
	t.deepEqual(step(failed, sessionEvents.unsubscribed), [{type: 'delete-session', sessionId: 's1', protocolVersion: '2025-06-18'}]);
	t.deepEqual(step(failed, sessionEvents.unsubscribed), [], 'once');
	const unsupported = open();
	run([{type: 'failed', error: new UnsupportedTransportError('HTTP 405', 405)}], unsupported);
	t.deepEqual(step(unsupported, sessionEvents.unsubscribed), []);
});

test('closing: drain, then close deleting the session once; nothing is delivered after', t => {
	const state = open();
	const {effects} = run([sessionEvents.outgoingComplete, sessionEvents.drained, sessionEvents.drained, receive(answer), sessionEvents.unsubscribed], state);
	t.deepEqual(effects, [
		[{type: 'drain'}],
		[{type: 'close', deleteSession: {sessionId: 's1', protocolVersion: '2025-06-18'}}],
		[],
		[],
		[],
	]);
});

test('an event over the limit on the GET stream is answered at once, past the session\'s order', t => {
	const {state} = run([send(initialize)]);
	const error: Message = {jsonrpc: '2.0', id: 77, error: {code: -32_003, message: 'too large'}};
	t.deepEqual(step(state, {type: 'answer-remote', message: error}), [{type: 'post', message: error, lane: 'answer'}]);
});

const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};
const modernCall = (id: number, name = 'echo', arguments_: Record<string, unknown> = {}): Message => ({
	jsonrpc: '2.0', id, method: 'tools/call', params: {name, arguments: arguments_, _meta: envelope},
});
const modernCancel = (requestId: number): Message => ({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId, _meta: envelope}});

test('a modern request is POSTed at once, even while a 2025 initialize is answered, with its own headers and no session id', t => {
	const state = open();
	t.deepEqual(requestHeaders(state, {}, {}, modernCall(5)), {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo'});
	t.deepEqual(requestHeaders(state, {}, {}, call(5)), {'mcp-session-id': 's1', 'mcp-protocol-version': '2025-06-18'});

	const {effects} = run([send(initialize), send(modernCall(1))]);
	t.deepEqual(effects[1], [{type: 'post', message: modernCall(1), lane: 'request'}]);
});

test('cancelling a modern request ends its POST and sends nothing; a 2025 request\'s cancellation is still POSTed', t => {
	const {state, effects} = run([send(modernCall(1)), send(modernCancel(1)), send(modernCall(2)), send(cancel(2)), send(call(3)), send(cancel(3))]);
	t.deepEqual(effects.slice(1), [
		[{type: 'abort-request', id: 1}],
		[{type: 'post', message: modernCall(2), lane: 'request'}],
		[{type: 'abort-request', id: 2}],
		[{type: 'post', message: call(3), lane: 'request'}],
		[{type: 'post', message: cancel(3), lane: 'answer'}, {type: 'abort-request', id: 3}],
	]);
	t.is(state.modernRequests.size, 0, 'cancelled requests are forgotten');
});

test('a modern tools/list answer is screened: invalid x-mcp-header tools left out with a warning, the declarations used by later calls', t => {
	const listTools: Message = {
		jsonrpc: '2.0', id: 1, method: 'tools/list', params: {_meta: envelope},
	};
	const good = {name: 'headers', inputSchema: {type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 'Region'}}}};
	const bad = {name: 'bad', inputSchema: {type: 'object', properties: {list: {type: 'array', items: {type: 'string', 'x-mcp-header': 'Item'}}}}};
	const {state, effects} = run([send(listTools), receive({jsonrpc: '2.0', id: 1, result: {tools: [bad, good]}})]);
	t.deepEqual(effects[1], [
		{
			type: 'log',
			level: 'warning',
			text: 'Left tool \'bad\' out of tools/list: invalid x-mcp-header declaration — list.<items>: x-mcp-header is only permitted on properties statically reachable'
				+ ' via a chain of \'properties\' keys (not under items, additionalProperties, oneOf/anyOf/allOf/not, if/then/else, or $ref)',
		},
		{type: 'deliver', message: {jsonrpc: '2.0', id: 1, result: {tools: [good]}}},
	]);
	t.deepEqual(requestHeaders(state, {}, {}, modernCall(2, 'headers', {region: 'Zürich'})), {
		'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'headers', 'mcp-param-region': '=?base64?WsO8cmljaA==?=',
	});

	const legacyList: Message = {jsonrpc: '2.0', id: 3, method: 'tools/list'};
	const legacyResult: Message = {jsonrpc: '2.0', id: 3, result: {tools: [bad]}};
	t.deepEqual(run([send(legacyList), receive(legacyResult)], state).effects[1], [{type: 'deliver', message: legacyResult}], 'a 2025 tools/list is not screened');

	const changed: Message = {jsonrpc: '2.0', id: 4, result: {tools: [{name: 'headers', inputSchema: {type: 'object'}}]}};
	run([send({...listTools, id: 4}), receive(changed)], state);
	t.false(state.toolHeaders.has('headers'), 'a tool listed again without annotations has none');
});

test('a modern message server mode took in over HTTP carries its Mcp-* headers to forward: the transport\'s own and those rebuilt from the body replace them; JSON leaves them out', t => {
	const message = modernCall(7);
	attachForwardedHeaders(message, {
		'mcp-trace-id': 't-1', 'mcp-name': 'stale', 'x-team': 'theirs', 'mcp-param-region': 'eu',
	});
	// A spread copy (the multiplexer's, as it remaps the id) keeps them.
	const remapped: Message = {...message, id: 8};
	t.deepEqual(requestHeaders(open(), {'x-team': 'ours'}, {accept: 'a'}, remapped), {
		'mcp-trace-id': 't-1',
		'mcp-param-region': 'eu',
		'x-team': 'ours',
		accept: 'a',
		'mcp-protocol-version': '2026-07-28',
		'mcp-method': 'tools/call',
		'mcp-name': 'echo',
	});
	t.false(JSON.stringify(remapped).includes('t-1'));
});
