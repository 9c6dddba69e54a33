import type {ServerResponse} from 'node:http';
import test from 'ava';
import {
	deleteChecks,
	getChecks,
	isAcceptableVersion,
	postChecks,
	postHeadChecks,
	requestVersion,
	streamChecks,
	type GetFacts,
	type PostFacts,
	type PostHeadFacts,
} from '../../../source/listeners/checks/streamable.js';
import {Payload} from '../../../source/listeners/payload.js';
import {firstRefusal, type Refusal} from '../../../source/listeners/refusal.js';
import {registerExchange} from '../../../source/listeners/sessions/streamable/route.js';
import type {Message, Request} from '../../../source/types.js';
import {handle, streamable} from '../../helpers/listener-records.js';

/*
The checks of `/mcp` as tables: a request's facts (its headers, its parsed body, the session it names) in, the refusal out, in the listener's order. No sockets: sessions are records.
*/

const brief = (refusal: Refusal | undefined) => refusal && [refusal.status, refusal.code ?? -32_000, refusal.message];
const both = 'application/json, text/event-stream';
const ping = (id: number | string): Request => ({jsonrpc: '2.0', id, method: 'ping'});
const initialize: Request = {
	jsonrpc: '2.0', id: 0, method: 'initialize', params: {},
};
const initialized: Message = {jsonrpc: '2.0', method: 'notifications/initialized'};

function sessionWith(pendingIds: Array<number | string> = []) {
	const session = streamable('s');
	session.protocolVersion = '2025-06-18';
	if (pendingIds.length > 0) {
		registerExchange(session, handle<ServerResponse>('response'), pendingIds.map(id => ping(id)), pendingIds.length > 1);
	}

	return session;
}

function post(messages: Message[], overrides: Partial<PostFacts> = {}): PostFacts {
	const requests = messages.filter(message => 'id' in message && 'method' in message) as Request[];
	return {
		sessionId: undefined,
		session: undefined,
		era: '2025',
		stateless: false,
		closing: false,
		invalid: undefined,
		messages,
		requests,
		batch: false,
		initialize: requests.some(request => request.method === 'initialize'),
		accept: both,
		versionHeader: undefined,
		...overrides,
	};
}

test('POST, before the body: Content-Type, then the session it names', t => {
	const ended = sessionWith();
	ended.ended = true;
	const rows: Array<[string, PostHeadFacts, ReturnType<typeof brief>]> = [
		['JSON, no session', {contentType: 'application/json', sessionId: undefined, session: undefined}, undefined],
		['no Content-Type', {contentType: undefined, sessionId: undefined, session: undefined}, undefined],
		['text/plain', {contentType: 'text/plain', sessionId: 'x', session: undefined}, [415, -32_000, 'Unsupported Media Type: Content-Type must be application/json']],
		['an unknown session', {contentType: undefined, sessionId: 'x', session: undefined}, [404, -32_001, 'Session not found']],
		['an ended session', {contentType: undefined, sessionId: 's', session: ended}, [404, -32_001, 'Session not found']],
		['a live session', {contentType: undefined, sessionId: 's', session: sessionWith()}, undefined],
	];
	for (const [label, input, expected] of rows) {
		t.deepEqual(brief(firstRefusal(postHeadChecks, input)), expected, `${label}`);
	}
});

test('POST, the body: JSON-RPC, Accept, version, batches, initialize, the session, ids, shutting down — in that order', t => {
	const live = sessionWith([7]);
	const ended = sessionWith();
	ended.ended = true;
	const rows: Array<[string, PostFacts, ReturnType<typeof brief>]> = [
		['initialize, no session', post([initialize]), undefined],
		['not JSON-RPC (and more wrong)', post([], {invalid: 'not a JSON-RPC message', accept: undefined}), [400, -32_600, 'Invalid Request: not a JSON-RPC message']],
		['a request without Accept', post([ping(1)], {session: live, accept: 'application/json'}), [406, -32_000, 'Not Acceptable: Client must accept both application/json and text/event-stream']],
		['a notification needs no Accept', post([initialized], {session: live, accept: undefined}), undefined],
		['a garbage version', post([ping(1)], {session: live, versionHeader: 'not-a-version'}), [400, -32_000, 'Bad Request: Unsupported protocol version: not-a-version']],
		['initialize ignores the version header', post([initialize], {versionHeader: 'not-a-version'}), undefined],
		['a batch of 2025-06-18', post([ping(1), ping(2)], {session: live, batch: true}), [400, -32_600, 'Invalid Request: batches are not part of protocol version 2025-06-18']],
		['a batch of 2025-03-26', post([ping(1), ping(2)], {session: live, batch: true, versionHeader: '2025-03-26'}), undefined],
		['initialize in a batch', post([initialize], {batch: true}), [400, -32_600, 'Invalid Request: initialize must not be part of a batch']],
		['initialize with another message', post([initialize, initialized]), [400, -32_600, 'Invalid Request: initialize must not be part of a batch']],
		['the session ended meanwhile', post([ping(1)], {session: ended}), [404, -32_001, 'Session not found']],
		['initialize again', post([initialize], {session: live}), [400, -32_600, 'Invalid Request: this session is already initialized']],
		['no session, not initialize', post([ping(1)]), [400, -32_000, 'Bad Request: Mcp-Session-Id header is required']],
		['no session, stateless', post([ping(1)], {stateless: true}), undefined],
		['an id still pending', post([ping(7)], {session: live}), [400, -32_600, 'Invalid Request: request id 7 is already in use']],
		['an id twice in a batch', post([ping('a'), ping('a')], {session: live, batch: true, versionHeader: '2025-03-26'}), [400, -32_600, 'Invalid Request: request id "a" is already in use']],
		['a new session while closing', post([initialize], {closing: true}), [503, -32_000, 'The server is shutting down']],
		['an existing session while closing', post([ping(1)], {session: live, closing: true}), undefined],
	];
	for (const [label, input, expected] of rows) {
		t.deepEqual(brief(firstRefusal(postChecks, input)), expected, `${label}`);
	}
});

test('GET: Accept, the session id, the session, the version; then the stream: a known Last-Event-ID, or the only standalone stream', t => {
	const live = sessionWith();
	live.store.append('g', ++live.streamCounter, new Payload('', 'notification'));
	const streaming = sessionWith();
	streaming.standalone = {sse: handle('sse'), stream: 1};
	const get = (overrides: Partial<GetFacts>): GetFacts => ({
		sessionId: 's', session: live, accept: 'text/event-stream', versionHeader: undefined, lastEventId: undefined, ...overrides,
	});
	const rows: Array<[string, GetFacts, ReturnType<typeof brief>]> = [
		['a fine GET', get({}), undefined],
		['JSON only', get({accept: 'application/json', sessionId: undefined}), [406, -32_000, 'Not Acceptable: Client must accept text/event-stream']],
		['no session id', get({sessionId: undefined, session: undefined}), [400, -32_000, 'Bad Request: Mcp-Session-Id header is required']],
		['an unknown session', get({session: undefined}), [404, -32_001, 'Session not found']],
		['a bad version', get({versionHeader: '1999-01-01'}), [400, -32_000, 'Bad Request: Unsupported protocol version: 1999-01-01']],
	];
	for (const [label, input, expected] of rows) {
		t.deepEqual(brief(firstRefusal(getChecks, input)), expected, `${label}`);
	}

	t.is(firstRefusal(streamChecks, get({lastEventId: 'g1-1'})), undefined);
	t.is(firstRefusal(streamChecks, get({lastEventId: ''})), undefined, 'an empty Last-Event-ID opens a new stream');
	t.deepEqual(brief(firstRefusal(streamChecks, get({lastEventId: 'p999-1'}))), [400, -32_000, 'Bad Request: Unknown Last-Event-ID: "p999-1"']);
	t.deepEqual(brief(firstRefusal(streamChecks, get({session: streaming}))), [409, -32_000, 'Conflict: Only one SSE stream is allowed per session']);
});

test('DELETE: the session id, then the session', t => {
	t.deepEqual(brief(firstRefusal(deleteChecks, {sessionId: undefined, session: undefined})), [400, -32_000, 'Bad Request: Mcp-Session-Id header is required']);
	t.deepEqual(brief(firstRefusal(deleteChecks, {sessionId: 'x', session: undefined})), [404, -32_001, 'Session not found']);
	t.is(firstRefusal(deleteChecks, {sessionId: 's', session: sessionWith()}), undefined);
});

test('protocol versions: known or newer date-shaped ones pass; a request\'s version is its header, else its session\'s, else 2025-03-26', t => {
	for (const version of ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28']) {
		t.true(isAcceptableVersion(version), `${version}`);
	}

	for (const version of ['', 'latest', '2025-1-1', '2023-01-01', '2025-11-25; drop table']) {
		t.false(isAcceptableVersion(version), `${version}`);
	}

	t.is(requestVersion('2025-11-25', sessionWith()), '2025-11-25');
	t.is(requestVersion(undefined, sessionWith()), '2025-06-18');
	t.is(requestVersion(undefined, undefined), '2025-03-26');
});
