import test from 'ava';
import {Observable} from 'rxjs';
import {guardRequests} from '../../../source/operators/guard-requests/index.js';
import {createLogger} from '../../../source/logger.js';
import type {Message, Transport} from '../../../source/types.js';
import {testScheduler} from '../../helpers/marbles.js';

const request = (id: number, method = 'tools/call', parameters?: Record<string, unknown>): Message => ({
	jsonrpc: '2.0', id, method, ...(parameters ? {params: parameters} : {}),
});
const result = (id: number): Message => ({jsonrpc: '2.0', id, result: {}});

/**
A server that plays `source$` and records what it is sent.
*/
function server(source$: Observable<Message>, sent: Message[]): Transport {
	return outgoing$ => new Observable<Message>(subscriber => {
		const a = outgoing$.subscribe(message => {
			sent.push(message);
		});
		const b = source$.subscribe(subscriber);
		return () => {
			a.unsubscribe();
			b.unsubscribe();
		};
	});
}

test('requests still waiting when the server closes are answered with an error', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, hot, expectObservable}) => {
		const requests = hot<Message>('-a-b---', {a: request(1), b: request(2)});
		const replies = cold<Message>('----x-|', {x: result(1)});
		const guarded = guardRequests()(server(replies, []));
		expectObservable(guarded(requests)).toBe('----x-(y|)', {
			x: result(1),
			y: {jsonrpc: '2.0', id: 2, error: {code: -32_000, message: 'The connection to the server closed (while waiting for the answer to `tools/call`)'}},
		});
	});
});

test('requests still waiting when the server fails are answered with an error naming the cause', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, hot, expectObservable}) => {
		const requests = hot<Message>('-a---', {a: request(1)});
		const failure = new Error('child crashed');
		const replies = cold<Message>('---#', undefined, failure);
		expectObservable(guardRequests({peerName: 'the child'})(server(replies, []))(requests)).toBe('---(y#)', {
			y: {jsonrpc: '2.0', id: 1, error: {code: -32_000, message: 'The connection to the child failed: child crashed (while waiting for the answer to `tools/call`)'}},
		}, failure);
	});
});

test('a request that times out is answered with an error and cancelled upstream; its late answer is dropped', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, hot, expectObservable}) => {
		const requests = hot<Message>('-a------', {a: request(1)});
		const replies = cold<Message>('--------x--', {x: result(1)});
		const sent: Message[] = [];
		expectObservable(guardRequests({timeout: 5})(server(replies, sent))(requests)).toBe('------y----', {
			y: {jsonrpc: '2.0', id: 1, error: {code: -32_001, message: 'Request timed out: the server did not answer `tools/call` within 5 ms'}},
		});
		scheduler.flush();
		t.deepEqual(sent, [request(1), {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, reason: 'Request timed out in the proxy'}}]);
	});
});

test('progress restarts a request\'s timeout', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, hot, expectObservable}) => {
		const progress: Message = {jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 'p', progress: 1}};
		const requests = hot<Message>('a-----------', {a: request(1, 'tools/call', {_meta: {progressToken: 'p'}})});
		const replies = cold<Message>('---p---p---x', {p: progress, x: result(1)});
		expectObservable(guardRequests({timeout: 5})(server(replies, []))(requests)).toBe('---p---p---x', {p: progress, x: result(1)});
	});
});

test('a request the client cancels is no longer waited for', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, hot, expectObservable}) => {
		const cancel: Message = {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1}};
		const requests = hot<Message>('ac---', {a: request(1), c: cancel});
		const replies = cold<Message>('---x|', {x: result(1)});
		// The answer to a cancelled request is dropped, and no error is made up for it at close.
		expectObservable(guardRequests()(server(replies, []))(requests)).toBe('----|');
	});
});

test('responses and other messages pass untouched', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, hot, expectObservable}) => {
		const unknown: Message = {jsonrpc: '2.0', method: 'x/future', params: {_meta: {a: 1}, cursor: 'c'}};
		const requests = hot<Message>('a----', {a: request(7)});
		const replies = cold<Message>('-u-x-', {u: unknown, x: result(7)});
		expectObservable(guardRequests({timeout: 100})(server(replies, []))(requests)).toBe('-u-x-', {u: unknown, x: result(7)});
	});
});

test('answers the client is not waiting for are dropped and logged with their id: a stray, a second answer; a late one after a cancellation quietly', t => {
	const logged: string[] = [];
	const logger = createLogger({
		level: 'debug',
		write(line) {
			logged.push(line);
		},
	});
	const scheduler = testScheduler(t);
	scheduler.run(({cold, hot, expectObservable}) => {
		const cancel: Message = {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 2}};
		const stray: Message = {jsonrpc: '2.0', id: 'never-sent', result: {}};
		const requests = hot<Message>('ab-c----', {a: request(1), b: request(2), c: cancel});
		const replies = cold<Message>('--s-xxy-', {s: stray, x: result(1), y: result(2)});
		expectObservable(guardRequests({logger})(server(replies, []))(requests)).toBe('----x---', {x: result(1)});
	});
	const warnings = logged.filter(line => line.startsWith('[W'));
	t.is(warnings.length, 2, `${logged.join('')}`);
	t.regex(warnings[0]!, /Dropped an answer from the server to request "never-sent": the client sent no such request, or it was answered already/);
	t.regex(warnings[1]!, /Dropped an answer from the server to request 1: /);
});

test('answers of the client to requests of the peer are passed on once: one to a request never sent, or a second one, is dropped and logged; one after the peer cancelled passes quietly', t => {
	const logged: string[] = [];
	const logger = createLogger({
		level: 'debug',
		write(line) {
			logged.push(line);
		},
	});
	const scheduler = testScheduler(t);
	const sent: Message[] = [];
	scheduler.run(({cold, hot, expectObservable}) => {
		const peerRequest = (id: number): Message => ({jsonrpc: '2.0', id, method: 'roots/list'});
		const peerCancel: Message = {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 21}};
		// The peer asks 20 and 21, then cancels 21; the client answers 20 twice, 99 (never asked) and 21 late.
		const replies = cold<Message>('ab-c-----', {a: peerRequest(20), b: peerRequest(21), c: peerCancel});
		const answers = hot<Message>('-----xxyz', {x: result(20), y: result(99), z: result(21)});
		expectObservable(guardRequests({logger})(server(replies, sent))(answers)).toBe('ab-c-----', {a: peerRequest(20), b: peerRequest(21), c: peerCancel});
	});
	t.deepEqual(sent, [result(20), result(21)]);
	const warnings = logged.filter(line => line.startsWith('[W'));
	t.is(warnings.length, 2, `${logged.join('')}`);
	t.regex(warnings[0]!, /Dropped an answer from the client to request 20: the server sent no such request, or it was answered already/);
	t.regex(warnings[1]!, /Dropped an answer from the client to request 99: /);
});
