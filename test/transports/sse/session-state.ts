import test from 'ava';
import {
	ConnectError, ProtocolError, SessionExpiredError, TransportError,
} from '../../../source/errors.js';
import {
	createSseState,
	sseEvents,
	step,
	type SseEffect,
	type SseEvent,
	type SseState,
} from '../../../source/transports/sse/session-state.js';
import type {Message} from '../../../source/types.js';

/*
The legacy SSE session's step, without sockets or timers.
*/

const url = new URL('http://127.0.0.1:8080/sse');
const ping = (id: number): Message => ({jsonrpc: '2.0', id, method: 'ping'});
const note: Message = {jsonrpc: '2.0', method: 'notifications/initialized'};
const send = (message: Message): SseEvent => ({type: 'send', message});

function run(events: SseEvent[], state: SseState = createSseState({url, endpointTimeout: 15_000})): {state: SseState; effects: SseEffect[][]} {
	return {state, effects: events.map(event => step(state, event))};
}

const errorOf = (effects: SseEffect[]) => (effects.find(effect => effect.type === 'error') as {error: Error} | undefined)?.error;

test('messages wait for the endpoint, then go in order: requests on their own, the rest in the answer lane', t => {
	const {state, effects} = run([
		sseEvents.streamOpened,
		send(ping(1)),
		send(note),
		{type: 'endpoint', data: '/messages'},
		send(ping(2)),
		{type: 'endpoint', data: '/messages?again'},
	]);
	t.deepEqual(effects, [
		[{type: 'start-timer', timer: 'endpoint-wait', delay: 15_000}],
		[],
		[],
		[
			{type: 'cancel-timer', timer: 'endpoint-wait'},
			{type: 'log', level: 'debug', text: 'Legacy SSE session: posting to /messages'},
			{type: 'post', message: ping(1), lane: 'request'},
			{type: 'post', message: note, lane: 'answer'},
		],
		[{type: 'post', message: ping(2), lane: 'request'}],
		[],
	]);
	t.is(state.endpoint?.search, '?again', 'a later endpoint event moves the POSTs');
});

test('no endpoint in time ends the transport with a ProtocolError that names the wait and the URL', t => {
	const {effects} = run([sseEvents.streamOpened, sseEvents.endpointTimeout]);
	const error = errorOf(effects[1]!);
	t.true(error instanceof ProtocolError);
	t.is(error!.message, 'The remote server sent no endpoint event within 15000 ms: is http://127.0.0.1:8080/sse a legacy SSE endpoint?');
	t.deepEqual(run([{type: 'endpoint', data: '/m'}, sseEvents.endpointTimeout]).effects[1], []);
});

test('an endpoint on another origin ends the transport', t => {
	const error = errorOf(run([{type: 'endpoint', data: 'https://evil.example/messages'}]).effects[0]!);
	t.regex(error!.message, /another origin \(https:\/\/evil\.example\)/);
});

test('the server ending the stream completes the session, unless a refusal is under way', t => {
	t.deepEqual(run([{type: 'endpoint', data: '/m'}, sseEvents.streamEnded]).effects[1], [
		{type: 'log', level: 'debug', text: 'The remote server ended the SSE stream'},
		{type: 'complete'},
	]);
	const {state} = run([{type: 'endpoint', data: '/m'}, sseEvents.postStarted, sseEvents.postStarted, {type: 'refused', end: {kind: 'expired', text: 'gone'}, message: ping(1)}]);
	t.deepEqual(step(state, sseEvents.streamEnded), []);
});

test('POSTs refused with 404 end the session once every POST has its status, listing them all as unsent', t => {
	const {state} = run([{type: 'endpoint', data: '/m'}, send(ping(1)), send(ping(2))]);
	const end = {kind: 'expired', text: 'The remote server no longer knows this SSE session (HTTP 404 from /m)'} as const;
	const {effects} = run([
		sseEvents.postStarted,
		sseEvents.postStarted,
		{type: 'refused', end, message: ping(1)},
		sseEvents.postFinished,
		send(ping(3)),
		{type: 'refused', end, message: ping(2)},
		sseEvents.postFinished,
	], state);
	t.deepEqual(effects[2], [{type: 'start-timer', timer: 'refusal-grace', delay: 5000}]);
	t.deepEqual(effects.slice(3, 6), [[], [], []]);
	const error = errorOf(effects[6]!);
	t.true(error instanceof SessionExpiredError);
	t.deepEqual((error as SessionExpiredError).unsent, [ping(1), ping(3), ping(2)]);
});

test('a connection refused for a POST is a ConnectError; a failure that may have reached the server is fatal only without a refusal', t => {
	const {state} = run([{type: 'endpoint', data: '/m'}, sseEvents.postStarted]);
	const {effects} = run([
		{type: 'refused', end: {kind: 'connect', text: 'Cannot connect', cause: undefined}, message: ping(1)},
		{type: 'broken', error: new TransportError('reset')},
		sseEvents.postFinished,
	], state);
	t.deepEqual(effects[1], []);
	t.true(errorOf(effects[2]!) instanceof ConnectError);
});

test('closing: drain, then close once; what the server sends after is dropped', t => {
	const message: Message = {jsonrpc: '2.0', id: 1, result: {}};
	t.deepEqual(run([sseEvents.outgoingComplete, sseEvents.drained, sseEvents.drained, {type: 'receive', message}]).effects, [
		[{type: 'drain'}],
		[{type: 'close'}],
		[],
		[],
	]);
});
