/*
The reconnect machine: `step(state, event)` changes the state in place and returns what the glue must do. Pure: no subscribers, timers, clock or logger. The hot path (a message either way while the connection is open) allocates nothing but what the tables keep, and returns the shared `forward` effect.

A connection goes: `connect` → `connected` → (replayed handshake answered →) open → lost (`remote-end`) → waiting → the next attempt. What a new session must be told again is the handshake's business (handshake.ts); what happens on a loss is loss.ts; when attempts happen is attempts.ts; the held messages are queue.ts.

Tests: this machine and its parts (state.ts, handshake.ts, loss.ts, attempts.ts, queue.ts) in test/operators/reconnect/step.ts; the glue (glue.ts, index.ts) with marbles in test/operators/reconnect/index.ts.
*/
import {stringifyJson} from '../../wire/exact-numbers.js';
import {isRequest, isResponse} from '../../wire/message.js';
import type {
	Message, Notification, RequestId, Response,
} from '../../types.js';
import {attempt, delayDrawn, ownId} from './attempts.js';
import {
	rememberAnswer, rememberClientMessage, replayedOpening, restore,
} from './handshake.js';
import {lose} from './loss.js';
import {enqueue, sendHeld} from './queue.js';
import {
	remoteRequestId, type Connection, type ReconnectEffect, type ReconnectEvent, type ReconnectState,
} from './state.js';

const none: readonly ReconnectEffect[] = [];
const forward: readonly ReconnectEffect[] = [{type: 'forward'}];

export function step(state: ReconnectState, event: ReconnectEvent): readonly ReconnectEffect[] {
	if (state.phase === 'closing') {
		return none;
	}

	switch (event.type) {
		case 'client': {
			return fromClient(state, event.message, event.now);
		}

		case 'remote': {
			return fromRemote(state, event.connection, event.message);
		}

		case 'send-held': {
			return sendHeld(state, event.connection);
		}

		case 'start': {
			return attempt(state);
		}

		case 'connected': {
			return connected(state, event.connection);
		}

		case 'remote-end': {
			return lose(state, event.connection, event.loss, event.now);
		}

		case 'timer': {
			return event.timer === 'attempt' ? (state.phase === 'waiting' ? attempt(state) : none) : handshakeTimeout(state);
		}

		case 'delay': {
			return delayDrawn(state, event.delay, event.now);
		}

		case 'client-end': {
			return clientEnd(state);
		}

		case 'client-error': {
			state.phase = 'closing';
			return [{type: 'fail', error: event.error}];
		}
	}
}

function fromClient(state: ReconnectState, message: Message, now: number): readonly ReconnectEffect[] {
	rememberClientMessage(state.handshake, message);
	const {connection} = state;
	if (isResponse(message) && message.id !== undefined && message.id !== null) {
		if (state.staleRemoteRequests.delete(message.id)) {
			return [{type: 'log', level: 'debug', text: `Dropped the client's answer to request ${stringifyJson(message.id)} of a lost connection`}];
		}

		connection?.remoteRequests.delete(message.id);
		const original = connection?.remoteIds?.get(message.id);
		if (original !== undefined) {
			connection!.remoteIds!.delete(message.id);
			return toRemote(state, {...message, id: original}, now);
		}
	} else if (connection?.remoteIds && isCancellation(message)) {
		const original = connection.remoteIds.get(message.params.requestId);
		if (original !== undefined) {
			return toRemote(state, {...message, params: {...message.params, requestId: original}}, now);
		}
	}

	if (state.phase !== 'open' || !connection) {
		return enqueue(state, message, now);
	}

	if (isRequest(message)) {
		connection.inFlight.set(message.id, message);
	}

	return forward;
}

function fromRemote(state: ReconnectState, id: number, message: Message): readonly ReconnectEffect[] {
	const {connection} = state;
	if (connection?.id !== id) {
		return none;
	}

	if (isResponse(message)) {
		const requestId = message.id;
		if (connection.handshakeId !== undefined && requestId === connection.handshakeId) {
			return handshakeAnswered(state, connection, message);
		}

		if (requestId !== undefined && requestId !== null) {
			if (connection.ownRequests.delete(requestId)) {
				return 'error' in message
					? [{type: 'log', level: 'debug', text: `Restoring session state after reconnecting failed: ${message.error.message}`}]
					: none;
			}

			if (connection.inFlight.delete(requestId)) {
				connection.answered = true;
			}

			rememberAnswer(state.handshake, requestId, message);
		}
	} else if (isRequest(message)) {
		markUp(state, connection);
		if (connection.remoteIds) {
			const facing = remoteRequestId(connection.id, message.id);
			connection.remoteIds.set(facing, message.id);
			connection.remoteRequests.add(facing);
			return [{type: 'deliver', message: {...message, id: facing}}];
		}

		connection.remoteRequests.add(message.id);
		state.staleRemoteRequests.delete(message.id);
	} else if (connection.remoteIds && isCancellation(message)) {
		markUp(state, connection);
		const facing = remoteRequestId(connection.id, message.params.requestId);
		if (connection.remoteIds.delete(facing)) {
			connection.remoteRequests.delete(facing);
			return [{type: 'deliver', message: {...message, params: {...message.params, requestId: facing}}}];
		}
	}

	markUp(state, connection);
	return forward;
}

function markUp(state: ReconnectState, connection: Connection): void {
	if (!connection.up) {
		connection.up = true;
		state.failures = 0;
	}
}

/**
A client message changed for the remote (an answer or a cancellation under the remote's own id): sent on the open connection, or held like any other.
*/
function toRemote(state: ReconnectState, message: Message, now: number): readonly ReconnectEffect[] {
	const {connection} = state;
	if (state.phase !== 'open' || !connection) {
		return enqueue(state, message, now);
	}

	return [{type: 'send', connection: connection.id, message}];
}

type Cancellation = Notification & {params: {requestId: RequestId}};

function isCancellation(message: Message): message is Cancellation {
	if (!('method' in message) || message.method !== 'notifications/cancelled' || 'id' in message) {
		return false;
	}

	const requestId = (message.params as {requestId?: unknown} | undefined)?.requestId;
	return typeof requestId === 'string' || typeof requestId === 'number';
}

/**
The glue has subscribed to the new connection: replay the handshake, or send what is held.
*/
function connected(state: ReconnectState, id: number): readonly ReconnectEffect[] {
	const {connection} = state;
	if (connection?.id !== id) {
		return none;
	}

	const opening = connection.handshakeId === undefined ? undefined : replayedOpening(state.handshake);
	if (opening === undefined) {
		connection.handshakeId = undefined;
		state.phase = 'open';
		return [{type: 'flush', connection: id}];
	}

	return [
		{type: 'log', level: 'debug', text: `Reconnection attempt ${state.attempts - 1}: initializing a new session`},
		{type: 'start-timer', timer: 'handshake', delay: state.config.handshakeTimeout},
		{type: 'send', connection: id, message: {...opening, id: connection.handshakeId!}},
	];
}

function handshakeAnswered(state: ReconnectState, connection: Connection, message: Response): readonly ReconnectEffect[] {
	connection.handshakeId = undefined;
	const effects: ReconnectEffect[] = [{type: 'stop-timer', timer: 'handshake'}];
	if ('error' in message) {
		effects.push({type: 'abort', connection: connection.id, reason: `The remote server refused the replayed initialize: ${message.error.message}`});
		return effects;
	}

	connection.up = true;
	state.failures = 0;
	state.phase = 'open';
	const {id} = connection;
	const {notifications, requests, toClient} = restore(state.handshake, message.result);
	for (const notification of notifications) {
		effects.push({type: 'send', connection: id, message: notification});
	}

	for (const {method, params} of requests) {
		const requestId = ownId(state);
		connection.ownRequests.add(requestId);
		effects.push({
			type: 'send',
			connection: id,
			message: {
				jsonrpc: '2.0', id: requestId, method, ...(params ? {params} : {}),
			},
		});
	}

	effects.push({type: 'log', level: 'info', text: 'Reconnected to the remote server'});
	for (const notification of toClient) {
		effects.push({type: 'deliver', message: notification});
	}

	effects.push({type: 'flush', connection: id});
	return effects;
}

function handshakeTimeout(state: ReconnectState): readonly ReconnectEffect[] {
	const {connection} = state;
	if (connection?.handshakeId === undefined) {
		return none;
	}

	return [{type: 'abort', connection: connection.id, reason: `The remote server did not answer the replayed initialize within ${state.config.handshakeTimeout} ms`}];
}

/**
The client's messages ended: close the open connection gracefully, or, with none open, stop trying (nobody is left to answer).
*/
function clientEnd(state: ReconnectState): readonly ReconnectEffect[] {
	state.clientDone = true;
	const {connection} = state;
	if (state.phase === 'open' && connection) {
		return [{type: 'end-input', connection: connection.id}];
	}

	const effects: ReconnectEffect[] = [{type: 'stop-timer', timer: 'attempt'}];
	if (connection) {
		effects.push({type: 'disconnect', connection: connection.id});
		state.connection = undefined;
	}

	state.phase = 'closing';
	effects.push({type: 'complete'});
	return effects;
}
