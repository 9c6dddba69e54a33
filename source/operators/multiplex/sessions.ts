/*
The client side of the multiplexer: sessions opening and closing, and what each sends. Requests get an upstream id (and progress token) of the multiplexer's own so sessions never collide; `initialize` and `ping` are answered here; log levels and resource subscriptions are counted over all sessions; a request waits in a bounded queue while the upstream starts. A session that closes has its requests in flight cancelled upstream.
*/
import type {
	Message, Notification, Request, RequestId,
} from '../../types.js';
import {errorCodes} from '../../errors.js';
import {rememberId} from '../../wire/id-map.js';
import {
	cancelledNotification, errorResponse, isNotification, isRequest, isResponse, progressTokenOf,
} from '../../wire/message.js';
import {logLevelKey} from '../../wire/modern.js';
import {negotiateProtocolVersion} from '../protocol-versions.js';
import {
	deliver, internalId, parametersOf, send, type Effect,
} from './events.js';
import {refuseServerRequestsOf, requestLeft, serverRequestAnswered} from './server-requests.js';
import {maxRetired, type MultiplexState, type SessionState} from './state.js';

/**
MCP log levels by rank, most verbose first.
*/
export const logLevelRanks = new Map<string, number>([
	['debug', 0],
	['info', 1],
	['notice', 2],
	['warning', 3],
	['error', 4],
	['critical', 5],
	['alert', 6],
	['emergency', 7],
]);

export function openSession(state: MultiplexState, session: SessionState): void {
	state.sessions.set(session.id, session);
}

/**
A session sent a message (its requests, its answers to server requests, its notifications).
*/
export function clientMessage(state: MultiplexState, out: Effect[], session: SessionState, message: Message): void {
	if (isRequest(message)) {
		clientRequest(state, out, session, message);
	} else if (isResponse(message)) {
		serverRequestAnswered(state, out, session, message);
	} else if (isNotification(message)) {
		clientNotification(state, out, session, message);
	}
}

/**
The error a request gets when the upstream is not there to take it.
*/
export function unavailable(state: MultiplexState, id: RequestId): Message {
	const {lifecycle, config} = state;
	if (lifecycle.otherEra) {
		return errorResponse(id, -32_022, `Unsupported protocol version: ${config.name} ${lifecycle.otherEra.reason}`, {supported: lifecycle.otherEra.supported});
	}

	const next = lifecycle.stopping ? 'The proxy is shutting down.' : 'The proxy is restarting it.';
	return errorResponse(id, errorCodes.upstreamUnavailable, `${config.title} is not available${lifecycle.lastError ? `: ${lifecycle.lastError}` : ''}. ${next}`);
}

function clientRequest(state: MultiplexState, out: Effect[], session: SessionState, request: Request): void {
	if (state.config.era === 'modern') {
		// Nothing is the proxy's to answer: `ping` and the subscriptions of 2025 are methods the server refuses.
	} else if (request.method === 'ping') {
		deliver(out, session, {jsonrpc: '2.0', id: request.id, result: {}});
		return;
	}

	if (request.method === 'resources/subscribe' || request.method === 'resources/unsubscribe') {
		const {uri} = parametersOf(request);
		if (typeof uri === 'string') {
			if (request.method === 'resources/subscribe') {
				session.subscriptions.add(uri);
			} else {
				session.subscriptions.delete(uri);
				if (isSubscribed(state, uri)) {
					// Others still want updates: the upstream stays subscribed.
					deliver(out, session, {jsonrpc: '2.0', id: request.id, result: {}});
					return;
				}
			}
		}
	}

	const {phase} = state.lifecycle;
	if (phase === 'running') {
		forwardRequest(state, out, session, request);
		return;
	}

	if (phase === 'failed' || phase === 'stopped') {
		deliver(out, session, unavailable(state, request.id));
		return;
	}

	const {maxQueued, title} = state.config;
	if (state.queue.length >= maxQueued) {
		deliver(out, session, errorResponse(request.id, errorCodes.overloaded, `${title} is starting and ${maxQueued} requests are already waiting for it`));
		return;
	}

	state.queue.push({session, message: request});
}

/**
Send a session's request upstream under an id of the multiplexer's own (its progress token too), or answer its `initialize` from the upstream's.
*/
export function forwardRequest(state: MultiplexState, out: Effect[], session: SessionState, request: Request): void {
	const {method} = request;
	const modern = state.config.era === 'modern';
	if (method === 'initialize' && !modern) {
		answerInitialize(state, out, session, request);
		return;
	}

	const upstreamId = state.nextId++;
	const originalToken = progressTokenOf(request);
	state.requests.set(upstreamId, {
		session, originalId: request.id, method, originalToken,
	});
	session.inFlight.set(request.id, upstreamId);
	let parameters = request.params;
	if (originalToken !== undefined) {
		parameters = {...parameters, _meta: {...parameters!._meta as Record<string, unknown>, progressToken: upstreamId}};
	}

	if (modern) {
		session.logLevel = modernLogLevel(parameters);
	} else if (method === 'logging/setLevel') {
		const {level} = parametersOf(request);
		const rank = typeof level === 'string' ? logLevelRanks.get(level) : undefined;
		if (rank !== undefined) {
			session.logLevel = rank;
			// The upstream's level is the most verbose any session asked for; each session gets only what it asked for.
			state.upstreamLogLevel = mostVerboseLevel(state);
			parameters = {...parameters, level: state.upstreamLogLevel};
		}
	}

	send(out, parameters === request.params ? {...request, id: upstreamId} : {...request, id: upstreamId, params: parameters});
}

function answerInitialize(state: MultiplexState, out: Effect[], session: SessionState, request: Request): void {
	const parameters = parametersOf(request);
	session.capabilities = (parameters['capabilities'] ?? {}) as Record<string, unknown>;
	const requested = typeof parameters['protocolVersion'] === 'string' ? parameters['protocolVersion'] : undefined;
	const {initResult} = state.lifecycle;
	const result = {...initResult, protocolVersion: negotiateProtocolVersion(requested, initResult!['protocolVersion'] as string)};
	session.ready = true;
	deliver(out, session, {jsonrpc: '2.0', id: request.id, result});
}

/**
The rank of the log level a modern request asked for in its envelope, if any: without one it gets no logs.
*/
function modernLogLevel(parameters: Request['params']): number | undefined {
	const meta = parameters?._meta;
	const level = meta?.[logLevelKey];
	return typeof level === 'string' ? logLevelRanks.get(level) : undefined;
}

function mostVerboseLevel(state: MultiplexState): string | undefined {
	let best: number | undefined;
	for (const session of state.sessions.values()) {
		if (session.logLevel !== undefined && (best === undefined || session.logLevel < best)) {
			best = session.logLevel;
		}
	}

	return best === undefined ? undefined : [...logLevelRanks].find(([, rank]) => rank === best)?.[0];
}

export function isSubscribed(state: MultiplexState, uri: string): boolean {
	for (const session of state.sessions.values()) {
		if (session.subscriptions.has(uri)) {
			return true;
		}
	}

	return false;
}

function clientNotification(state: MultiplexState, out: Effect[], session: SessionState, notification: Notification): void {
	switch (notification.method) {
		case 'notifications/initialized': {
			// The upstream had its own.
			return;
		}

		case 'notifications/cancelled': {
			const requestId = parametersOf(notification)['requestId'] as RequestId | undefined;
			const upstreamId = requestId === undefined ? undefined : session.inFlight.get(requestId);
			if (upstreamId === undefined) {
				// Still waiting for the upstream to start: it never has to see the request.
				state.queue = state.queue.filter(item => item.session !== session || item.message.id !== requestId);
				return;
			}

			session.inFlight.delete(requestId!);
			state.requests.delete(upstreamId);
			rememberId(state.retiredRequests, upstreamId, maxRetired);
			send(out, {...notification, params: {...parametersOf(notification), requestId: upstreamId}});
			requestLeft(state, out, upstreamId);
			return;
		}

		default: {
			if (state.lifecycle.phase === 'running') {
				send(out, notification);
			}
		}
	}
}

/**
A session ended: its requests in flight are cancelled upstream, the server requests it had get an error, its queued requests are dropped, and the subscriptions no other session shares are ended upstream.
*/
export function closeSession(state: MultiplexState, out: Effect[], session: SessionState): void {
	if (session.closed) {
		return;
	}

	session.closed = true;
	state.sessions.delete(session.id);
	let oldestUnanswered: number | undefined;
	for (const upstreamId of session.inFlight.values()) {
		oldestUnanswered = Math.min(oldestUnanswered ?? upstreamId, upstreamId);
		state.requests.delete(upstreamId);
		rememberId(state.retiredRequests, upstreamId, maxRetired);
		send(out, cancelledNotification(upstreamId, 'The client session closed'));
	}

	refuseServerRequestsOf(state, out, session);
	state.queue = state.queue.filter(item => item.session !== session);
	requestLeft(state, out, oldestUnanswered);
	for (const uri of session.subscriptions) {
		if (!isSubscribed(state, uri) && state.lifecycle.phase === 'running') {
			send(out, {
				jsonrpc: '2.0', id: internalId(state, 'unsubscribe'), method: 'resources/unsubscribe', params: {uri},
			});
		}
	}
}
