/*
Property tests of the multiplexer: whatever the interleaving of sessions' requests and the upstream's answers and progress, ids never collide and everything returns to its own session.
*/
import test from 'ava';
import fc from 'fast-check';
import {Observable, Subject, type Subscriber} from 'rxjs';
import {multiplex} from '../../../source/operators/multiplex/index.js';
import {createLogger} from '../../../source/logger.js';
import type {Message, Transport} from '../../../source/types.js';

type Loose = Record<string, any>;

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/**
Sessions with colliding request ids and progress tokens send requests in a random interleaving; the upstream answers them, with a progress notification first, in a random order. Every session must get exactly one answer per request, with its own id and its own payload, and only its own progress.
*/
test('id and progress-token rewriting: no collisions, every reply and progress back to its session, across interleavings', t => {
	fc.assert(fc.property(
		fc.integer({min: 1, max: 5}),
		fc.array(fc.tuple(fc.nat(), fc.constantFrom<number | string>(1, 2, 'a', 'b', 3)), {minLength: 1, maxLength: 40}),
		fc.infiniteStream(fc.nat()),
		(sessionCount, sends, choices) => {
			let upstream: Subscriber<Message> | undefined;
			const pending: Loose[] = [];
			const transport: Transport = outgoing$ => new Observable<Message>(subscriber => {
				upstream = subscriber;
				return outgoing$.subscribe(message => {
					const loose = message as Loose;
					if (loose['method'] === 'initialize') {
						subscriber.next({jsonrpc: '2.0', id: loose['id'], result: {protocolVersion: '2025-11-25', capabilities: {}, serverInfo: {name: 's', version: '1'}}});
					} else if (loose['method'] === 'tools/call') {
						pending.push(loose);
					}
				});
			});
			const mux = multiplex(transport, {logger: createLogger({level: 'silent'})});
			const running = mux.run$.subscribe();
			const sessions = Array.from({length: sessionCount}, (_, index) => {
				const input = new Subject<Message>();
				const received: Loose[] = [];
				mux.session(`s${index}`)(input).subscribe(message => {
					received.push(message);
				});
				return {
					input, received, sent: [] as Array<{id: number | string; payload: string}>, usedIds: new Set<number | string>(),
				};
			});

			// Send: a session never reuses an id while it is in flight (the protocol forbids it), so skip such sends.
			for (const [pick, id] of sends) {
				const index = pick % sessionCount;
				const session = sessions[index]!;
				if (session.usedIds.has(id)) {
					continue;
				}

				session.usedIds.add(id);
				const payload = `s${index}:${String(id)}`;
				session.sent.push({id, payload});
				session.input.next({
					jsonrpc: '2.0', id, method: 'tools/call', params: {name: 'echo', arguments: {payload}, _meta: {progressToken: id}},
				});
			}

			const upstreamIds = new Set(pending.map(request => request['id']));
			t.is(upstreamIds.size, pending.length, 'upstream ids are unique');
			const tokens = new Set(pending.map(request => request['params']._meta.progressToken));
			t.is(tokens.size, pending.length, 'upstream progress tokens are unique');

			// Answer in a random order, each preceded by a progress notification.
			const iterator = choices[Symbol.iterator]();
			while (pending.length > 0) {
				const index = iterator.next().value! % pending.length;
				const [request] = pending.splice(index, 1);
				upstream!.next({jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: request!['params']._meta.progressToken, progress: 1, message: request!['params'].arguments.payload}});
				upstream!.next({jsonrpc: '2.0', id: request!['id'], result: {payload: request!['params'].arguments.payload}});
			}

			for (const session of sessions) {
				const responses = session.received.filter(message => 'result' in message);
				const progress = session.received.filter(message => message['method'] === 'notifications/progress');
				t.is(responses.length, session.sent.length);
				t.deepEqual(
					responses.map(response => [response['id'], response['result'].payload]).toSorted(byJson),
					session.sent.map(({id, payload}) => [id, payload]).toSorted(byJson),
				);
				t.deepEqual(
					progress.map(notification => [notification['params'].progressToken, notification['params'].message]).toSorted(byJson),
					session.sent.map(({id, payload}) => [id, payload]).toSorted(byJson),
				);
			}

			running.unsubscribe();
		},
	), {numRuns: 200});
});
