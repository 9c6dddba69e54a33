import test from 'ava';
import {NEVER, Subject} from 'rxjs';
import {LimitError} from '../../../source/errors.js';
import {endSession, type SessionEndReason} from '../../../source/listeners/sessions/index.js';
import {receive} from '../../../source/listeners/sessions/record.js';
import type {Message} from '../../../source/types.js';
import {openedStreamable, testRuntime} from '../../helpers/listener-records.js';

/*
A session's transport, on its channel: what the client sends before the transport is subscribed waits for it (bounded); subscribing twice is an error; the end of either side ends the session, once.
*/

const ping = (id: number): Message => ({jsonrpc: '2.0', id, method: 'ping'});

test('the client\'s messages wait for the transport, in order, and come out once it is subscribed', t => {
	const session = openedStreamable(testRuntime(), 's');
	receive(session, ping(1));
	receive(session, ping(2));
	const seen: unknown[] = [];
	const subscription = session.session.transport(NEVER).subscribe(message => {
		seen.push((message as {id: number}).id);
	});
	receive(session, ping(3));
	t.deepEqual(seen, [1, 2, 3]);
	subscription.unsubscribe();
});

test('at most 1000 messages wait for the transport; more are refused with a LimitError', t => {
	const session = openedStreamable(testRuntime(), 's');
	for (let id = 0; id < 1000; id++) {
		receive(session, {jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: id, progress: 1}});
	}

	t.throws(() => {
		receive(session, ping(1));
	}, {instanceOf: LimitError, message: 'Session s: 1000 messages are waiting for the backend'});
});

test('the transport may be subscribed once', t => {
	const session = openedStreamable(testRuntime(), 's');
	session.session.transport(NEVER).subscribe().unsubscribe();
	let failure: unknown;
	session.session.transport(NEVER).subscribe({
		error(error: unknown) {
			failure = error;
		},
	});
	t.regex(String(failure), /The transport of session s was subscribed twice/);
});

test('a session ended before its transport is subscribed: the late subscriber gets the end, not what waited', t => {
	const session = openedStreamable(testRuntime(), 's');
	receive(session, ping(1));
	endSession(session, 'deleted');
	const seen: unknown[] = [];
	let completed = false;
	session.session.transport(NEVER).subscribe({
		next(message) {
			seen.push(message);
		},
		complete() {
			completed = true;
		},
	});
	t.deepEqual(seen, []);
	t.true(completed);
});

test('the backend\'s end, the client\'s end and unsubscribing each end the session once, with their reason', t => {
	const reasons: SessionEndReason[] = [];
	const runtime = testRuntime((_record, reason) => {
		reasons.push(reason);
	});
	const backend = new Subject<Message>();
	const first = openedStreamable(runtime, 'a');
	let completed = false;
	first.session.transport(backend).subscribe({
		complete() {
			completed = true;
		},
	});
	backend.complete();
	t.true(first.ended);
	t.true(completed, 'the client\'s messages complete');

	const second = openedStreamable(runtime, 'b');
	second.session.transport(NEVER).subscribe();
	endSession(second, 'deleted');
	endSession(second, 'idle');

	const third = openedStreamable(runtime, 'c');
	third.session.transport(NEVER).subscribe().unsubscribe();
	t.deepEqual(reasons, ['backend-ended', 'deleted', 'unsubscribed']);
});
