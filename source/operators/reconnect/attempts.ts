/*
When the reconnect machine tries again: starting an attempt, scheduling the next one, and bringing it forward when a request is waiting. Pure: the current time comes from the event, the timer is an effect.
*/
import {isRequest} from '../../wire/message.js';
import {replayedOpening} from './handshake.js';
import type {ReconnectEffect, ReconnectState} from './state.js';

/**
The id of the next request of our own (replayed handshake, restored state): never one a client would use.
*/
export function ownId(state: ReconnectState): string {
	return `mcp-proxy-reconnect-${++state.ownIds}`;
}

/**
Start attempt number `attempts + 1`: a new connection, which replays the handshake first when there is one to replay, else opens at once.
*/
export function attempt(state: ReconnectState): ReconnectEffect[] {
	const id = ++state.attempts;
	const replay = replayedOpening(state.handshake) !== undefined;
	state.connection = {
		id,
		up: false,
		handshakeId: replay ? ownId(state) : undefined,
		inFlight: new Map(),
		remoteRequests: new Set(),
		remoteIds: id === 1 ? undefined : new Map(),
		priorFailures: state.failures,
		ownRequests: new Set(),
		quick: state.quickNext,
		answered: false,
	};
	state.quickNext = false;
	state.phase = replay ? 'connecting' : 'open';
	return [{type: 'connect', connection: id}];
}

/**
Wait `delay` milliseconds from `now` before the next attempt (replacing any attempt scheduled).
*/
export function schedule(state: ReconnectState, delay: number, now: number, effects: ReconnectEffect[]): void {
	state.phase = 'waiting';
	state.due = now + delay;
	effects.push({type: 'start-timer', timer: 'attempt', delay});
}

/**
A request is waiting: bring the next attempt forward to `initialDelay` after the last one ended (or now, if that has passed).
*/
export function hurry(state: ReconnectState, now: number, effects: ReconnectEffect[]): void {
	if (state.phase !== 'waiting') {
		return;
	}

	const soonest = Math.max(now, state.lastAttemptEnd + state.config.initialDelay);
	if (soonest < state.due) {
		schedule(state, soonest - now, now, effects);
	}
}

/**
The backoff delay drawn after a loss: schedule the next attempt, sooner if a request is waiting.
*/
export function delayDrawn(state: ReconnectState, delay: number, now: number): ReconnectEffect[] {
	if (state.phase !== 'waiting') {
		return [];
	}

	const effects: ReconnectEffect[] = [];
	schedule(state, delay, now, effects);
	if (hasHeldRequest(state)) {
		hurry(state, now, effects);
	}

	return effects;
}

export function hasHeldRequest(state: ReconnectState): boolean {
	return state.queue.some(entry => isRequest(entry.message));
}
