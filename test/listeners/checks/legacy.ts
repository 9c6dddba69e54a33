import test from 'ava';
import {
	messagesChecks, messagesHeadChecks, type MessagesFacts, type MessagesHeadFacts,
} from '../../../source/listeners/checks/legacy.js';
import {duplicateId} from '../../../source/listeners/checks/common.js';
import {firstRefusal, type Refusal} from '../../../source/listeners/refusal.js';
import {track} from '../../../source/listeners/sessions/legacy/state.js';
import type {Message} from '../../../source/types.js';
import {legacy} from '../../helpers/listener-records.js';

/*
The checks of a legacy session's POST as tables: the session id, the session, the Content-Type; then the body: JSON-RPC, the session still there, ids not in use.
*/

const brief = (refusal: Refusal | undefined) => refusal && [refusal.status, refusal.code ?? -32_000, refusal.message];
const ping = (id: number | string): Message => ({jsonrpc: '2.0', id, method: 'ping'});

test('before the body: the session_id parameter, the session, then Content-Type', t => {
	const ended = legacy('e');
	ended.ended = true;
	const rows: Array<[string, MessagesHeadFacts, ReturnType<typeof brief>]> = [
		['fine', {sessionId: 's', session: legacy('s'), contentType: 'application/json'}, undefined],
		['no session_id', {sessionId: undefined, session: undefined, contentType: 'text/plain'}, [400, -32_000, 'Bad Request: the session_id query parameter is required']],
		['unknown', {sessionId: 'x', session: undefined, contentType: 'text/plain'}, [404, -32_001, 'Session not found']],
		['ended', {sessionId: 'e', session: ended, contentType: undefined}, [404, -32_001, 'Session not found']],
		['text/plain', {sessionId: 's', session: legacy('s'), contentType: 'text/plain'}, [415, -32_000, 'Unsupported Media Type: Content-Type must be application/json']],
	];
	for (const [label, input, expected] of rows) {
		t.deepEqual(brief(firstRefusal(messagesHeadChecks, input)), expected, `${label}`);
	}
});

test('the body: JSON-RPC, the session still there, then request ids not in use (until answered or cancelled)', t => {
	const session = legacy('s');
	track(session, ping(9));
	const ended = legacy('e');
	ended.ended = true;
	const rows: Array<[string, MessagesFacts, ReturnType<typeof brief>]> = [
		['fine', {session, invalid: undefined, requests: [ping(1)]}, undefined],
		['not JSON-RPC', {session: ended, invalid: 'not a JSON-RPC message', requests: []}, [400, -32_600, 'Invalid Request: not a JSON-RPC message']],
		['ended while read', {session: ended, invalid: undefined, requests: [ping(9)]}, [404, -32_001, 'Session not found']],
		['an id pending', {session, invalid: undefined, requests: [ping(9)]}, [400, -32_600, 'Invalid Request: request id 9 is already in use']],
		['an id twice', {session, invalid: undefined, requests: [ping(1), ping(1)]}, [400, -32_600, 'Invalid Request: request id 1 is already in use']],
	];
	for (const [label, input, expected] of rows) {
		t.deepEqual(brief(firstRefusal(messagesChecks, input)), expected, `${label}`);
	}

	track(session, {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 9}});
	t.is(firstRefusal(messagesChecks, {session, invalid: undefined, requests: [ping(9)]}), undefined, 'a cancelled id is free again');
	t.is(duplicateId([ping(1), ping(2), ping(1)], undefined), 1);
});
