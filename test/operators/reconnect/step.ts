import test from 'ava';
import {
	createState, type Loss, type ReconnectEffect, type ReconnectEvent, type ReconnectState,
} from '../../../source/operators/reconnect/state.js';
import {step} from '../../../source/operators/reconnect/step.js';
import type {Message} from '../../../source/types.js';

/*
Table tests of the reconnect machine: a state, a sequence of events, and the effects and state they lead to. No transport, no timers, no clock: time is in the events.
*/

const config = {initialDelay: 10, maxQueuedMessages: 4, handshakeTimeout: 100};
const initialize: Message = {
	jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'test', version: '1'}},
};
const initialized: Message = {jsonrpc: '2.0', method: 'notifications/initialized'};
const initializeResult = {protocolVersion: '2025-06-18', capabilities: {tools: {listChanged: true}, prompts: {}}, serverInfo: {name: 'fake', version: '1'}};
const call = (id: number | string): Message => ({
	jsonrpc: '2.0', id, method: 'tools/call', params: {name: 'echo'},
});
const result = (id: number | string, value: Record<string, unknown> = {}): Message => ({jsonrpc: '2.0', id, result: value});
const cancel = (requestId: number | string): Message => ({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId}});

const client = (message: Message, now = 0): ReconnectEvent => ({type: 'client', message, now});
const remote = (connection: number, message: Message): ReconnectEvent => ({type: 'remote', connection, message});
const ended = (connection: number, now: number, loss: Partial<Loss> = {}): ReconnectEvent => ({
	type: 'remote-end',
	connection,
	now,
	loss: {
		error: new Error(loss.cause ?? 'reset'), retry: true, cause: 'reset', sessionExpired: false, signIn: false, unsent: [], ...loss,
	},
});

/**
The attempt timer fires and the glue subscribes to connection `connection`.
*/
const attemptTo = (connection: number): ReconnectEvent[] => [{type: 'timer', timer: 'attempt'}, {type: 'connected', connection}];
/**
The remote accepts the `n`th request of our own, the replayed `initialize`.
*/
const accepted = (connection: number, n = 1) => remote(connection, result(`mcp-proxy-reconnect-${n}`, initializeResult));
const rootsRequest: Message = {jsonrpc: '2.0', id: 'r1', method: 'roots/list'};

/**
Play events, returning the effects of each.
*/
function play(state: ReconnectState, events: ReconnectEvent[]): ReconnectEffect[][] {
	return events.map(event => [...step(state, event)]);
}

/**
A machine whose first connection is open and whose client has initialized (at time 0).
*/
function open(): ReconnectState {
	const state = createState(config, 0);
	play(state, [{type: 'start'}, {type: 'connected', connection: 1}, client(initialize), remote(1, result(0, initializeResult)), client(initialized)]);
	return state;
}

/**
A machine that lost its first connection at time 5 and waits for the attempt due at 15.
*/
function waiting(): ReconnectState {
	const state = open();
	play(state, [ended(1, 5), {type: 'delay', delay: 10, now: 5}]);
	return state;
}

/**
The parts of the state a case checks.
*/
const summary = (state: ReconnectState) => ({
	phase: state.phase,
	connection: state.connection?.id,
	attempts: state.attempts,
	failures: state.failures,
	due: state.due,
	queue: state.queue.map(({message, mark}) => `${'id' in message ? String(message.id) : (message as {method: string}).method}@${mark}`),
});

test('the first connection opens at once (nothing to replay yet); messages either way are forwarded and the handshake remembered', t => {
	const state = createState(config, 0);
	t.deepEqual(play(state, [{type: 'start'}, {type: 'connected', connection: 1}]), [
		[{type: 'connect', connection: 1}],
		[{type: 'flush', connection: 1}],
	]);
	t.deepEqual(play(state, [client(initialize), remote(1, result(0, initializeResult)), client(initialized), client(call(1)), remote(1, result(1))]), [
		[{type: 'forward'}], [{type: 'forward'}], [{type: 'forward'}], [{type: 'forward'}], [{type: 'forward'}],
	]);
	t.true(state.handshake.initialized);
	t.is(state.handshake.initializedNotification, initialized);
	t.is(state.connection?.inFlight.size, 0);
	t.true(state.connection?.answered);
	t.deepEqual(summary(state), {
		phase: 'open', connection: 1, attempts: 1, failures: 0, due: 0, queue: [],
	});
});

test('the first connection failing before any answer: held and in-flight requests are answered "unreachable", the error logged, the backoff drawn', t => {
	const state = createState(config, 0);
	play(state, [{type: 'start'}, {type: 'connected', connection: 1}, client(initialize)]);
	const unreachable = 'The remote server is unreachable (refused); the proxy keeps trying to reconnect';
	t.deepEqual(play(state, [ended(1, 1, {cause: 'refused'})]), [[
		{type: 'disconnect', connection: 1},
		{
			type: 'answer', id: 0, code: -32_002, text: unreachable,
		},
		{type: 'log', level: 'error', text: 'Cannot connect to the remote server (refused); the proxy keeps trying'},
		{type: 'draw-delay', failures: 1},
	]]);
	t.deepEqual(summary(state), {
		phase: 'waiting', connection: undefined, attempts: 1, failures: 1, due: Number.POSITIVE_INFINITY, queue: [],
	});
	t.deepEqual(play(state, [{type: 'delay', delay: 20, now: 1}]), [[{type: 'start-timer', timer: 'attempt', delay: 20}]]);
	t.is(state.due, 21);
});

test('a lost connection: the remote\'s pending requests cancelled for the client, in-flight requests answered, requests that never left held again', t => {
	const state = open();
	play(state, [client(call(1)), client(call(2)), remote(1, rootsRequest)]);
	t.deepEqual(play(state, [ended(1, 5, {unsent: [2]})]), [[
		{type: 'disconnect', connection: 1},
		{type: 'deliver', message: {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 'r1', reason: 'The connection to the remote server was lost'}}},
		{
			type: 'answer', id: 1, code: -32_000, text: 'The connection to the remote server was lost; the request may or may not have been processed (reset)',
		},
		{type: 'log', level: 'warning', text: 'Lost the connection to the remote server (reset); reconnecting'},
		{type: 'draw-delay', failures: 0},
	]]);
	t.deepEqual(summary(state).queue, ['2@1']);
	t.true(state.staleRemoteRequests.has('r1'));
	// The held request brings the attempt forward to initialDelay after the loss, whatever the drawn delay.
	t.deepEqual(play(state, [{type: 'delay', delay: 40, now: 5}]), [[
		{type: 'start-timer', timer: 'attempt', delay: 40},
		{type: 'start-timer', timer: 'attempt', delay: 10},
	]]);
	t.is(state.due, 15);
	// The client's late answer to the remote's request of the lost connection is dropped.
	t.deepEqual(play(state, [client(result('r1'))]), [[{type: 'log', level: 'debug', text: 'Dropped the client\'s answer to request "r1" of a lost connection'}]]);
	t.deepEqual(summary(state).queue, ['2@1']);
});

test('a reconnection replays the handshake with an id of its own, restores the session and tells the client, then flushes what is held', t => {
	const state = waiting();
	play(state, [
		client({
			jsonrpc: '2.0', id: 5, method: 'resources/subscribe', params: {uri: 'echo://a'},
		}, 6),
		client({
			jsonrpc: '2.0', id: 6, method: 'logging/setLevel', params: {level: 'debug'},
		}, 7),
		client(call(7), 8),
	]);
	t.deepEqual(play(state, attemptTo(2)), [
		[{type: 'connect', connection: 2}],
		[
			{type: 'log', level: 'debug', text: 'Reconnection attempt 1: initializing a new session'},
			{type: 'start-timer', timer: 'handshake', delay: 100},
			{type: 'send', connection: 2, message: {...initialize, id: 'mcp-proxy-reconnect-1'}},
		],
	]);
	t.is(state.phase, 'connecting');
	// A message meanwhile is held.
	t.deepEqual(play(state, [client(call(8), 16)]), [[]]);
	t.deepEqual(play(state, [accepted(2)]), [[
		{type: 'stop-timer', timer: 'handshake'},
		{type: 'send', connection: 2, message: initialized},
		{
			type: 'send', connection: 2, message: {
				jsonrpc: '2.0', id: 'mcp-proxy-reconnect-2', method: 'logging/setLevel', params: {level: 'debug'},
			},
		},
		{
			type: 'send', connection: 2, message: {
				jsonrpc: '2.0', id: 'mcp-proxy-reconnect-3', method: 'resources/subscribe', params: {uri: 'echo://a'},
			},
		},
		{type: 'log', level: 'info', text: 'Reconnected to the remote server'},
		{type: 'deliver', message: {jsonrpc: '2.0', method: 'notifications/tools/list_changed'}},
		{type: 'flush', connection: 2},
	]]);
	t.deepEqual(summary(state).queue, ['5@1', '6@1', '7@1', '8@2']);
	const sent = play(state, [1, 2, 3, 4, 5].map(() => ({type: 'send-held', connection: 2}) as const));
	t.deepEqual(sent.map(effects => effects.map(effect => (effect.type === 'send' ? (effect.message as {id: unknown}).id : effect.type))), [[5], [6], [7], [8], []]);
	t.deepEqual([...state.connection!.inFlight.keys()], [5, 6, 7, 8]);
	// Answers to our own requests are swallowed; a failure is only logged.
	t.deepEqual(play(state, [remote(2, result('mcp-proxy-reconnect-2')), remote(2, {jsonrpc: '2.0', id: 'mcp-proxy-reconnect-3', error: {code: -32_601, message: 'no'}})]), [
		[], [{type: 'log', level: 'debug', text: 'Restoring session state after reconnecting failed: no'}],
	]);
});

test('a refused or unanswered replayed handshake fails the connection (the glue turns `abort` into a loss)', t => {
	const refused = waiting();
	play(refused, attemptTo(2));
	t.deepEqual(play(refused, [remote(2, {jsonrpc: '2.0', id: 'mcp-proxy-reconnect-1', error: {code: -32_603, message: 'not today'}})]), [[
		{type: 'stop-timer', timer: 'handshake'},
		{type: 'abort', connection: 2, reason: 'The remote server refused the replayed initialize: not today'},
	]]);
	const silent = waiting();
	play(silent, attemptTo(2));
	t.deepEqual(play(silent, [{type: 'timer', timer: 'handshake'}]), [[
		{type: 'abort', connection: 2, reason: 'The remote server did not answer the replayed initialize within 100 ms'},
	]]);
	// The loss that follows is a failed attempt: the backoff grows.
	t.deepEqual(play(silent, [ended(2, 115)])[0]!.slice(-2), [
		{type: 'log', level: 'warning', text: 'Reconnection attempt 1 failed (reset)'},
		{type: 'draw-delay', failures: 1},
	]);
});

test('held requests are answered when an attempt that began after them fails; later ones and notifications stay held', t => {
	const state = waiting();
	play(state, [client(call(1), 6), client({jsonrpc: '2.0', method: 'notifications/roots/list_changed'}, 7), ...attemptTo(2), client(call(2), 16)]);
	t.deepEqual(summary(state).queue, ['1@1', 'notifications/roots/list_changed@1', '2@2']);
	const effects = play(state, [ended(2, 17, {cause: 'refused'})])[0]!;
	t.deepEqual(effects.filter(effect => effect.type === 'answer').map(effect => effect.id), [1]);
	t.deepEqual(summary(state).queue, ['notifications/roots/list_changed@1', '2@2']);
});

test('the queue is bounded: beyond it requests are answered at once and notifications dropped with a warning; a cancellation removes its held request', t => {
	const state = waiting();
	play(state, [client(call(1), 6), client(call(2), 6), client(call(3), 6), client(call(4), 6)]);
	t.deepEqual(play(state, [client(call(5), 7), client(initialized, 7)]), [
		[{
			type: 'answer', id: 5, code: -32_004, text: 'The remote server is unreachable and 4 messages are already waiting for it; `tools/call` was not sent',
		}],
		[{type: 'log', level: 'warning', text: 'Dropped a message for the remote server: 4 are already waiting for it to come back'}],
	]);
	t.deepEqual(play(state, [client(cancel(2), 8)]), [[]]);
	t.deepEqual(summary(state).queue, ['1@1', '3@1', '4@1']);
});

test('a request arriving while waiting brings the next attempt forward to initialDelay after the last one ended, never later than due', t => {
	const state = open();
	play(state, [ended(1, 5), {type: 'delay', delay: 40, now: 5}]);
	t.is(state.due, 45);
	t.deepEqual(play(state, [client(call(1), 30)]), [[{type: 'start-timer', timer: 'attempt', delay: 0}]]);
	t.is(state.due, 30);
	// Already sooner than initialDelay after the loss: nothing changes.
	t.deepEqual(play(state, [client(call(2), 30)]), [[]]);
});

test('a session the remote forgot (404) is made again at once; forgotten again before it answered anything, the backoff applies', t => {
	const state = open();
	play(state, [client(call(7))]);
	t.deepEqual(play(state, [ended(1, 5, {sessionExpired: true, unsent: [7], cause: 'HTTP 404'})]), [[
		{type: 'disconnect', connection: 1},
		{type: 'log', level: 'warning', text: 'Lost the session with the remote server (HTTP 404); initializing a new one at once'},
		{type: 'start-timer', timer: 'attempt', delay: 0},
	]]);
	t.deepEqual(summary(state), {
		phase: 'waiting', connection: undefined, attempts: 1, failures: 0, due: 5, queue: ['7@1'],
	});
	play(state, [...attemptTo(2), accepted(2)]);
	t.true(state.connection?.quick);
	play(state, [{type: 'send-held', connection: 2}]);
	t.deepEqual(play(state, [ended(2, 8, {sessionExpired: true, unsent: [7], cause: 'HTTP 404'})])[0]!.slice(1), [
		{type: 'log', level: 'warning', text: 'The remote server forgot the new session too (HTTP 404); reconnecting after a delay'},
		{type: 'draw-delay', failures: 1},
	]);
	t.deepEqual(summary(state).queue, ['7@2']);
});

test('a session made at once that served a request is worth making again at once', t => {
	const state = open();
	play(state, [ended(1, 5, {sessionExpired: true}), ...attemptTo(2), accepted(2), client(call(1), 6), remote(2, result(1))]);
	t.deepEqual(play(state, [ended(2, 9, {sessionExpired: true})])[0]!.at(-1), {type: 'start-timer', timer: 'attempt', delay: 0});
});

test('a sign-in nobody completed waits for the next request, not a timer', t => {
	const state = waiting();
	play(state, attemptTo(2));
	t.deepEqual(play(state, [ended(2, 15, {signIn: true, cause: 'Authorization failed'})])[0]!.slice(-3), [
		{type: 'log', level: 'warning', text: 'Reconnection attempt 1 failed (Authorization failed)'},
		{type: 'stop-timer', timer: 'attempt'},
		{type: 'log', level: 'warning', text: 'The sign-in was not completed; the next request will ask again'},
	]);
	t.deepEqual(summary(state), {
		phase: 'waiting', connection: undefined, attempts: 2, failures: 1, due: Number.POSITIVE_INFINITY, queue: [],
	});
	t.deepEqual(play(state, [client(call(4), 150)]), [[{type: 'start-timer', timer: 'attempt', delay: 0}]]);
});

test('a failure not worth retrying fails the operator; after the client left, a loss completes it', t => {
	const failure = new Error('bad configuration');
	const state = open();
	t.deepEqual(play(state, [ended(1, 5, {retry: false, error: failure})]), [[{type: 'disconnect', connection: 1}, {type: 'fail', error: failure}]]);
	t.is(state.phase, 'closing');
	t.deepEqual(play(state, [client(call(1))]), [[]]);

	const leaving = open();
	t.deepEqual(play(leaving, [{type: 'client-end'}]), [[{type: 'end-input', connection: 1}]]);
	t.deepEqual(play(leaving, [ended(1, 5, {error: undefined, cause: 'the remote server closed the connection'})]), [[{type: 'disconnect', connection: 1}, {type: 'complete'}]]);
});

test('the client leaving while no connection is open stops trying and completes at once', t => {
	const state = waiting();
	t.deepEqual(play(state, [{type: 'client-end'}]), [[{type: 'stop-timer', timer: 'attempt'}, {type: 'complete'}]]);
	const connecting = waiting();
	play(connecting, attemptTo(2));
	t.deepEqual(play(connecting, [{type: 'client-end'}]), [[{type: 'stop-timer', timer: 'attempt'}, {type: 'disconnect', connection: 2}, {type: 'complete'}]]);
});

test('events of a connection that is no longer current change nothing', t => {
	const state = waiting();
	play(state, attemptTo(2));
	const before = summary(state);
	t.deepEqual(play(state, [remote(1, result(0)), ended(1, 20), {type: 'connected', connection: 1}, {type: 'send-held', connection: 1}]), [[], [], [], []]);
	t.deepEqual(summary(state), before);
});

test('a new session\'s requests reach the client under ids of the connection: the client\'s late answer to the lost session\'s request of the same id never answers the new one', t => {
	const state = open();
	play(state, [remote(1, rootsRequest), ended(1, 5), {type: 'delay', delay: 10, now: 5}, ...attemptTo(2), accepted(2)]);
	const facing = 'mcp-proxy-2:s:r1';
	t.deepEqual(play(state, [remote(2, rootsRequest)]), [[{type: 'deliver', message: {...rootsRequest, id: facing}}]]);
	// The late answer to the first session's r1 is dropped; the answer to the new one goes to the remote under its own id.
	t.deepEqual(play(state, [client(result('r1')), client(result(facing, {roots: []}))]), [
		[{type: 'log', level: 'debug', text: 'Dropped the client\'s answer to request "r1" of a lost connection'}],
		[{type: 'send', connection: 2, message: result('r1', {roots: []})}],
	]);
	// A number id is kept apart from the string of its digits; the remote's cancellation names the id the client knows.
	t.deepEqual(play(state, [remote(2, {jsonrpc: '2.0', id: 1, method: 'roots/list'}), remote(2, cancel(1))]), [
		[{type: 'deliver', message: {jsonrpc: '2.0', id: 'mcp-proxy-2:n:1', method: 'roots/list'}}],
		[{type: 'deliver', message: cancel('mcp-proxy-2:n:1')}],
	]);
	t.is(state.connection?.remoteIds?.size, 0);
});

test('a remote that forgets every new session before it serves anything backs off further each time, never alternating with attempts at once', t => {
	const state = open();
	play(state, [client(call(7)), remote(1, result(7))]);
	const draws: number[] = [];
	let now = 5;
	let ownRequests = 1;
	t.deepEqual(play(state, [ended(1, now, {sessionExpired: true, cause: 'HTTP 404'})])[0]!.at(-1), {type: 'start-timer', timer: 'attempt', delay: 0});
	for (let connection = 2; connection <= 6; connection++) {
		now += 10;
		const effects = play(state, [...attemptTo(connection), accepted(connection, ownRequests++), client(call(connection), now), ended(connection, now + 1, {sessionExpired: true, cause: 'HTTP 404'})]).at(-1)!;
		const draw = effects.find(effect => effect.type === 'draw-delay');
		t.truthy(draw, `connection ${connection} is followed by a backoff, not an attempt at once`);
		draws.push(draw?.type === 'draw-delay' ? draw.failures : -1);
		play(state, [{type: 'delay', delay: 10, now: now + 1}]);
	}

	t.deepEqual(draws, [1, 2, 3, 4, 5]);
});

test('a client whose initialize was refused is not replayed: the next connection opens at once', t => {
	const state = createState(config, 0);
	const refusal: Message = {jsonrpc: '2.0', id: 0, error: {code: -32_602, message: 'bad version'}};
	play(state, [{type: 'start'}, {type: 'connected', connection: 1}, client(initialize), remote(1, refusal), ended(1, 5), {type: 'delay', delay: 10, now: 5}]);
	t.deepEqual(play(state, attemptTo(2)), [[{type: 'connect', connection: 2}], [{type: 'flush', connection: 2}]]);
	t.is(state.phase, 'open');
});

test('a 2026-07-28 client has no handshake to replay: after a loss the next connection opens at once and sends what is held, the lost request answered', t => {
	const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};
	const discover: Message = {
		jsonrpc: '2.0', id: 'd', method: 'server/discover', params: {_meta: envelope},
	};
	const modernCall = (id: number): Message => ({
		jsonrpc: '2.0', id, method: 'tools/call', params: {name: 'echo', _meta: envelope},
	});
	const state = createState(config, 0);
	play(state, [{type: 'start'}, {type: 'connected', connection: 1}, client(discover), remote(1, result('d', {supportedVersions: ['2026-07-28']})), client(modernCall(1))]);
	t.false(state.handshake.initialized);
	const [loss] = play(state, [ended(1, 5)]);
	t.like(loss, [{type: 'disconnect', connection: 1}, {type: 'answer', id: 1}]);
	play(state, [{type: 'delay', delay: 10, now: 5}, client(modernCall(2), 6)]);
	t.deepEqual(play(state, attemptTo(2)), [[{type: 'connect', connection: 2}], [{type: 'flush', connection: 2}]]);
	t.is(state.phase, 'open');
	t.deepEqual(play(state, [{type: 'send-held', connection: 2}]), [[{type: 'send', connection: 2, message: modernCall(2)}]]);
});
