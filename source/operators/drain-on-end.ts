/*
The `drainOnEnd` operator: when the client's messages end, keep the transport open until the requests it sent are answered, within a grace period, then close it.
*/
import {
	asyncScheduler, Observable, Subscription, type SchedulerLike, type Subscriber,
} from 'rxjs';
import type {Message, RequestId, TransportOperator} from '../types.js';
import {isNotification, isRequest, isResponse} from '../wire/message.js';

export type DrainOnEndOptions = {
	/**
	Milliseconds to wait, after the client's messages end, for the answers to its requests still in flight. When they are all in, or this passes, the transport closes (and a `guardRequests` inside answers what is left with an error).

	@default 30000
	*/
	grace?: number;
	/**
	@default asyncScheduler
	*/
	scheduler?: SchedulerLike;
};

/**
When the client's messages end (standard input closed, as in `echo REQUEST | mcp-proxy URL`), close the transport only once the requests it sent have been answered, within `grace`: a client that writes its requests and closes its end still gets its answers. A request the client cancelled is not waited for.

@example
```
link(processStdio(), pipeTransport(remote({url}), guardRequests(), drainOnEnd({grace: 10_000})));
```
*/
export function drainOnEnd(options: DrainOnEndOptions = {}): TransportOperator {
	const {grace = 30_000, scheduler = asyncScheduler} = options;
	if (!Number.isFinite(grace) || grace < 0) {
		throw new TypeError(`Expected \`grace\` to be a finite number of milliseconds >= 0, got \`${String(grace)}\``);
	}

	return transport => outgoing$ => new Observable<Message>(subscriber => {
		const pending = new Set<RequestId>();
		let input: Subscriber<Message> | undefined;
		let ended = false;
		let closed = false;
		let timer: Subscription | undefined;
		const close = () => {
			if (!closed) {
				closed = true;
				timer?.unsubscribe();
				input?.complete();
			}
		};

		const subscription = new Subscription();
		subscription.add(transport(new Observable<Message>(inner => {
			input = inner;
			if (closed) {
				inner.complete();
			}

			return () => {
				input = undefined;
			};
		})).subscribe({
			next(message) {
				subscriber.next(message);
				if (isResponse(message) && pending.delete(message.id!) && ended && pending.size === 0) {
					close();
				}
			},
			error(error: unknown) {
				subscriber.error(error);
			},
			complete() {
				subscriber.complete();
			},
		}));
		subscription.add(outgoing$.subscribe({
			next(message) {
				if (isRequest(message)) {
					pending.add(message.id);
				} else if (isNotification(message) && message.method === 'notifications/cancelled') {
					const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
					if (requestId !== undefined) {
						pending.delete(requestId);
					}
				}

				input?.next(message);
			},
			error(error: unknown) {
				input?.error(error);
			},
			complete() {
				ended = true;
				if (pending.size === 0) {
					close();
				} else {
					timer = scheduler.schedule(close, grace);
				}
			},
		}));
		subscription.add(() => {
			timer?.unsubscribe();
		});
		return subscription;
	});
}
