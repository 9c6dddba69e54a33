/*
Joining transports: `link` runs two transports as a cycle (what one receives, the other sends) and `pipeTransport` applies operators to one.
*/
import {Observable, Subscription} from 'rxjs';
import {Channel} from './channel.js';
import type {Message, Transport, TransportOperator} from './types.js';

/**
Connect two transports into a cycle: what one receives, the other sends.

Subscribing runs the bridge; unsubscribing tears down both sides. The link errors when either side errors. When one side completes (its peer closed), the other side's outgoing messages complete, so it closes gracefully, and the link completes once that side has completed too.

@example
```
link(processStdio(), spawnStdio({command: 'node', args: ['server.js']})).subscribe();
```
*/
export function link(a: Transport, b: Transport): Observable<never> {
	return new Observable<never>(subscriber => {
		const toA = new Channel<Message>();
		const toB = new Channel<Message>();
		const subscription = new Subscription();
		let doneA = false;
		let doneB = false;

		const settle = () => {
			if (doneA && doneB) {
				subscriber.complete();
			}
		};

		const a$ = a(toA.observable);
		const b$ = b(toB.observable);

		subscription.add(b$.subscribe({
			next(message) {
				toA.next(message);
			},
			error(error: unknown) {
				subscriber.error(error);
			},
			complete() {
				doneB = true;
				toA.complete();
				settle();
			},
		}));

		if (subscriber.closed) {
			return subscription;
		}

		subscription.add(a$.subscribe({
			next(message) {
				toB.next(message);
			},
			error(error: unknown) {
				subscriber.error(error);
			},
			complete() {
				doneA = true;
				toB.complete();
				settle();
			},
		}));

		return subscription;
	});
}

/**
Apply transport operators left to right.

@example
```
const upstream = pipeTransport(remote({url}), withAuth(auth), reconnect(), tapMessages(sink));
```
*/
export function pipeTransport(transport: Transport, ...operators: TransportOperator[]): Transport {
	let result = transport;
	for (const operator of operators) {
		result = operator(result);
	}

	return result;
}
