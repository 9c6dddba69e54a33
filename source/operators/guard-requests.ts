import {
	asyncScheduler,
	Observable,
	type SchedulerLike,
	type Subscription,
} from 'rxjs';
import type {Message, RequestId, TransportOperator} from '../types.js';
import {describeError, errorCodes, McpProxyError} from '../errors.js';
import {IdMap, rememberId, shownId} from '../wire/id-map.js';
import {defaultLogger, type Logger} from '../logger.js';
import {
	cancelledNotification,
	errorResponse,
	isNotification,
	isRequest,
	isResponse,
	progressTokenOf,
} from '../wire/message.js';

export type GuardRequestsOptions = {
	/**
	Milliseconds a request may wait for its response before it is answered with a timeout error and cancelled upstream (`notifications/cancelled`). `0` waits forever.

	@default 0
	*/
	timeout?: number;
	/**
	Whether a progress notification for a request restarts its timeout.

	@default true
	*/
	resetTimeoutOnProgress?: boolean;
	/**
	Names the peer in error messages.

	@default 'the server'
	*/
	peerName?: string;
	/**
	@default asyncScheduler
	*/
	scheduler?: SchedulerLike;
	/**
	Where dropped answers are reported (at warning level).
	*/
	logger?: Logger;
};

type Pending = {
	method: string;
	deadline: number;
	token: string | number | undefined;
};

const maxRemembered = 10_000;
/**
How many of the peer's requests may wait for the client's answer; beyond that, the oldest is forgotten (its answer, if it ever comes, is dropped).
*/
const maxPeerRequests = 100_000;

/**
Make sure every request sent through a transport gets exactly one response, in both directions. When the transport ends (its peer closed, crashed or could not be reached), each request still waiting is answered with a JSON-RPC error naming the cause, before the end propagates. With a `timeout`, a request that waits too long is answered with a timeout error and cancelled upstream; its late response, if one comes, is dropped.

Answers nobody waits for are dropped and logged at warning level with their id: one from the peer to a request the client never sent or that was answered already (a second answer), and one from the client to a request the peer never sent or that the client answered already. Late answers are not warned about: the peer's answer to a request the client cancelled or that timed out is dropped, and the client's answer to a request the peer cancelled is passed on (for the peer to ignore).

@example
```
link(processStdio(), pipeTransport(spawnStdio({command: 'node', args: ['server.js']}), guardRequests({timeout: 60_000})));
```
*/
export function guardRequests(options: GuardRequestsOptions = {}): TransportOperator {
	const {
		timeout = 0,
		resetTimeoutOnProgress = true,
		peerName = 'the server',
		scheduler = asyncScheduler,
		logger = defaultLogger,
	} = options;
	if (!Number.isFinite(timeout) || timeout < 0) {
		throw new TypeError(`Expected \`timeout\` to be a number of milliseconds ≥ 0, got \`${timeout}\``);
	}

	return transport => outgoing$ => new Observable<Message>(subscriber => {
		const pending = new IdMap<RequestId, Pending>();
		const tokens = new IdMap<string | number, RequestId>();
		const expired = new Set<RequestId>();
		/**
		The peer's requests waiting for the client's answer, and those the peer cancelled since (their late answer may still come).
		*/
		const peerRequests = new Set<RequestId>();
		const peerCancelled = new Set<RequestId>();
		let warnedFull = false;
		let injectInto: ((message: Message) => void) | undefined;
		let sweep: Subscription | undefined;

		const forget = (id: RequestId) => {
			const entry = pending.get(id);
			if (entry) {
				pending.delete(id);
				if (entry.token !== undefined) {
					tokens.delete(entry.token);
				}
			}

			return entry;
		};

		const scheduleSweep = () => {
			if (sweep !== undefined || timeout === 0 || pending.size === 0) {
				return;
			}

			let next = Number.POSITIVE_INFINITY;
			for (const entry of pending.values()) {
				next = Math.min(next, entry.deadline);
			}

			sweep = scheduler.schedule(() => {
				sweep = undefined;
				const now = scheduler.now();
				for (const [id, entry] of pending.entries()) {
					// A snapshot: an entry answered meanwhile is gone from `pending`.
					if (entry.deadline <= now && pending.get(id) === entry) {
						forget(id);
						rememberId(expired, id, maxRemembered);
						subscriber.next(errorResponse(id, errorCodes.requestTimeout, `Request timed out: ${peerName} did not answer \`${entry.method}\` within ${timeout} ms`));
						injectInto?.(cancelledNotification(id, 'Request timed out in the proxy'));
					}
				}

				scheduleSweep();
			}, Math.max(0, next - scheduler.now()));
		};

		/**
		Whether an answer of the client's is owed to the peer: not to a request the peer never sent, nor a second answer.
		*/
		const owedToPeer = (id: RequestId | undefined) => {
			if (id !== undefined && id !== null && (peerRequests.delete(id) || peerCancelled.delete(id))) {
				return true;
			}

			logger.warning(`Dropped an answer from the client to request ${shownId(id)}: ${peerName} sent no such request, or it was answered already`);
			return false;
		};

		/**
		Whether an answer of the peer's is owed to the client (a request's first answer), else why it is dropped.
		*/
		const owedToClient = (message: Message & {id?: RequestId}) => {
			const {id} = message;
			if (id !== undefined && id !== null && forget(id) !== undefined) {
				return true;
			}

			if (id === undefined || id === null || !expired.delete(id)) {
				const error = 'error' in message ? ` (an error: ${String((message.error as {message?: unknown}).message).slice(0, 200)})` : '';
				logger.warning(`Dropped an answer from ${peerName} to request ${shownId(id)}${error}: the client sent no such request, or it was answered already`);
			}

			return false;
		};

		const onPeerRequestsChange = (message: Message) => {
			if (isRequest(message)) {
				if (peerRequests.size >= maxPeerRequests && !warnedFull) {
					warnedFull = true;
					logger.warning(`${maxPeerRequests} requests of ${peerName} wait for the client's answer; the oldest are forgotten (their answers will be dropped)`);
				}

				rememberId(peerRequests, message.id, maxPeerRequests);
				// An id the peer takes again (a new session after a reconnection starts over) is no longer a cancelled one.
				peerCancelled.delete(message.id);
			} else if (isNotification(message)) {
				const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
				if (requestId !== undefined && peerRequests.delete(requestId)) {
					rememberId(peerCancelled, requestId, maxRemembered);
				}
			}
		};

		const settleAll = (reason: string, code: number) => {
			for (const [id, entry] of pending.entries()) {
				if (forget(id) === undefined) {
					continue;
				}

				subscriber.next(errorResponse(id, code, `${reason} (while waiting for the answer to \`${entry.method}\`)`));
			}
		};

		const upstream$ = new Observable<Message>(inner => {
			injectInto = message => {
				inner.next(message);
			};

			const subscription = outgoing$.subscribe({
				next(message) {
					if (isRequest(message)) {
						const token = progressTokenOf(message);
						pending.set(message.id, {method: message.method, deadline: scheduler.now() + timeout, token});
						if (token !== undefined) {
							tokens.set(token, message.id);
						}

						scheduleSweep();
					} else if (isNotification(message) && message.method === 'notifications/cancelled') {
						const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
						if (requestId !== undefined && forget(requestId)) {
							// The server should not answer a cancelled request; if it does, drop the answer.
							rememberId(expired, requestId, maxRemembered);
						}
					} else if (isResponse(message) && !owedToPeer(message.id)) {
						return;
					}

					inner.next(message);
				},
				error(error: unknown) {
					inner.error(error);
				},
				complete() {
					inner.complete();
				},
			});

			return () => {
				injectInto = undefined;
				subscription.unsubscribe();
			};
		});

		const subscription = transport(upstream$).subscribe({
			next(message) {
				if (isResponse(message)) {
					if (!owedToClient(message)) {
						return;
					}
				} else if (isRequest(message) || (peerRequests.size > 0 && isNotification(message) && message.method === 'notifications/cancelled')) {
					onPeerRequestsChange(message);
				} else if (resetTimeoutOnProgress && timeout > 0 && isNotification(message) && message.method === 'notifications/progress') {
					const token = (message.params as {progressToken?: string | number} | undefined)?.progressToken;
					const id = token === undefined ? undefined : tokens.get(token);
					const entry = id === undefined ? undefined : pending.get(id);
					if (entry) {
						entry.deadline = scheduler.now() + timeout;
					}
				}

				subscriber.next(message);
			},
			error(error: unknown) {
				const code = error instanceof McpProxyError ? error.rpcCode : errorCodes.connectionClosed;
				settleAll(`The connection to ${peerName} failed: ${describeError(error)}`, code);
				subscriber.error(error);
			},
			complete() {
				settleAll(`The connection to ${peerName} closed`, errorCodes.connectionClosed);
				subscriber.complete();
			},
		});

		return () => {
			sweep?.unsubscribe();
			subscription.unsubscribe();
		};
	});
}
