/*
The upstream's lifecycle: each attempt starts with the handshake (handshake.ts) while requests wait in the queue; once it runs, the queue is sent and, after a restart, what the sessions had set up is restored (log level, subscriptions; sessions told the lists may have changed). When it ends, requests in flight get an error at once and the next attempt waits a backoff delay (reset once an attempt ran `stableAfter`); `close()` ends it gracefully and stops for good.
*/
import type {Response} from '../../types.js';
import {exponentialBackoff} from '../../backoff.js';
import {
	describeError, errorCodes, TimeoutError, TransportError,
} from '../../errors.js';
import {errorResponse} from '../../wire/message.js';
import {
	broadcast, deliver, internalId, log, send, type Effect,
} from './events.js';
import {answerHandshake, beginHandshake, handshakeTimedOut} from './handshake.js';
import {forgetServerRequests} from './server-requests.js';
import {forwardRequest, unavailable} from './sessions.js';
import type {MultiplexState} from './state.js';

/**
`run$` subscribed the upstream once more: the handshake starts (its request waits in the outgoing messages until the upstream takes them). After `close()`, no attempt starts.
*/
export function attemptStarted(state: MultiplexState, out: Effect[]): void {
	const {lifecycle} = state;
	lifecycle.running = true;
	if (lifecycle.stopping) {
		if (lifecycle.phase !== 'stopped') {
			stop(state, out);
		}

		return;
	}

	if (lifecycle.starts > 0) {
		lifecycle.phase = 'restarting';
	}

	lifecycle.starts++;
	lifecycle.initResult = undefined;
	lifecycle.attached = true;
	const {handshake, request} = beginHandshake(internalId(state, 'handshake'), state.config.era);
	lifecycle.handshake = handshake;
	out.push({type: 'set-timer', key: 'handshake', delay: state.config.initializeTimeout});
	send(out, request);
}

/**
The upstream answered the handshake: it runs, or the attempt ends.
*/
export function handshakeAnswered(state: MultiplexState, out: Effect[], response: Response, now: number): void {
	const {lifecycle} = state;
	const {handshake} = lifecycle;
	if (handshake === undefined || handshake.requestId !== response.id) {
		return;
	}

	lifecycle.handshake = undefined;
	out.push({type: 'cancel-timer', key: 'handshake'});
	const outcome = answerHandshake(handshake, response);
	if (outcome.type === 'refused') {
		out.push({type: 'abort-upstream', error: new TransportError(outcome.reason)});
		return;
	}

	if (outcome.type === 'other-era') {
		otherEra(state, out, outcome.reason, outcome.supported);
		return;
	}

	lifecycle.initResult = outcome.result;
	for (const message of outcome.send) {
		send(out, message);
	}

	const restarted = lifecycle.starts > 1;
	lifecycle.phase = 'running';
	lifecycle.runningSince = now;
	log(out, 'info', `${state.config.title} is running${restarted ? ` again (restart ${lifecycle.starts - 1})` : ''}`);
	if (restarted) {
		restore(state, out);
	}

	flushQueue(state, out);
}

/**
The upstream speaks only the other era: that is its nature, not a failure, so it is closed and not restarted; the requests waiting for it, and every later one, get -32022 naming the versions it speaks (see `unavailable`).
*/
function otherEra(state: MultiplexState, out: Effect[], reason: string, supported: readonly string[]): void {
	const {lifecycle, config} = state;
	lifecycle.otherEra = {reason, supported};
	lifecycle.lastError = reason;
	lifecycle.stopping = true;
	const clients = config.era === 'modern' ? 'requests of protocol 2026-07-28' : 'clients of the 2025 revisions';
	log(out, 'info', `${config.title} ${reason}; its ${clients} are answered -32022 with the versions it speaks (a bridge in front serves them in its era)`);
	out.push({type: 'close-upstream'});
}

/**
The upstream did not answer the handshake in time: the attempt ends.
*/
export function handshakeTimeout(state: MultiplexState, out: Effect[]): void {
	const {lifecycle} = state;
	if (lifecycle.handshake) {
		const reason = handshakeTimedOut(lifecycle.handshake, state.config.initializeTimeout);
		lifecycle.handshake = undefined;
		out.push({type: 'abort-upstream', error: new TimeoutError(reason)});
	}
}

/**
The attempt ended (`error` undefined: the upstream closed): everything in flight fails; then the multiplexer stops (after `close()`), or the next attempt waits its delay.
*/
export function upstreamEnded(state: MultiplexState, out: Effect[], error: unknown, now: number): void {
	const {lifecycle, config} = state;
	const wasRunning = lifecycle.phase === 'running';
	const reason = error === undefined ? `${config.title} closed` : `${config.title} failed: ${describeError(error)}`;
	if (!endAttempt(state, out, error, reason)) {
		return;
	}

	if (lifecycle.runningSince !== undefined && now - lifecycle.runningSince >= config.stableAfter) {
		lifecycle.failures = 0;
	}

	lifecycle.runningSince = undefined;
	const delay = exponentialBackoff({initialDelay: config.restartDelay, maxDelay: config.restartMaxDelay})(lifecycle.failures);
	lifecycle.failures++;
	lifecycle.restartDelay = delay;
	if (wasRunning) {
		lifecycle.phase = 'restarting';
		log(out, 'error', `${reason}; restarting in ${delay} ms`);
	} else {
		lifecycle.phase = 'failed';
		failQueue(state, out);
		log(out, 'error', `${reason}; trying again in ${delay} ms`);
	}
}

/**
What every end of an attempt does: requests in flight fail with `reason`, and after `close()` the multiplexer stops (`false`: nothing follows).
*/
function endAttempt(state: MultiplexState, out: Effect[], error: unknown, reason: string): boolean {
	const {lifecycle} = state;
	lifecycle.attached = false;
	if (lifecycle.handshake) {
		lifecycle.handshake = undefined;
		out.push({type: 'cancel-timer', key: 'handshake'});
	}

	if (error !== undefined || !lifecycle.stopping) {
		lifecycle.lastError = error === undefined ? 'it exited' : describeError(error);
	}

	failInFlight(state, out, reason);
	if (lifecycle.stopping) {
		stop(state, out);
		return false;
	}

	return true;
}

/**
`close()`: an attempt in progress closes gracefully (and the multiplexer stops when it has); between attempts, it stops now.
*/
export function close(state: MultiplexState, out: Effect[]): void {
	const {lifecycle} = state;
	lifecycle.stopping = true;
	if (!lifecycle.running) {
		return;
	}

	if (lifecycle.attached) {
		out.push({type: 'close-upstream'});
	} else {
		endAttempt(state, out, undefined, `${state.config.title} closed`);
	}
}

/**
`run$` was unsubscribed (or completed): the attempt went with it.
*/
export function runEnded(state: MultiplexState, out: Effect[]): void {
	const {lifecycle} = state;
	lifecycle.running = false;
	lifecycle.attached = false;
	if (lifecycle.handshake) {
		lifecycle.handshake = undefined;
		out.push({type: 'cancel-timer', key: 'handshake'});
	}
}

function stop(state: MultiplexState, out: Effect[]): void {
	state.lifecycle.phase = 'stopped';
	failQueue(state, out);
	for (const session of state.sessions.values()) {
		out.push({type: 'end-session', session});
	}

	out.push({type: 'stopped'});
}

function failInFlight(state: MultiplexState, out: Effect[], reason: string): void {
	const next = state.lifecycle.stopping ? 'the proxy is shutting down' : 'it is being restarted';
	// Oldest first, as they were sent.
	for (const [upstreamId, entry] of state.requests.entries().toSorted(([a], [b]) => a - b)) {
		state.requests.delete(upstreamId);
		entry.session.inFlight.delete(entry.originalId);
		deliver(out, entry.session, errorResponse(entry.originalId, errorCodes.connectionClosed, `${reason} (while handling \`${entry.method}\`); ${next}`));
	}

	state.internal.clear();
	forgetServerRequests(state, out);
}

function failQueue(state: MultiplexState, out: Effect[]): void {
	const waiting = state.queue;
	state.queue = [];
	for (const {session, message} of waiting) {
		deliver(out, session, unavailable(state, message.id));
	}
}

function flushQueue(state: MultiplexState, out: Effect[]): void {
	const waiting = state.queue;
	state.queue = [];
	for (const {session, message} of waiting) {
		if (!session.closed) {
			forwardRequest(state, out, session, message);
		}
	}
}

/**
After a restart, the upstream is given back what the sessions had set up (the log level, the subscriptions), and the sessions are told the lists may have changed.
*/
function restore(state: MultiplexState, out: Effect[]): void {
	if (state.upstreamLogLevel !== undefined) {
		send(out, {
			jsonrpc: '2.0', id: internalId(state, 'log-level'), method: 'logging/setLevel', params: {level: state.upstreamLogLevel},
		});
	}

	const uris = new Set<string>();
	for (const session of state.sessions.values()) {
		for (const uri of session.subscriptions) {
			uris.add(uri);
		}
	}

	for (const uri of uris) {
		send(out, {
			jsonrpc: '2.0', id: internalId(state, 'subscribe'), method: 'resources/subscribe', params: {uri},
		});
	}

	for (const method of ['notifications/tools/list_changed', 'notifications/resources/list_changed', 'notifications/prompts/list_changed']) {
		broadcast(state, out, {jsonrpc: '2.0', method});
	}
}
