/*
What the reconnect machine does when a connection ends: the remote's pending requests cancelled for the client, the client's requests in flight answered (or held again when they certainly never left), the loss logged and counted, and the next attempt scheduled: at once for a session the remote forgot, after the backoff otherwise, or not until a request comes after a sign-in nobody completed. Pure.
*/
import {errorCodes} from '../../errors.js';
import {cancelledNotification} from '../../wire/message.js';
import {hasHeldRequest, schedule} from './attempts.js';
import {answerExpired} from './queue.js';
import {
	maxStaleRemoteRequests, type Connection, type Loss, type Queued, type ReconnectEffect, type ReconnectState,
} from './state.js';

const none: readonly ReconnectEffect[] = [];

const unreachable = (loss: Loss) => `The remote server is unreachable (${loss.cause}); the proxy keeps trying to reconnect`;

/**
Connection `connection` ended with `loss` at `now`.
*/
export function lose(state: ReconnectState, connection: number, loss: Loss, now: number): readonly ReconnectEffect[] {
	const lost = state.connection;
	if (lost?.id !== connection) {
		return none;
	}

	state.connection = undefined;
	const effects: ReconnectEffect[] = [];
	if (lost.handshakeId !== undefined) {
		effects.push({type: 'stop-timer', timer: 'handshake'});
	}

	effects.push({type: 'disconnect', connection});
	state.lastAttemptEnd = now;
	if (state.clientDone || !loss.retry) {
		state.phase = 'closing';
		effects.push(state.clientDone ? {type: 'complete'} : {type: 'fail', error: loss.error});
		return effects;
	}

	for (const id of lost.remoteRequests) {
		state.staleRemoteRequests.add(id);
		if (state.staleRemoteRequests.size > maxStaleRemoteRequests) {
			state.staleRemoteRequests.delete(state.staleRemoteRequests.values().next().value!);
		}

		effects.push({type: 'deliver', message: cancelledNotification(id, 'The connection to the remote server was lost')});
	}

	const requeued = settleInFlight(state, lost, loss, effects);
	state.queue = [...requeued, ...state.queue];
	const atOnce = reportLoss(state, lost, loss, effects);
	if (loss.signIn && !hasHeldRequest(state)) {
		// Nobody completed the sign-in: the next client request tries again (and asks again), not a timer.
		effects.push({type: 'stop-timer', timer: 'attempt'}, {type: 'log', level: 'warning', text: 'The sign-in was not completed; the next request will ask again'});
		state.phase = 'waiting';
		state.due = Number.POSITIVE_INFINITY;
		return effects;
	}

	state.quickNext = atOnce;
	if (atOnce) {
		schedule(state, 0, now, effects);
	} else {
		// Waiting for the backoff delay, which is drawn at random: it comes back as a `delay` event.
		state.phase = 'waiting';
		state.due = Number.POSITIVE_INFINITY;
		effects.push({type: 'draw-delay', failures: state.failures});
	}

	return effects;
}

/**
Answer the requests in flight on a lost connection, except those that certainly were not processed, which are returned to be sent again.
*/
function settleInFlight(state: ReconnectState, lost: Connection, loss: Loss, effects: ReconnectEffect[]): Queued[] {
	const requeued: Queued[] = [];
	if (lost.inFlight.size === 0) {
		return requeued;
	}

	const unsent = new Set(loss.unsent);
	for (const [id, request] of lost.inFlight) {
		if (lost.up && unsent.has(id)) {
			// It never left: send it after the re-handshake.
			requeued.push({message: request, mark: state.attempts});
		} else if (lost.up) {
			effects.push({
				type: 'answer', id, code: errorCodes.connectionClosed, text: `The connection to the remote server was lost; the request may or may not have been processed (${loss.cause})`,
			});
		} else {
			effects.push({
				type: 'answer', id, code: errorCodes.upstreamUnavailable, text: unreachable(loss),
			});
		}
	}

	return requeued;
}

/**
Log a lost connection and count it; requests held since before a failed attempt are answered. Returns whether to make a new session at once: the remote forgot the session but is up (it answered 404), unless this session was itself made at once and forgotten before it was of any use (a remote that refuses every session), which is a failed attempt.
*/
function reportLoss(state: ReconnectState, lost: Connection, loss: Loss, effects: ReconnectEffect[]): boolean {
	const {cause} = loss;
	const forgotten = lost.up && loss.sessionExpired;
	// Made again at once only after a session that was of use, or one that came after no failure and was not itself made at once: a remote that forgets every session before it serves anything backs off, as the failures grow from those before the session (its answered handshake reset them).
	const atOnce = forgotten && (lost.answered || (!lost.quick && lost.priorFailures === 0));
	if (forgotten && !lost.answered) {
		state.failures = Math.max(state.failures, lost.priorFailures);
	}

	if (atOnce) {
		effects.push({type: 'log', level: 'warning', text: `Lost the session with the remote server (${cause}); initializing a new one at once`});
	} else if (forgotten) {
		state.failures++;
		effects.push({type: 'log', level: 'warning', text: `The remote server forgot the new session too (${cause}); reconnecting after a delay`});
	} else if (lost.up) {
		effects.push({type: 'log', level: 'warning', text: `Lost the connection to the remote server (${cause}); reconnecting`});
	} else {
		state.failures++;
		answerExpired(state, unreachable(loss), effects);
		effects.push(state.attempts === 1
			? {type: 'log', level: 'error', text: `Cannot connect to the remote server (${cause}); the proxy keeps trying`}
			: {type: 'log', level: 'warning', text: `Reconnection attempt ${state.attempts - 1} failed (${cause})`});
	}

	return atOnce;
}
