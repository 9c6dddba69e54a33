/*
The answer lane of a client transport: its notifications and its answers to the server's requests are POSTed a few at a time, so that a server flooding requests of its own cannot take every connection from the client's requests.
*/
import type {Logger} from '../logger.js';
import type {Message} from '../types.js';

/**
How many notifications and answers a client transport POSTs at once, and how many more may wait for their turn.
*/
export const maxConcurrentAnswers = 16;
export const maxWaitingAnswers = 10_000;

/**
The POSTs of a client transport's notifications and answers (to the server's requests): at most `maxConcurrentAnswers` at once, the others waiting in order, at most `maxWaitingAnswers` of them (beyond that they are dropped, and logged). A server that floods requests of its own, each answered with a POST, thus cannot take every connection of the pool: the client's own requests, which do not go through the lane, always find one.
*/
export class AnswerLane {
	private active = 0;
	private readonly waiting: Array<Message | undefined> = [];
	private head = 0;
	private dropped = 0;
	private idleWaiters: Array<() => void> = [];
	private readonly post: (message: Message) => Promise<void>;
	private readonly logger: Logger;
	/**
	One message is done: the next one's turn (one function for every message).
	*/
	private readonly next: () => void;

	/**
	@param post POST a message; the promise must not reject.
	*/
	constructor(post: (message: Message) => Promise<void>, logger: Logger) {
		this.post = post;
		this.logger = logger;
		this.next = () => {
			this.active--;
			const message = this.shift();
			if (message) {
				this.run(message);
			} else if (this.active === 0) {
				this.settle();
			}
		};
	}

	send(message: Message): void {
		if (this.active < maxConcurrentAnswers) {
			this.run(message);
			return;
		}

		if (this.waiting.length - this.head >= maxWaitingAnswers) {
			if (this.dropped === 0) {
				this.logger.error(`${maxWaitingAnswers} messages already wait to be sent to the remote server, which sends requests faster than it takes their answers; dropping the next ones`);
			}

			this.dropped++;
			return;
		}

		this.waiting.push(message);
	}

	/**
	Resolves once no message waits or is being sent.
	*/
	async idle(): Promise<void> {
		if (this.active === 0 && this.head === this.waiting.length) {
			return;
		}

		await new Promise<void>(resolve => {
			this.idleWaiters.push(resolve);
		});
	}

	/**
	The transport ended: the waiting messages are not sent.
	*/
	clear(): void {
		this.waiting.length = 0;
		this.head = 0;
		if (this.active === 0) {
			this.settle();
		}
	}

	private run(message: Message): void {
		this.active++;
		void this.post(message).finally(this.next);
	}

	private shift(): Message | undefined {
		if (this.head === this.waiting.length) {
			return undefined;
		}

		const message = this.waiting[this.head];
		this.waiting[this.head++] = undefined;
		if (this.head === this.waiting.length) {
			this.waiting.length = 0;
			this.head = 0;
		} else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
			this.waiting.splice(0, this.head);
			this.head = 0;
		}

		return message;
	}

	private settle(): void {
		if (this.dropped > 0) {
			this.logger.warning(`Dropped ${this.dropped} messages for the remote server while too many waited to be sent`);
			this.dropped = 0;
		}

		const waiters = this.idleWaiters;
		this.idleWaiters = [];
		for (const wake of waiters) {
			wake();
		}
	}
}
