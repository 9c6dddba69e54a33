import test from 'ava';
import {
	concat, EMPTY, ignoreElements, mergeMap, of, timer,
} from 'rxjs';
import {closeWhen} from '../../source/operators/close-when.js';
import {guardRequests} from '../../source/operators/guard-requests/index.js';
import {pipeTransport} from '../../source/link.js';
import type {Message, Transport} from '../../source/types.js';
import {testScheduler} from '../helpers/marbles.js';

const request = (id: number): Message => ({jsonrpc: '2.0', id, method: 'tools/call'});
const result = (id: number): Message => ({jsonrpc: '2.0', id, result: {}});

/**
Answers request 1 at once and no other; closes 3 frames after its input completes.
*/
const server: Transport = outgoing$ => concat(
	outgoing$.pipe(mergeMap(message => ('id' in message && message.id === 1 ? of(result(1)) : EMPTY))),
	timer(3).pipe(ignoreElements()),
);

test('marble: on the signal the transport closes gracefully; what it still owes is answered inside, requests after the signal at once', t => {
	testScheduler(t).run(({hot, expectObservable}) => {
		const client = hot<Message>('-a-b---c----', {a: request(1), b: request(2), c: request(3)});
		const stop = hot('-----s');
		const transport = pipeTransport(server, guardRequests({peerName: 'the remote server'}), closeWhen(stop));
		expectObservable(transport(client)).toBe('-x-----z(y|)', {
			x: result(1),
			z: {jsonrpc: '2.0', id: 3, error: {code: -32_000, message: 'The proxy is shutting down; `tools/call` was not sent'}},
			y: {jsonrpc: '2.0', id: 2, error: {code: -32_000, message: 'The connection to the remote server closed (while waiting for the answer to `tools/call`)'}},
		});
	});
});

test('the end of the client\'s messages closes the transport as before; a signal after that changes nothing', t => {
	testScheduler(t).run(({cold, hot, expectObservable}) => {
		const client = cold<Message>('-a|', {a: request(1)});
		const stop = hot('-------s');
		expectObservable(closeWhen(stop)(server)(client)).toBe('-x---|', {x: result(1)});
	});
});
