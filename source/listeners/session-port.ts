import {Observable, type Subscriber, type Subscription} from 'rxjs';
import type {
	Message, RequestId, Response, Transport,
} from '../types.js';
import {LimitError} from '../errors.js';
import {isErrorResponse, isRequest, isResponse} from '../wire/message.js';
import type {Payload} from './payload.js';
import type {BudgetHolder, QueueBudget} from './queue-budget/index.js';
import type {SseStream, StreamOwner} from './sse-writer.js';

/**
A client session accepted by the HTTP listener.
*/
export type Session = {
	/**
	Random, cryptographically strong, visible ASCII: the `Mcp-Session-Id` for Streamable HTTP, the `session_id` for legacy SSE, a fresh id per request when stateless.
	*/
	id: string;
	/**
	The named server this session is for; `''` for the default server (`/mcp`, `/sse`, `/messages/`).
	*/
	server: string;
	face: 'streamable-http' | 'sse';
	/**
	Whether this is a stateless Streamable HTTP request (one request, no session).
	*/
	stateless: boolean;
	/**
	Messages from the HTTP client come out of it; messages given to it go to the client.
	*/
	transport: Transport;
};

/**
Why a session ended. `refused`: the backend answered its `initialize` with an error. `uninitialized`: its client did not complete initialization in time, or its half-open session made room for another. `overloaded`: it held more than the queue budget in messages that cannot be shed.
*/
export type SessionEndReason = 'deleted' | 'client-closed' | 'backend-ended' | 'unsubscribed' | 'idle' | 'listener-closed' | 'answered' | 'refused' | 'uninitialized' | 'overloaded';

/**
How many client messages may wait for the session's transport to be subscribed.
*/
const maxWaitingMessages = 1000;

/**
The plumbing shared by both faces: a session's transport, the client's messages waiting for it to be subscribed, its share of the listener's queue budget, and its end. A face subclasses it and routes what the backend sends (`route`) to its HTTP responses.
*/
export abstract class SessionPort implements StreamOwner, BudgetHolder {
	readonly session: Session;
	/**
	When the client last did something; the idle reaper reads it.
	*/
	lastActivity = Date.now();
	ended = false;
	/**
	The client's address, which the table counts sessions by.
	*/
	client = '';
	/**
	Whether the client completed initialization: it sent something after its `initialize` (`notifications/initialized`, as the protocol asks, or any other message). A stateless request has nothing to complete. Until then the session is half-open, and the table ends it soon if the client goes quiet.
	*/
	initialized: boolean;
	/**
	Called once when the session ends, so the table forgets it.
	*/
	onEnd: ((port: SessionPort, reason: SessionEndReason) => void) | undefined;
	/**
	Bytes of the messages this session holds for its client (queued, in its sockets, kept for resumption), counted once per place.
	*/
	heldBytes = 0;
	/**
	Its open SSE streams, oldest first (a stream ending after the session still drains).
	*/
	protected readonly streams = new Set<SseStream>();
	protected readonly budget: QueueBudget<SessionPort> | undefined;

	private initializeId: RequestId | undefined;

	private subscriber: Subscriber<Message> | undefined;
	private waiting: Message[] | undefined = [];
	private subscribed = false;
	private outgoing: Subscription | undefined;

	constructor(id: string, server: string, face: Session['face'], options: {stateless: boolean; budget?: QueueBudget<SessionPort>}) {
		const {stateless, budget} = options;
		this.budget = budget;
		budget?.add(this);
		this.initialized = stateless;
		this.session = {
			id,
			server,
			face,
			stateless,
			transport: outgoing$ => new Observable<Message>(subscriber => {
				if (this.subscribed) {
					subscriber.error(new Error(`The transport of session ${id} was subscribed twice`));
					return;
				}

				this.subscribed = true;
				if (this.ended) {
					subscriber.complete();
					return;
				}

				this.subscriber = subscriber;
				this.outgoing = outgoing$.subscribe({
					next: message => {
						if (this.ended) {
							return;
						}

						if (this.initialized || !isResponse(message)) {
							this.route(message);
							return;
						}

						this.routeHandshake(message);
					},
					error: () => {
						this.end('backend-ended');
					},
					complete: () => {
						this.end('backend-ended');
					},
				});

				const waiting = this.waiting!;
				this.waiting = undefined;
				for (const message of waiting) {
					if (subscriber.closed) {
						break;
					}

					subscriber.next(message);
				}

				return () => {
					this.subscriber = undefined;
					this.outgoing?.unsubscribe();
					this.outgoing = undefined;
					this.end('unsubscribed');
				};
			}),
		};
	}

	get id(): string {
		return this.session.id;
	}

	hold(payload: Payload): void {
		this.heldBytes += payload.size;
		this.budget?.hold(payload);
	}

	release(payload: Payload): void {
		this.heldBytes -= payload.size;
		this.budget?.release(payload);
	}

	addStream(stream: SseStream): void {
		this.streams.add(stream);
	}

	deleteStream(stream: SseStream): void {
		this.streams.delete(stream);
		if (this.ended && this.streams.size === 0) {
			this.budget?.delete(this);
		}
	}

	/**
	Close the session because it holds more than the queue budget allows: its streams are cut (the client sees the connection drop, and a resumption finds no session), then it ends.
	*/
	cut(): void {
		for (const stream of this.streams) {
			stream.onClose = undefined;
			stream.destroy();
		}

		this.end('overloaded');
	}

	/**
	Whether the session has a live HTTP stream or a request waiting for its answer: such a session is not idle.
	*/
	abstract get busy(): boolean;

	/**
	Whether a request of the client's still waits for its answer, with the client there to take it: a half-open session doing so is not abandoned (a shared server may take a while to start).
	*/
	abstract get awaitingAnswer(): boolean;

	/**
	Hand a message from the HTTP client to the backend. Throws a `LimitError` when too many wait for the transport to be subscribed.
	*/
	receive(message: Message): void {
		if (this.ended) {
			return;
		}

		if (!this.initialized) {
			if (isRequest(message) && message.method === 'initialize') {
				this.initializeId = message.id;
			} else {
				this.initialized = true;
			}
		}

		if (this.waiting) {
			if (this.waiting.length >= maxWaitingMessages) {
				throw new LimitError(`Session ${this.session.id}: ${maxWaitingMessages} messages are waiting for the backend`);
			}

			this.waiting.push(message);
			return;
		}

		this.subscriber?.next(message);
	}

	/**
	End the session: the face closes its streams, the table forgets the id, and the client's messages complete (the backend then closes gracefully).
	*/
	end(reason: SessionEndReason): void {
		if (this.ended) {
			return;
		}

		this.ended = true;
		this.waiting = undefined;
		this.close(reason);
		if (this.streams.size === 0) {
			// Streams still draining keep it in the budget until they stop.
			this.budget?.delete(this);
		}

		this.onEnd?.(this, reason);
		const {subscriber} = this;
		this.subscriber = undefined;
		subscriber?.complete();
	}

	/**
	Let go of the session's oldest notification wherever it holds it. Returns its size, 0 when it holds none.
	*/
	abstract shedOne(): number;

	/**
	Deliver a message from the backend to the client.
	*/
	protected abstract route(message: Message): void;

	/**
	Close the face's streams; pending requests get an error where someone still listens.
	*/
	protected abstract close(reason: SessionEndReason): void;

	/**
	A response before the client completed initialization: the answer to its `initialize` starts the time it has to complete it, and a refusal ends the session at once (nothing can be done in it).
	*/
	private routeHandshake(message: Response): void {
		this.lastActivity = Date.now();
		this.route(message);
		if (this.initializeId !== undefined && message.id === this.initializeId && isErrorResponse(message)) {
			this.end('refused');
		}
	}
}
