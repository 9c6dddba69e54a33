import {Observable, type Subscriber} from 'rxjs';

/*
The one place that holds an inner subscriber: a one-subscriber pipe between a push source and the Observable that carries it on. `link` joins two transports with two of them; anything else that must hand values to a subscriber that may not be there yet uses it too.
*/

/**
A one-subscriber pipe that holds what is pushed into it until its subscriber arrives, so a value pushed synchronously while the other side is still subscribing is not lost. A second subscriber at once gets an error; after the subscriber leaves, what is pushed is held again for the next one.

@example
```
const channel = new Channel<Message>();
channel.next(message); // held
channel.observable.subscribe(console.log); // logs it
channel.complete();
```
*/
export class Channel<T> {
	readonly observable = new Observable<T>(subscriber => {
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

	private subscriber: Subscriber<T> | undefined;
	private buffer: T[] | undefined = [];
	private completed = false;

	next(message: T): void {
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
