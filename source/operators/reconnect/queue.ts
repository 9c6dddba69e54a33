/*
The messages the reconnect machine holds while no connection is open: bounded, each marked with the attempt count at its arrival, a cancellation removing the request it cancels. Pure.
*/
import {errorCodes} from '../../errors.js';
import type {Message, RequestId} from '../../types.js';
import {isNotification, isRequest} from '../../wire/message.js';
import {hurry} from './attempts.js';
import type {ReconnectEffect, ReconnectState} from './state.js';

const none: readonly ReconnectEffect[] = [];

/**
Hold a client message until a connection opens; a request brings the next attempt forward.
*/
export function enqueue(state: ReconnectState, message: Message, now: number): readonly ReconnectEffect[] {
	if (isNotification(message) && message.method === 'notifications/cancelled') {
		// The request it cancels is held here, or was answered when the connection it went out on was lost.
		const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
		state.queue = state.queue.filter(entry => !(isRequest(entry.message) && entry.message.id === requestId));
		return none;
	}

	const {maxQueuedMessages} = state.config;
	if (state.queue.length >= maxQueuedMessages) {
		if (isRequest(message)) {
			const text = `The remote server is unreachable and ${maxQueuedMessages} messages are already waiting for it; \`${message.method}\` was not sent`;
			return [{
				type: 'answer', id: message.id, code: errorCodes.overloaded, text,
			}];
		}

		return [{type: 'log', level: 'warning', text: `Dropped a message for the remote server: ${maxQueuedMessages} are already waiting for it to come back`}];
	}

	state.queue.push({message, mark: state.attempts});
	if (!isRequest(message)) {
		return none;
	}

	const effects: ReconnectEffect[] = [];
	hurry(state, now, effects);
	return effects;
}

/**
Send the oldest held message on the open connection `connection`, if there is one and it is still open.
*/
export function sendHeld(state: ReconnectState, connection: number): readonly ReconnectEffect[] {
	const current = state.connection;
	if (state.phase !== 'open' || current?.id !== connection || state.queue.length === 0) {
		return none;
	}

	const {message} = state.queue.shift()!;
	if (isRequest(message)) {
		current.inFlight.set(message.id, message);
	}

	return [{type: 'send', connection, message}];
}

/**
Answer the held requests that arrived before the attempt that just failed began: they have had their chance.
*/
export function answerExpired(state: ReconnectState, unreachable: string, effects: ReconnectEffect[]): void {
	const kept = [];
	for (const entry of state.queue) {
		if (isRequest(entry.message) && entry.mark < state.attempts) {
			effects.push({
				type: 'answer', id: entry.message.id, code: errorCodes.upstreamUnavailable, text: unreachable,
			});
		} else {
			kept.push(entry);
		}
	}

	state.queue = kept;
}
