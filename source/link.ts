import {Observable, Subscription, type Subscriber} from 'rxjs';
import type {Message, Transport, TransportOperator} from './types.js';

/**
A one-subscriber pipe that holds what is pushed into it until its subscriber arrives, so a message that one side emits synchronously while the other side is still subscribing is not lost.
*/
class Channel {
	readonly observable = new Observable<Message>(subscriber => {
		if (this.subscriber) {
			subscriber.error(new Error('A transport subscribed twice to its outgoing messages'));
			return;
		}

		this.subscriber = subscriber;
		const buffer = this.buffer!;
		// Drain in order; a message pushed during the drain joins the end of the buffer.
		for (const element of buffer) {
			subscriber.next(element);
		}

		this.buffer = undefined;
		if (this.completed) {
			subscriber.complete();
		}

		return () => {
			this.subscriber = undefined;
			this.buffer = [];
		};
	});

	private subscriber: Subscriber<Message> | undefined;
	private buffer: Message[] | undefined = [];
	private completed = false;

	next(message: Message): void {
		if (this.buffer) {
			this.buffer.push(message);
		} else {
			this.subscriber?.next(message);
		}
	}

	complete(): void {
		if (this.completed) {
			return;
		}

		this.completed = true;
		if (!this.buffer) {
			this.subscriber?.complete();
		}
	}
}

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
		const toA = new Channel();
		const toB = new Channel();
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
