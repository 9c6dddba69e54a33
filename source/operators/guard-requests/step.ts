/*
The request accounting of `guardRequests`: `step(state, event)` changes the state in place and returns effects. Pure: time comes in the events. Exactly one answer per request goes through in each direction; a request still waiting when its deadline passes (a `subscriptions/listen` has none) or when the peer ends is answered with an error; answers nobody waits for are dropped, with a warning unless they are late answers to a request that timed out or was cancelled. The hot path (a message either way) returns the shared `forward`; the glue calls `fromClient` and `fromPeer` directly there, so a message costs no event object (`step` is the same machine, event by event).
*/
import {errorCodes} from '../../errors.js';
import type {Message, RequestId, Response} from '../../types.js';
import {rememberId, shownId} from '../../wire/id-map.js';
import {
	cancelledNotification,
	isNotification,
	isRequest,
	isResponse,
	progressTokenOf,
} from '../../wire/message.js';
import {
	maxPeerRequests,
	maxRemembered,
	type GuardEffect,
	type GuardEvent,
	type GuardState,
	type Pending,
} from './state.js';

const none: readonly GuardEffect[] = [];
const forwardIt: GuardEffect = {type: 'forward'};
const forward: readonly GuardEffect[] = [forwardIt];

export function step(state: GuardState, event: GuardEvent): readonly GuardEffect[] {
	switch (event.type) {
		case 'client': {
			return fromClient(state, event.message, event.now);
		}

		case 'peer': {
			return fromPeer(state, event.message, event.now);
		}

		case 'sweep': {
			return sweep(state, event.now);
		}

		case 'peer-end': {
			return peerEnded(state, event.failure);
		}
	}
}

function forget(state: GuardState, id: RequestId): Pending | undefined {
	const entry = state.pending.get(id);
	if (entry) {
		state.pending.delete(id);
		if (entry.token !== undefined) {
			state.tokens.delete(entry.token);
		}
	}

	return entry;
}

const requestIdOf = (message: Message) => (message as {params?: {requestId?: RequestId}}).params?.requestId;

export function fromClient(state: GuardState, message: Message, now: number): readonly GuardEffect[] {
	if (isRequest(message)) {
		const token = progressTokenOf(message);
		// A 2026-07-28 `subscriptions/listen` is answered only when the subscription ends: it has no deadline.
		const deadline = message.method === 'subscriptions/listen' ? Number.POSITIVE_INFINITY : now + state.config.timeout;
		state.pending.set(message.id, {method: message.method, deadline, token});
		if (token !== undefined) {
			state.tokens.set(token, message.id);
		}

		const timer = scheduleSweep(state, now);
		return timer ? [timer, forwardIt] : forward;
	}

	if (isNotification(message) && message.method === 'notifications/cancelled') {
		const requestId = requestIdOf(message);
		if (requestId !== undefined && forget(state, requestId)) {
			// The peer should not answer a cancelled request; if it does, drop the answer.
			rememberId(state.expired, requestId, maxRemembered);
		}
	} else if (isResponse(message)) {
		// An answer of the client's is owed to the peer: not to a request the peer never sent, nor a second answer.
		const {id} = message;
		if (id === undefined || id === null || !(state.peerRequests.delete(id) || state.peerCancelled.delete(id))) {
			return [{type: 'log', level: 'warning', text: `Dropped an answer from the client to request ${shownId(id)}: ${state.config.peerName} sent no such request, or it was answered already`}];
		}
	}

	return forward;
}

export function fromPeer(state: GuardState, message: Message, now: number): readonly GuardEffect[] {
	if (isResponse(message)) {
		return answerOfPeer(state, message);
	}

	if (isRequest(message)) {
		const {peerRequests} = state;
		const full = peerRequests.size >= maxPeerRequests && !state.warnedFull;
		rememberId(peerRequests, message.id, maxPeerRequests);
		// An id the peer takes again (a new session after a reconnection starts over) is no longer a cancelled one.
		state.peerCancelled.delete(message.id);
		if (full) {
			state.warnedFull = true;
			const text = `${maxPeerRequests} requests of ${state.config.peerName} wait for the client's answer; the oldest are forgotten (their answers will be dropped)`;
			return [{type: 'log', level: 'warning', text}, forwardIt];
		}
	} else if (isNotification(message)) {
		if (message.method === 'notifications/cancelled') {
			const requestId = requestIdOf(message);
			if (requestId !== undefined && state.peerRequests.delete(requestId)) {
				rememberId(state.peerCancelled, requestId, maxRemembered);
			}
		} else if (message.method === 'notifications/progress' && state.config.resetTimeoutOnProgress && state.config.timeout > 0) {
			const token = (message.params as {progressToken?: string | number} | undefined)?.progressToken;
			const id = token === undefined ? undefined : state.tokens.get(token);
			const entry = id === undefined ? undefined : state.pending.get(id);
			if (entry) {
				entry.deadline = now + state.config.timeout;
			}
		}
	}

	return forward;
}

/**
An answer of the peer's goes on if it is the first to a request the client is waiting for; otherwise it is dropped, with a warning unless the request timed out or was cancelled.
*/
function answerOfPeer(state: GuardState, message: Response): readonly GuardEffect[] {
	const {id} = message;
	if (id !== undefined && id !== null && forget(state, id) !== undefined) {
		return forward;
	}

	if (id !== undefined && id !== null && state.expired.delete(id)) {
		return none;
	}

	const error = 'error' in message ? ` (an error: ${String((message.error as {message?: unknown}).message).slice(0, 200)})` : '';
	return [{type: 'log', level: 'warning', text: `Dropped an answer from ${state.config.peerName} to request ${shownId(id)}${error}: the client sent no such request, or it was answered already`}];
}

/**
The sweep timer, if one is needed and none is set: due at the earliest deadline.
*/
function scheduleSweep(state: GuardState, now: number): GuardEffect | undefined {
	if (state.sweeping || state.config.timeout === 0 || state.pending.size === 0) {
		return undefined;
	}

	let next = Number.POSITIVE_INFINITY;
	for (const entry of state.pending.values()) {
		next = Math.min(next, entry.deadline);
	}

	if (next === Number.POSITIVE_INFINITY) {
		return undefined;
	}

	state.sweeping = true;
	return {type: 'start-timer', delay: Math.max(0, next - now)};
}

/**
Answer the requests whose deadline has passed with a timeout error, cancel them at the peer, and retire their ids.
*/
function sweep(state: GuardState, now: number): readonly GuardEffect[] {
	state.sweeping = false;
	const {peerName, timeout} = state.config;
	const effects: GuardEffect[] = [];
	for (const [id, entry] of state.pending.entries()) {
		if (entry.deadline <= now) {
			forget(state, id);
			rememberId(state.expired, id, maxRemembered);
			effects.push(
				{
					type: 'answer', id, code: errorCodes.requestTimeout, text: `Request timed out: ${peerName} did not answer \`${entry.method}\` within ${timeout} ms`,
				},
				{type: 'send', message: cancelledNotification(id, 'Request timed out in the proxy')},
			);
		}
	}

	const next = scheduleSweep(state, now);
	if (next) {
		effects.push(next);
	}

	return effects;
}

/**
The peer ended: every request still waiting is answered with an error naming the cause.
*/
function peerEnded(state: GuardState, failure: {code: number; description: string} | undefined): readonly GuardEffect[] {
	const {peerName} = state.config;
	const reason = failure ? `The connection to ${peerName} failed: ${failure.description}` : `The connection to ${peerName} closed`;
	const code = failure?.code ?? errorCodes.connectionClosed;
	const effects: GuardEffect[] = [];
	for (const [id, entry] of state.pending.entries()) {
		forget(state, id);
		effects.push({
			type: 'answer', id, code, text: `${reason} (while waiting for the answer to \`${entry.method}\`)`,
		});
	}

	return effects;
}
