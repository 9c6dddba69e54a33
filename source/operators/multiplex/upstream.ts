/*
What the upstream sends, routed: an answer goes back to the one session whose request it is (with that session's id), or to the lifecycle when it answers the proxy's own request; progress goes to the session by its token; a modern upstream's subscription notifications go to the `subscriptions/listen` request they name (its id rewritten back); list-changed and log notifications go to every session (logs filtered by each session's level), `resources/updated` to its subscribers; its requests go to server-requests.ts. A response is never broadcast.
*/
import type {Message, Notification, Response} from '../../types.js';
import {shownId} from '../../wire/id-map.js';
import {subscriptionIdKey as subscriptionKey} from '../../wire/modern.js';
import {
	isErrorResponse, isNotification, isRequest, isResponse,
} from '../../wire/message.js';
import {
	broadcast, deliver, log, parametersOf, type Effect,
} from './events.js';
import {handshakeAnswered} from './lifecycle.js';
import {requestLeft, serverRequestCancelled, upstreamRequest} from './server-requests.js';
import {logLevelRanks} from './sessions.js';
import type {ClientRequest, MultiplexState, SessionState} from './state.js';

export function upstreamMessage(state: MultiplexState, out: Effect[], message: Message, now: number): void {
	if (isResponse(message)) {
		upstreamResponse(state, out, message, now);
	} else if (isRequest(message)) {
		upstreamRequest(state, out, message);
	} else if (isNotification(message)) {
		upstreamNotification(state, out, message);
	}
}

function upstreamResponse(state: MultiplexState, out: Effect[], response: Response, now: number): void {
	const {id} = response;
	if (typeof id === 'string') {
		const kind = state.internal.get(id);
		if (kind !== undefined) {
			state.internal.delete(id);
			if (kind === 'handshake') {
				handshakeAnswered(state, out, response, now);
			}

			// The answers to the proxy's other requests (restoring a log level or a subscription, unsubscribing) change nothing.
			return;
		}
	}

	const entry = typeof id === 'number' ? state.requests.get(id) : undefined;
	if (!entry) {
		if (typeof id === 'number' && state.retiredRequests.delete(id)) {
			log(out, 'debug', `${state.config.name}: dropped the late answer to request ${id}, cancelled or of a closed session`);
		} else {
			log(out, 'warning', `${state.config.name}: dropped an answer to request ${shownId(id)}: no such request was sent to it, or it was answered already`);
		}

		return;
	}

	state.requests.delete(id as number);
	entry.session.inFlight.delete(entry.originalId);
	// The graceful end of a modern subscription names it too.
	const answer = entry.method === 'subscriptions/listen' && state.config.era === 'modern' && 'result' in response ? withClientSubscription(response, 'result', entry) : response;
	deliver(out, entry.session, {...answer, id: entry.originalId});
	// A failed call may have given up on a server request it sent without cancelling it: it proves nothing.
	requestLeft(state, out, isErrorResponse(response) ? id as number : undefined);
}

/**
The upstream id a modern message names as its subscription (`_meta["io.modelcontextprotocol/subscriptionId"]`: the id of the `subscriptions/listen` request, which is the multiplexer's own), if it names one in flight.
*/
function subscriptionOf(state: MultiplexState, meta: unknown): ClientRequest | undefined {
	const id = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)[subscriptionKey] : undefined;
	const entry = typeof id === 'number' ? state.requests.get(id) : undefined;
	return entry?.method === 'subscriptions/listen' ? entry : undefined;
}

/**
A message of a subscription, with the subscription named by the client's id for it.
*/
function withClientSubscription<M extends {params?: Record<string, unknown>} | {result: Record<string, unknown>}>(message: M, part: 'params' | 'result', entry: ClientRequest): M {
	const body = (message as Record<string, Record<string, unknown>>)[part]!;
	return {...message, [part]: {...body, _meta: {...body['_meta'] as Record<string, unknown>, [subscriptionKey]: entry.originalId}}};
}

/**
A modern upstream says which `subscriptions/listen` a notification is for: it goes to that request only. Returns whether it named one.
*/
function routedBySubscription(state: MultiplexState, out: Effect[], notification: Notification): boolean {
	const entry = subscriptionOf(state, parametersOf(notification)['_meta']);
	if (entry) {
		deliver(out, entry.session, withClientSubscription(notification, 'params', entry));
	}

	return entry !== undefined;
}

/**
Whether a session gets a log message of `rank`: a 2025 session once initialized, at the level it set (all without one); a modern request only if its envelope asked for logs, at that level, and only while it waits for its answer (stdio does not say which request a log is about, so each one that admits it gets it).
*/
function admitsLog(state: MultiplexState, session: SessionState, rank: number): boolean {
	if (state.config.era === 'modern') {
		return session.logLevel !== undefined && rank >= session.logLevel && session.inFlight.size > 0;
	}

	return session.ready && (session.logLevel === undefined || rank >= session.logLevel);
}

/**
A log message goes to the sessions its level admits; of the 2025 ones, only to those with a request in flight upstream when some have: a server logs while it works on a request, and a log carries no request id, so the sessions waiting for answers are the ones it can be about (an idle client is not shown another client's work); with none in flight it goes to every session.
*/
function logMessage(state: MultiplexState, out: Effect[], notification: Notification, rank: number): void {
	let busyOnly = false;
	if (state.config.era !== 'modern') {
		for (const session of state.sessions.values()) {
			if (session.inFlight.size > 0 && admitsLog(state, session, rank)) {
				busyOnly = true;
				break;
			}
		}
	}

	for (const session of state.sessions.values()) {
		if (admitsLog(state, session, rank) && (!busyOnly || session.inFlight.size > 0)) {
			deliver(out, session, notification);
		}
	}
}

function upstreamNotification(state: MultiplexState, out: Effect[], notification: Notification): void {
	const parameters = parametersOf(notification);
	if (state.config.era === 'modern' && routedBySubscription(state, out, notification)) {
		return;
	}

	switch (notification.method) {
		case 'notifications/progress': {
			const entry = state.requests.get(parameters['progressToken'] as number);
			if (entry?.originalToken !== undefined) {
				deliver(out, entry.session, {...notification, params: {...parameters, progressToken: entry.originalToken}});
			}

			return;
		}

		case 'notifications/cancelled': {
			serverRequestCancelled(state, out, notification);
			return;
		}

		case 'notifications/resources/updated': {
			const {uri} = parameters;
			for (const session of state.sessions.values()) {
				if (session.ready && typeof uri === 'string' && session.subscriptions.has(uri)) {
					deliver(out, session, notification);
				}
			}

			return;
		}

		case 'notifications/message': {
			logMessage(state, out, notification, logLevelRanks.get(parameters['level'] as string) ?? 0);
			return;
		}

		default: {
			broadcast(state, out, notification);
		}
	}
}
