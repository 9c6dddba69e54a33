/*
The `closeWhen` operator: close a transport gracefully on a signal (its input completes) and answer at once, with an error, the requests that come after.
*/
import {
	Observable, Subscription, take, type Subscriber,
} from 'rxjs';
import type {Message, TransportOperator} from '../types.js';
import {errorCodes} from '../errors.js';
import {errorResponse, isRequest} from '../wire/message.js';

/**
Close a transport gracefully when `signal$` emits: its outgoing messages complete, so it closes the way it closes when the client leaves (a child's input closes, an HTTP session is deleted), and a `guardRequests` inside answers every request still waiting. Requests that come after that are answered at once with an error naming `reason`; the transport's messages keep flowing until it has closed.

This is how a proxy stops on a signal without leaving a request unanswered: the other side stays open until the answers are out.

@example
```
const stop$ = fromEvent(process, 'SIGTERM');
link(processStdio(), pipeTransport(remote({url}), guardRequests(), closeWhen(stop$)));
```
*/
export function closeWhen(signal$: Observable<unknown>, reason = 'The proxy is shutting down'): TransportOperator {
	return transport => outgoing$ => new Observable<Message>(subscriber => {
		let closing = false;
		let input: Subscriber<Message> | undefined;
		const subscription = new Subscription();
		const close = () => {
			if (!closing) {
				closing = true;
				input?.complete();
			}
		};

		subscription.add(transport(new Observable<Message>(inner => {
			input = inner;
			if (closing) {
				inner.complete();
			}

			return () => {
				input = undefined;
			};
		})).subscribe(subscriber));
		subscription.add(signal$.pipe(take(1)).subscribe(close));
		subscription.add(outgoing$.subscribe({
			next(message) {
				if (!closing) {
					input?.next(message);
				} else if (isRequest(message)) {
					subscriber.next(errorResponse(message.id, errorCodes.connectionClosed, `${reason}; \`${message.method}\` was not sent`));
				}
			},
			error(error: unknown) {
				input?.error(error);
			},
			complete: close,
		}));
		return subscription;
	});
}
