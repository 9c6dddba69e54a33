import test from 'ava';
import {
	concat, ignoreElements, map, mergeMap, timer,
} from 'rxjs';
import {drainOnEnd} from '../../source/operators/drain-on-end.js';
import {guardRequests} from '../../source/operators/guard-requests/index.js';
import {pipeTransport} from '../../source/link.js';
import type {Message, Transport} from '../../source/types.js';
import {isRequest} from '../../source/wire/message.js';
import {testScheduler} from '../helpers/marbles.js';

const request = (id: number): Message => ({jsonrpc: '2.0', id, method: 'tools/call'});
const result = (id: number): Message => ({jsonrpc: '2.0', id, result: {}});
const cancel = (id: number): Message => ({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: id}});

/**
Answers request N after N frames (request 9 never); closes 1 frame after its input completes.
*/
const server: Transport = outgoing$ => concat(
	outgoing$.pipe(mergeMap(message => (isRequest(message) && message.id !== 9 ? timer(message.id as number).pipe(map(() => result(message.id as number))) : []))),
	timer(1).pipe(ignoreElements()),
);

test('marble: when the client\'s messages end, the transport closes once the requests in flight are answered', t => {
	testScheduler(t).run(({cold, expectObservable}) => {
		const client = cold<Message>('a(b|)', {a: request(5), b: request(2)});
		// Answers at 3 (request 2, sent at 1) and 5 (request 5); the input completes then, the server 1 frame later.
		expectObservable(drainOnEnd({grace: 100})(server)(client)).toBe('---y-x|', {x: result(5), y: result(2)});
	});
});

test('marble: a request the client cancelled is not waited for; one never answered is given up after the grace, and guardRequests answers it', t => {
	testScheduler(t).run(({cold, expectObservable}) => {
		const cancelled = cold<Message>('a(b|)', {a: request(9), b: cancel(9)});
		expectObservable(drainOnEnd({grace: 100})(server)(cancelled)).toBe('--|');
		const stuck = cold<Message>('(a|)', {a: request(9)});
		const transport = pipeTransport(server, guardRequests({peerName: 'the remote server'}), drainOnEnd({grace: 10}));
		expectObservable(transport(stuck)).toBe('-----------(x|)', {
			x: {jsonrpc: '2.0', id: 9, error: {code: -32_000, message: 'The connection to the remote server closed (while waiting for the answer to `tools/call`)'}},
		});
	});
});

test('options are validated', t => {
	t.throws(() => drainOnEnd({grace: -1}), {instanceOf: TypeError, message: /grace/});
	t.throws(() => drainOnEnd({grace: Number.NaN}), {instanceOf: TypeError});
});
