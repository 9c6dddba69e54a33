import {
	asyncScheduler,
	Observable,
	type SchedulerLike,
	type Subscriber,
	type Subscription,
} from 'rxjs';
import type {
	Message,
	Notification,
	Request,
	RequestId,
	TransportOperator,
} from '../types.js';
import {
	ConnectError,
	describeError,
	SessionExpiredError,
	errorCodes,
	hasCause,
	SignInError,
	TransportError,
} from '../errors.js';
import {stringifyJson} from '../wire/exact-numbers.js';
import {defaultLogger, type Logger} from '../logger.js';
import {
	cancelledNotification,
	errorResponse,
	isNotification,
	isRequest,
	isResponse,
} from '../wire/message.js';

export type ReconnectOptions = {
	/**
	The first delay before reconnecting, in milliseconds; it doubles after each failed attempt.

	@default 500
	*/
	initialDelay?: number;
	/**
	The longest delay between attempts, in milliseconds.

	@default 30000
	*/
	maxDelay?: number;
	/**
	How many client messages are held while the remote is away; beyond that, requests are answered with an error and notifications dropped.

	@default 1000
	*/
	maxQueuedMessages?: number;
	/**
	How long a reconnection waits for the remote to answer the replayed `initialize`, in milliseconds.

	@default 30000
	*/
	handshakeTimeout?: number;
	/**
	Which failures are worth reconnecting after. A transport that completes while the client is still there always is.

	@default error => error instanceof TransportError
	*/
	shouldRetry?: (error: unknown) => boolean;
	/**
	The source of jitter, a number in [0, 1). Each delay is drawn between half and all of the nominal delay.

	@default Math.random
	*/
	random?: () => number;
	/**
	@default asyncScheduler
	*/
	scheduler?: SchedulerLike;
	logger?: Logger;
};

type Connection = {
	/**
	Feeds the transport's outgoing messages.
	*/
	input: Subscriber<Message> | undefined;
	subscription: Subscription | undefined;
	/**
	The remote has answered on this connection.
	*/
	up: boolean;
	/**
	The id of our replayed `initialize`, until its answer.
	*/
	handshakeId: RequestId | undefined;
	handshakeTimer: Subscription | undefined;
	/**
	Client requests sent on this connection and not answered yet, by id.
	*/
	inFlight: Map<RequestId, Request>;
	/**
	Requests of the remote waiting for the client's answer.
	*/
	remoteRequests: Set<RequestId>;
	/**
	Requests we sent on the client's behalf (restored subscriptions, log level): their answers are not the client's.
	*/
	ownRequests: Set<RequestId>;
	/**
	This connection was made at once, without the backoff, because the remote forgot the last session.
	*/
	quick: boolean;
	/**
	The remote has answered a client request on this connection: its session was of use.
	*/
	answered: boolean;
};

type Queued = {
	message: Message;
	/**
	The number of attempts started when the message arrived: an attempt with a higher number began after it.
	*/
	mark: number;
};

const idPrefix = 'mcp-proxy-reconnect-';

function check(name: string, value: number, min: number): void {
	if (!Number.isFinite(value) || value < min) {
		throw new TypeError(`Expected \`${name}\` to be a number ≥ ${min}, got \`${value}\``);
	}
}

/**
Reconnect a transport that failed or closed, and re-handshake so the client never notices beyond a few errors.

The client's `initialize` request and `notifications/initialized` are remembered. When the connection is lost (the transport errors with a `TransportError`, or completes while the client is still there), requests that may have reached the remote are answered at once with an error (they are not sent twice); those that certainly were not processed (the `unsent` of a `ConnectError` or `SessionExpiredError`) are held. New messages are held too (up to `maxQueuedMessages`). After a delay that grows exponentially with jitter, from `initialDelay` to `maxDelay`, the transport is subscribed again, the remembered `initialize` replayed with an id of the proxy's own (its answer is swallowed), `notifications/initialized` sent, resource subscriptions and the log level restored, and the held messages flushed. The client then gets `list_changed` notifications so it refreshes its lists.

While the remote stays away, requests do not wait forever: a request held when a reconnection attempt fails is answered with an error saying the remote is unreachable, provided that attempt began after the request arrived; a request arriving between attempts brings the next attempt forward (to `initialDelay` after the last one). Notifications stay held. The proxy keeps trying until the client leaves.

@example
```
link(processStdio(), pipeTransport(remote({url}), reconnect({initialDelay: 500, maxDelay: 30_000})));
```
*/
export function reconnect(options: ReconnectOptions = {}): TransportOperator {
	const {
		initialDelay = 500,
		maxDelay = 30_000,
		maxQueuedMessages = 1000,
		handshakeTimeout = 30_000,
		shouldRetry = (error: unknown) => error instanceof TransportError,
		random = Math.random,
		scheduler = asyncScheduler,
		logger = defaultLogger,
	} = options;
	check('initialDelay', initialDelay, 0);
	check('maxDelay', maxDelay, initialDelay);
	check('maxQueuedMessages', maxQueuedMessages, 1);
	check('handshakeTimeout', handshakeTimeout, 1);

	return transport => outgoing$ => new Observable<Message>(subscriber => {
		let state: 'open' | 'connecting' | 'waiting' | 'closing' = 'open';
		let current: Connection | undefined;
		let queue: Queued[] = [];
		let attempts = 0;
		let failures = 0;
		let lastAttemptEnd = scheduler.now();
		let timer: Subscription | undefined;
		let due = 0;
		let handshakes = 0;
		let initializeRequest: Request | undefined;
		let clientInitializeId: RequestId | undefined;
		let initialized = false;
		let initializedNotification: Notification | undefined;
		const subscriptions = new Set<string>();
		let logLevel: Request | undefined;
		const staleRemoteRequests = new Set<RequestId>();
		let clientDone = false;
		let quickNext = false;

		const backoff = () => {
			const nominal = Math.min(maxDelay, initialDelay * (2 ** Math.min(failures, 30)));
			return (nominal / 2) + (random() * nominal / 2);
		};

		const schedule = (delay: number) => {
			timer?.unsubscribe();
			state = 'waiting';
			due = scheduler.now() + delay;
			timer = scheduler.schedule(() => {
				timer = undefined;
				attempt();
			}, delay);
		};

		/**
		A request that arrived after the last attempt started brings the next attempt forward.
		*/
		const hurry = () => {
			if (state !== 'waiting') {
				return;
			}

			const soonest = Math.max(scheduler.now(), lastAttemptEnd + initialDelay);
			if (soonest < due) {
				schedule(soonest - scheduler.now());
			}
		};

		const send = (connection: Connection, message: Message) => {
			if (isRequest(message)) {
				connection.inFlight.set(message.id, message);
			}

			connection.input?.next(message);
		};

		const enqueue = (message: Message, mark = attempts) => {
			if (isNotification(message) && message.method === 'notifications/cancelled') {
				// The request it cancels is held here, or was answered when the connection it went out on was lost.
				const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
				queue = queue.filter(entry => !(isRequest(entry.message) && entry.message.id === requestId));
				return;
			}

			if (queue.length >= maxQueuedMessages) {
				if (isRequest(message)) {
					const text = `The remote server is unreachable and ${maxQueuedMessages} messages are already waiting for it; \`${message.method}\` was not sent`;
					subscriber.next(errorResponse(message.id, errorCodes.overloaded, text));
				} else {
					logger.warning(`Dropped a message for the remote server: ${maxQueuedMessages} are already waiting for it to come back`);
				}

				return;
			}

			queue.push({message, mark});
			if (isRequest(message)) {
				hurry();
			}
		};

		const flush = (connection: Connection) => {
			// eslint-disable-next-line no-unmodified-loop-condition -- sending may lose the connection, which changes them.
			while (queue.length > 0 && current === connection && state === 'open') {
				send(connection, queue.shift()!.message);
			}
		};

		const fromClient = (message: Message) => {
			if (isRequest(message)) {
				switch (message.method) {
					case 'initialize': {
						initializeRequest = message;
						clientInitializeId = message.id;
						initialized = false;
						break;
					}

					case 'resources/subscribe':
					case 'resources/unsubscribe': {
						const uri = (message.params as {uri?: unknown} | undefined)?.uri;
						if (typeof uri === 'string') {
							if (message.method === 'resources/subscribe') {
								subscriptions.add(uri);
							} else {
								subscriptions.delete(uri);
							}
						}

						break;
					}

					case 'logging/setLevel': {
						logLevel = message;
						break;
					}

					default: {
						break;
					}
				}
			} else if (isNotification(message) && message.method === 'notifications/initialized') {
				initializedNotification = message;
			} else if (isResponse(message) && message.id !== undefined && message.id !== null) {
				if (staleRemoteRequests.delete(message.id)) {
					logger.debug(`Dropped the client's answer to request ${stringifyJson(message.id)} of a lost connection`);
					return;
				}

				current?.remoteRequests.delete(message.id);
			}

			if (state === 'open' && current) {
				send(current, message);
			} else {
				enqueue(message);
			}
		};

		const replayState = (connection: Connection) => {
			const own = (method: string, parameters: Record<string, unknown> | undefined) => {
				const id = `${idPrefix}${++handshakes}`;
				connection.ownRequests.add(id);
				connection.input?.next({
					jsonrpc: '2.0', id, method, ...(parameters ? {params: parameters} : {}),
				});
			};

			if (logLevel) {
				own('logging/setLevel', logLevel.params);
			}

			for (const uri of subscriptions) {
				own('resources/subscribe', {uri});
			}
		};

		const handshakeDone = (connection: Connection, result: Record<string, unknown>) => {
			connection.up = true;
			failures = 0;
			state = 'open';
			if (initializedNotification) {
				connection.input?.next(initializedNotification);
			}

			replayState(connection);
			logger.info('Reconnected to the remote server');
			const capabilities = (result['capabilities'] ?? {}) as Record<string, {listChanged?: unknown} | undefined>;
			for (const capability of ['tools', 'prompts', 'resources'] as const) {
				if (capabilities[capability]?.listChanged === true) {
					subscriber.next({jsonrpc: '2.0', method: `notifications/${capability}/list_changed`});
				}
			}

			flush(connection);
		};

		const fromRemote = (connection: Connection, message: Message) => {
			if (connection !== current) {
				return;
			}

			if (isResponse(message)) {
				const {id} = message;
				if (connection.handshakeId !== undefined && id === connection.handshakeId) {
					connection.handshakeId = undefined;
					connection.handshakeTimer?.unsubscribe();
					if ('error' in message) {
						lost(connection, new TransportError(`The remote server refused the replayed initialize: ${message.error.message}`));
					} else {
						handshakeDone(connection, message.result);
					}

					return;
				}

				if (id !== undefined && id !== null && connection.ownRequests.delete(id)) {
					if ('error' in message) {
						logger.debug(`Restoring session state after reconnecting failed: ${message.error.message}`);
					}

					return;
				}

				if (id !== undefined && id !== null) {
					if (connection.inFlight.delete(id)) {
						connection.answered = true;
					}

					if (id === clientInitializeId) {
						clientInitializeId = undefined;
						initialized = 'result' in message;
					}
				}
			} else if (isRequest(message)) {
				connection.remoteRequests.add(message.id);
				staleRemoteRequests.delete(message.id);
			}

			if (!connection.up) {
				connection.up = true;
				failures = 0;
			}

			subscriber.next(message);
		};

		/**
		Answer the requests in flight on a lost connection, except those that certainly were not processed, which are returned to be sent again.
		*/
		const settleInFlight = (connection: Connection, error: unknown, cause: string, unreachable: string): Queued[] => {
			const unsent = new Set<RequestId>();
			if (error instanceof ConnectError || error instanceof SessionExpiredError) {
				for (const message of error.unsent) {
					if (isRequest(message)) {
						unsent.add(message.id);
					}
				}
			}

			const requeued: Queued[] = [];
			for (const [id, request] of connection.inFlight) {
				if (connection.up && unsent.has(id)) {
					// It never left: send it after the re-handshake.
					requeued.push({message: request, mark: attempts});
				} else if (connection.up) {
					subscriber.next(errorResponse(id, errorCodes.connectionClosed, `The connection to the remote server was lost; the request may or may not have been processed (${cause})`));
				} else {
					subscriber.next(errorResponse(id, errorCodes.upstreamUnavailable, unreachable));
				}
			}

			return requeued;
		};

		/**
		Log a lost connection and count it; requests held since before a failed attempt are answered. Returns whether to make a new session at once: the remote forgot the session but is up (it answered 404), unless this session was itself made at once and forgotten before it was of any use (a remote that refuses every session), which is a failed attempt.
		*/
		function reportLoss(connection: Connection, error: unknown, cause: string, unreachable: string): boolean {
			const forgotten = connection.up && error instanceof SessionExpiredError;
			const atOnce = forgotten && (!connection.quick || connection.answered);
			if (atOnce) {
				logger.warning(`Lost the session with the remote server (${cause}); initializing a new one at once`);
			} else if (forgotten) {
				failures++;
				logger.warning(`The remote server forgot the new session too (${cause}); reconnecting after a delay`);
			} else if (connection.up) {
				logger.warning(`Lost the connection to the remote server (${cause}); reconnecting`);
			} else {
				failures++;
				const kept: Queued[] = [];
				for (const entry of queue) {
					// Requests that arrived before this attempt began have had their chance.
					if (isRequest(entry.message) && entry.mark < attempts) {
						subscriber.next(errorResponse(entry.message.id, errorCodes.upstreamUnavailable, unreachable));
					} else {
						kept.push(entry);
					}
				}

				queue = kept;
				if (attempts === 1) {
					logger.error(`Cannot connect to the remote server (${cause}); the proxy keeps trying`);
				} else {
					logger.warning(`Reconnection attempt ${attempts - 1} failed (${cause})`);
				}
			}

			return atOnce;
		}

		function lost(connection: Connection, error: unknown) {
			if (connection !== current) {
				return;
			}

			current = undefined;
			connection.handshakeTimer?.unsubscribe();
			connection.subscription?.unsubscribe();
			lastAttemptEnd = scheduler.now();
			if (clientDone) {
				state = 'closing';
				subscriber.complete();
				return;
			}

			if (error !== undefined && !shouldRetry(error)) {
				subscriber.error(error);
				return;
			}

			const cause = error === undefined ? 'the remote server closed the connection' : describeError(error);
			for (const id of connection.remoteRequests) {
				staleRemoteRequests.add(id);
				subscriber.next(cancelledNotification(id, 'The connection to the remote server was lost'));
			}

			const unreachable = `The remote server is unreachable (${cause}); the proxy keeps trying to reconnect`;
			const requeued = settleInFlight(connection, error, cause, unreachable);
			queue = [...requeued, ...queue];
			const atOnce = reportLoss(connection, error, cause, unreachable);
			if (subscriber.closed) {
				return;
			}

			if (hasCause(error, SignInError) && !queue.some(entry => isRequest(entry.message))) {
				// Nobody completed the sign-in: the next client request tries again (and asks again), not a timer.
				timer?.unsubscribe();
				timer = undefined;
				state = 'waiting';
				due = Number.POSITIVE_INFINITY;
				logger.warning('The sign-in was not completed; the next request will ask again');
				return;
			}

			quickNext = atOnce;
			schedule(atOnce ? 0 : backoff());
			if (queue.some(entry => isRequest(entry.message))) {
				hurry();
			}
		}

		function attempt() {
			attempts++;
			state = 'connecting';
			const connection: Connection = {
				input: undefined,
				subscription: undefined,
				up: false,
				handshakeId: undefined,
				handshakeTimer: undefined,
				inFlight: new Map(),
				remoteRequests: new Set(),
				ownRequests: new Set(),
				quick: quickNext,
				answered: false,
			};
			quickNext = false;
			current = connection;
			const input$ = new Observable<Message>(input => {
				connection.input = input;
				return () => {
					connection.input = undefined;
				};
			});
			const replay = initialized && initializeRequest !== undefined;
			if (!replay) {
				state = 'open';
			}

			connection.subscription = transport(input$).subscribe({
				next(message) {
					fromRemote(connection, message);
				},
				error(error: unknown) {
					lost(connection, error);
				},
				complete() {
					if (clientDone && connection === current) {
						current = undefined;
						subscriber.complete();
						return;
					}

					lost(connection, undefined);
				},
			});
			if (connection !== current) {
				return;
			}

			if (replay) {
				logger.debug(`Reconnection attempt ${attempts - 1}: initializing a new session`);
				const id = `${idPrefix}${++handshakes}`;
				connection.handshakeId = id;
				connection.handshakeTimer = scheduler.schedule(() => {
					lost(connection, new TransportError(`The remote server did not answer the replayed initialize within ${handshakeTimeout} ms`));
				}, handshakeTimeout);
				connection.input?.next({...initializeRequest!, id});
			} else {
				flush(connection);
			}
		}

		const clientSubscription = outgoing$.subscribe({
			next: fromClient,
			error(error: unknown) {
				subscriber.error(error);
			},
			complete() {
				clientDone = true;
				if (state === 'open' && current) {
					current.input?.complete();
					return;
				}

				// Nobody is left to answer: stop trying.
				timer?.unsubscribe();
				current?.subscription?.unsubscribe();
				current = undefined;
				state = 'closing';
				subscriber.complete();
			},
		});

		attempt();

		return () => {
			timer?.unsubscribe();
			clientSubscription.unsubscribe();
			if (current) {
				current.handshakeTimer?.unsubscribe();
				current.subscription?.unsubscribe();
				current = undefined;
			}
		};
	});
}
