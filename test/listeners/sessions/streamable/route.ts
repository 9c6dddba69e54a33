import type {ServerResponse} from 'node:http';
import test from 'ava';
import type {Message, Request} from '../../../../source/types.js';
import {Payload} from '../../../../source/listeners/payload.js';
import {
	abandonedRequests,
	cancelRequest,
	maxWaitingMessages,
	registerExchange,
	resumeProblem,
	resumeTarget,
	retireExchange,
	routeMessage,
	waitingOverflows,
	type Delivery,
} from '../../../../source/listeners/sessions/streamable/route.js';
import type {Exchange} from '../../../../source/listeners/sessions/streamable/state.js';
import type {SseStream} from '../../../../source/listeners/sse-writer.js';
import {handle, streamable} from '../../../helpers/listener-records.js';

/*
The routing decisions of a Streamable HTTP session as tables: a session's exchanges and streams, messages from the backend, and where each goes. No sockets: responses and streams are stand-ins that the decisions only look at.
*/

const call = (id: number | string, progressToken?: string | number): Request => ({
	jsonrpc: '2.0', id, method: 'tools/call', params: progressToken === undefined ? {name: 'x'} : {name: 'x', _meta: {progressToken}},
});
const result = (id: number | string): Message => ({jsonrpc: '2.0', id, result: {}});
const progress = (progressToken: string | number): Message => ({jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken, progress: 1}});
const note: Message = {jsonrpc: '2.0', method: 'notifications/message', params: {level: 'info', data: 'x'}};

/**
A delivery in short: `collect 1 (finish)`, `exchange 2 (upgrade)`, `standalone`, `wait`, `drop: why`.
*/
function show(delivery: Delivery): string {
	switch (delivery.type) {
		case 'collect': {
			return `collect ${delivery.exchange.stream}${delivery.finish ? ' (finish)' : ''}`;
		}

		case 'exchange': {
			return `exchange ${delivery.exchange.stream}${delivery.upgrade ? ' (upgrade)' : ''}${delivery.finish ? ' (finish)' : ''}`;
		}

		case 'drop': {
			return `drop: ${delivery.why}`;
		}

		case 'standalone':
		case 'wait':
		case 'none': {
			return delivery.type;
		}
	}
}

function post(record: ReturnType<typeof streamable>, requests: Request[], batch = false): Exchange {
	return registerExchange(record, handle<ServerResponse>('response'), requests, batch);
}

test('a response goes to the POST that carried its request: collected for a JSON answer, finished with the last', t => {
	const session = streamable('s');
	const single = post(session, [call(1)]);
	const batch = post(session, [call('a'), call('b')], true);
	t.deepEqual([single.stream, batch.stream], [1, 2]);
	t.is(show(routeMessage(session, result('b'))), 'collect 2');
	t.is(show(routeMessage(session, result(1))), 'collect 1 (finish)');
	t.is(show(routeMessage(session, result('a'))), 'collect 2 (finish)');
	t.is(session.pending.size, 0, 'answered requests are no longer pending');
	t.is(show(routeMessage(session, result(1))), 'drop: Session s: dropped a response to unknown request 1', 'an answer to nothing pending is dropped');
});

test('progress goes to the stream of the request whose token it carries, switching its answer to SSE once', t => {
	const session = streamable('s');
	const first = post(session, [call(1, 'first')]);
	post(session, [call(2, 7)]);
	t.is(show(routeMessage(session, progress('first'))), 'exchange 1 (upgrade)');
	first.phase = 'sse';
	first.sse = handle<SseStream>('sse');
	first.response = undefined;
	t.is(show(routeMessage(session, progress('first'))), 'exchange 1', 'already SSE');
	t.is(show(routeMessage(session, progress(7))), 'exchange 2 (upgrade)');
	t.is(show(routeMessage(session, result(1))), 'exchange 1 (finish)', 'the response ends the SSE answer');
	t.is(session.tokens.size, 1, 'its token is forgotten with it');
	t.is(show(routeMessage(session, progress('first'))), 'exchange 2 (upgrade)', 'a stale token is unrelated: it goes to the newest POST');
});

test('anything else: the GET stream, else the newest POST that can reach its client, else it waits; stateless, it is dropped', t => {
	const session = streamable('s');
	t.is(show(routeMessage(session, note)), 'wait');
	const older = post(session, [call(1)]);
	const newer = post(session, [call(2)]);
	t.is(show(routeMessage(session, note)), 'exchange 2 (upgrade)');
	newer.response = undefined;
	t.is(show(routeMessage(session, note)), 'exchange 1 (upgrade)', 'the client of the newer one left');
	older.response = undefined;
	t.is(show(routeMessage(session, note)), 'wait');
	session.standalone = {sse: handle('sse'), stream: 9};
	t.is(show(routeMessage(session, note)), 'standalone');
	t.is(show(routeMessage(streamable('t', {stateless: true}), note)), 'drop: Stateless request t: dropped a message that came after its answer');
});

test('a log message goes to the newest POST that can reach its client, even with a GET stream open, so it comes before the response of the request that logged it', t => {
	const session = streamable('s');
	session.standalone = {sse: handle('sse'), stream: 9};
	const listChanged: Message = {jsonrpc: '2.0', method: 'notifications/tools/list_changed'};
	t.is(show(routeMessage(session, note)), 'standalone', 'no request in flight: the GET stream');
	const older = post(session, [call(1)]);
	const newer = post(session, [call(2)]);
	t.is(show(routeMessage(session, note)), 'exchange 2 (upgrade)');
	t.is(show(routeMessage(session, listChanged)), 'standalone', 'other notifications keep the GET stream');
	newer.response = undefined;
	t.is(show(routeMessage(session, note)), 'exchange 1 (upgrade)', 'the client of the newer one left');
	older.response = undefined;
	t.is(show(routeMessage(session, note)), 'standalone');
});

test('a related message for an answer whose client left is dropped', t => {
	const session = streamable('s');
	const exchange = post(session, [call(1, 'p')]);
	exchange.response = undefined;
	t.is(show(routeMessage(session, progress('p'))), 'drop: Session s: dropped a message for a request whose client left');
	t.is(show(routeMessage(session, result(1))), 'collect 1 (finish)', 'its response still finishes it');
});

test('an initialize result sets the session\'s protocol version', t => {
	const session = streamable('s');
	post(session, [{
		jsonrpc: '2.0', id: 0, method: 'initialize', params: {},
	}]);
	routeMessage(session, {jsonrpc: '2.0', id: 0, result: {protocolVersion: '2025-06-18'}});
	t.is(session.protocolVersion, '2025-06-18');
});

test('cancelling: the request is no longer pending; the exchange is returned when nothing more is owed', t => {
	const session = streamable('s');
	const exchange = post(session, [call(1, 'p'), call(2)], true);
	t.is(cancelRequest(session, 1), undefined);
	t.false(session.tokens.has('p'));
	t.is(cancelRequest(session, 99), undefined, 'unknown: nothing');
	t.is(cancelRequest(session, 2), exchange);
	t.is(exchange.remaining, 0);
});

test('retiring an exchange: it leaves the session, and says what its answer still has to say', t => {
	const session = streamable('s');
	const json = post(session, [call(1)]);
	json.collected.push('{"jsonrpc":"2.0","id":1,"result":{}}');
	const sse = post(session, [call(2)]);
	sse.phase = 'sse';
	sse.sse = handle<SseStream>('sse');
	sse.response = undefined;
	t.like(retireExchange(json), {response: {name: 'response'}, collected: ['{"jsonrpc":"2.0","id":1,"result":{}}'], sse: undefined});
	t.like(retireExchange(sse), {response: undefined, sse: {name: 'sse'}});
	t.deepEqual(session.exchanges, []);
	t.is(json.phase, 'done');
});

test('a client that left abandons its requests, initialize aside', t => {
	const session = streamable('s');
	const exchange = post(session, [{
		jsonrpc: '2.0', id: 0, method: 'initialize', params: {},
	}, call(1), call(2)], true);
	post(session, [call(3)]);
	t.deepEqual(abandonedRequests(session, exchange), [1, 2]);
});

test('messages waiting for a GET stream are bounded in count, and in bytes while more than one waits', t => {
	const session = streamable('s');
	for (let index = 0; index < maxWaitingMessages; index++) {
		session.waitingForStream.push(new Payload('x', 'notification'));
	}

	t.false(waitingOverflows(session));
	session.waitingForStream.push(new Payload('x', 'notification'));
	t.true(waitingOverflows(session));
	const big = streamable('b');
	big.waitingForStream.push(new Payload('x', 'notification'));
	big.waitingBytes = 9 * 1024 * 1024;
	t.false(waitingOverflows(big), 'one message alone is kept, however large');
	big.waitingForStream.push(new Payload('y', 'notification'));
	t.true(waitingOverflows(big));
});

test('resumption: the id must name an event the session gave out; the stream carries on where it belongs', t => {
	const session = streamable('s');
	const exchange = post(session, [call(1)]);
	session.store.append('p', 1, new Payload('{}', 'notification'));
	t.is(resumeProblem(session, 'p1-1'), undefined);
	t.is(resumeProblem(session, 'p1-2'), 'Unknown Last-Event-ID: "p1-2"', 'not given out yet');
	t.is(resumeProblem(session, 'p2-1'), 'Unknown Last-Event-ID: "p2-1"', 'no such stream');
	t.is(resumeProblem(session, 'nonsense'), 'Unknown Last-Event-ID: "nonsense"');
	t.deepEqual(resumeTarget(session, 'g', 5), {type: 'standalone'});
	t.deepEqual(resumeTarget(session, 'p', 1), {type: 'finished'}, 'an undecided answer keeps its own POST');
	exchange.phase = 'sse';
	t.deepEqual(resumeTarget(session, 'p', 1), {type: 'exchange', exchange});
	t.deepEqual(resumeTarget(session, 'p', 7), {type: 'finished'});
});
