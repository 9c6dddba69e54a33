import {errorCodes} from '../../errors.js';
import {settingName, type SettingNames} from '../../setting-names.js';
import type {Refusal} from '../refusal.js';
import {isAwaitingAnswer, isBusy, type SessionRecord} from '../sessions/facts.js';
import type {SessionEndReason} from '../sessions/record.js';

/*
The session table as a pure step: the live sessions of a listener by id, counted in all and per client address, and the decisions about them: whether a new session may open (making room by ending the oldest half-open session that waits for nothing), which sessions a reap ends (idle, or half-open for too long, at the `now` the event gives), when the reap timer runs. `step(state, event)` changes the state in place and returns effects; the glue (`index.ts`) ends sessions, logs and keeps the timer.

A session is half-open until its client sends something after `initialize`. When a limit is reached, the oldest half-open session that waits for nothing makes room for the new one (of the same address, for the per-address limit; failing that, at the per-address limit, the address's least recently active idle session), the way a TCP stack drops its oldest half-open connections under a SYN flood: a client that loops on `initialize` can then never lock others out, while sessions in use are never taken.
*/

export type TableLimits = {
	readonly maxSessions: number;
	/**
	How many sessions one client address may hold.
	*/
	readonly maxSessionsPerClient: number;
	/**
	Milliseconds without client activity, and without an open stream, after which a session is ended.
	*/
	readonly sessionTimeout: number;
	/**
	Milliseconds a half-open session may stay quiet, after its last request or the answer to it, before it is ended.
	*/
	readonly handshakeTimeout: number;
	/**
	How refusals name the setting that changes each limit.
	*/
	readonly settingNames?: SettingNames;
};

export type TableState = {
	readonly limits: TableLimits;
	readonly sessions: Map<string, SessionRecord>;
	readonly perClient: Map<string, number>;
	/**
	Sessions that may still be half-open, oldest first; each leaves once it is seen initialized or ended.
	*/
	readonly halfOpen: Set<SessionRecord>;
	/**
	Whether the reap timer runs (while there are sessions).
	*/
	armed: boolean;
};

export type TableEvent
	= | {readonly type: 'admit'; readonly client: string}
		| {readonly type: 'add'; readonly session: SessionRecord; readonly client: string}
		| {readonly type: 'touch'; readonly session: SessionRecord; readonly now: number}
		| {readonly type: 'ended'; readonly session: SessionRecord; readonly reason: SessionEndReason}
		| {readonly type: 'reap'; readonly now: number}
		| {readonly type: 'end-all'};

/**
- `refuse`: the new session may not open; answer this.
- `end`: end this session (it already left the table unless the listener closes), logging `why` at debug level.
- `forgotten`: a session left the table (`left` remain); for the debug log.
- `arm` / `disarm`: start the reap timer, every `interval` ms / stop it.
*/
export type TableEffect
	= | {readonly type: 'refuse'; readonly refusal: Refusal}
		| {readonly type: 'end'; readonly session: SessionRecord; readonly reason: SessionEndReason; readonly why?: string}
		| {readonly type: 'forgotten'; readonly session: SessionRecord; readonly reason: SessionEndReason; readonly left: number}
		| {readonly type: 'arm'; readonly interval: number}
		| {readonly type: 'disarm'};

const none: readonly TableEffect[] = Object.freeze([]);

export function createTableState(limits: TableLimits): TableState {
	return {
		limits, sessions: new Map(), perClient: new Map(), halfOpen: new Set(), armed: false,
	};
}

export function step(state: TableState, event: TableEvent): readonly TableEffect[] {
	switch (event.type) {
		case 'admit': {
			return admit(state, event.client);
		}

		case 'add': {
			return add(state, event.session, event.client);
		}

		case 'touch': {
			event.session.lastActivity = event.now;
			return none;
		}

		case 'ended': {
			const effects: TableEffect[] = [];
			forget(state, event.session, event.reason, effects);
			return effects;
		}

		case 'reap': {
			return reap(state, event.now);
		}

		case 'end-all': {
			// Each leaves the table as it ends.
			const effects: TableEffect[] = [...state.sessions.values()].map(session => ({type: 'end', session, reason: 'listener-closed'}));
			disarm(state, effects);
			return effects;
		}
	}
}

/**
How many sessions each server has.
*/
export function countByServer(state: TableState): Record<string, number> {
	// A Map first: a server may be called `__proto__` or `constructor`.
	const counts = new Map<string, number>();
	for (const session of state.sessions.values()) {
		counts.set(session.server, (counts.get(session.server) ?? 0) + 1);
	}

	return Object.fromEntries(counts);
}

function admit(state: TableState, client: string): readonly TableEffect[] {
	const {maxSessions, maxSessionsPerClient, settingNames} = state.limits;
	const effects: TableEffect[] = [];
	if ((state.perClient.get(client) ?? 0) >= maxSessionsPerClient && !evictHalfOpen(state, client, effects) && !evictIdle(state, client, effects)) {
		const message = `Too many sessions from one client address: it has ${maxSessionsPerClient} open, the limit per address (${settingName(settingNames, 'maxSessionsPerClient')})`;
		effects.push(refuse(429, `${message}; end unused sessions (DELETE) or try again later`));
	} else if (state.sessions.size >= maxSessions && !evictHalfOpen(state, undefined, effects)) {
		effects.push(refuse(503, `Too many sessions: ${maxSessions} are open, the proxy's limit (${settingName(settingNames, 'maxSessions')}); try again later`));
	}

	return effects;
}

function refuse(status: 429 | 503, message: string): TableEffect {
	return {
		type: 'refuse',
		refusal: {
			status, code: errorCodes.overloaded, message, headers: {'Retry-After': '5'},
		},
	};
}

function add(state: TableState, session: SessionRecord, client: string): readonly TableEffect[] {
	session.client = client;
	state.sessions.set(session.id, session);
	state.perClient.set(client, (state.perClient.get(client) ?? 0) + 1);
	if (!session.initialized) {
		state.halfOpen.add(session);
	}

	const {sessionTimeout, handshakeTimeout} = state.limits;
	const shortest = Math.min(sessionTimeout, handshakeTimeout);
	if (state.armed || !Number.isFinite(shortest)) {
		return none;
	}

	state.armed = true;
	return [{type: 'arm', interval: Math.min(Math.max(Math.floor(shortest / 4), 50), 30_000)}];
}

/**
End half-open sessions quiet for longer than the handshake timeout, and sessions idle for longer than the session timeout.
*/
function reap(state: TableState, now: number): readonly TableEffect[] {
	const {handshakeTimeout, sessionTimeout} = state.limits;
	let effects: TableEffect[] | undefined;
	for (const session of state.halfOpen) {
		if (session.initialized || session.ended) {
			state.halfOpen.delete(session);
		} else if (!isAwaitingAnswer(session) && now - session.lastActivity > handshakeTimeout) {
			effects ??= [];
			end(state, {
				type: 'end', session, reason: 'uninitialized', why: `Session ${session.id} did not complete initialization within ${handshakeTimeout} ms; ending it`,
			}, effects);
		}
	}

	for (const session of state.sessions.values()) {
		if (!isBusy(session) && now - session.lastActivity > sessionTimeout) {
			effects ??= [];
			end(state, {
				type: 'end', session, reason: 'idle', why: `Session ${session.id} was idle for ${now - session.lastActivity} ms; ending it`,
			}, effects);
		}
	}

	return effects ?? none;
}

/**
End the oldest half-open session (of `client`, when given) that waits for no answer. Returns whether one was ended.
*/
function evictHalfOpen(state: TableState, client: string | undefined, effects: TableEffect[]): boolean {
	for (const session of state.halfOpen) {
		if (session.initialized || session.ended) {
			state.halfOpen.delete(session);
		} else if ((client === undefined || session.client === client) && !isAwaitingAnswer(session)) {
			end(state, {
				type: 'end', session, reason: 'uninitialized', why: `Session ${session.id} never completed initialization; ending it to make room for a new one`,
			}, effects);
			return true;
		}
	}

	return false;
}

/**
End the least recently active idle session of `client` (no open stream, no request waiting for its answer): at the per-address limit, a client that holds many finished sessions it no longer uses makes room for its own new one (or another local client's), rather than locking them out until the session timeout. Its client gets 404 on its next request and initializes again, as the protocol asks. Returns whether one was ended. Linear in the table's sessions, and only at the per-address limit.
*/
function evictIdle(state: TableState, client: string, effects: TableEffect[]): boolean {
	let oldest: SessionRecord | undefined;
	for (const session of state.sessions.values()) {
		if (session.client === client && !session.ended && !isBusy(session) && (oldest === undefined || session.lastActivity < oldest.lastActivity)) {
			oldest = session;
		}
	}

	if (oldest === undefined) {
		return false;
	}

	const why = `Session ${oldest.id} was the least recently active idle session of its client address, which is at its limit of sessions; ending it to make room for a new one`;
	end(state, {
		type: 'end', session: oldest, reason: 'idle', why,
	}, effects);
	return true;
}

/**
A session is to end: it leaves the table now, so that what the table decides next counts without it.
*/
function end(state: TableState, effect: TableEffect & {type: 'end'}, effects: TableEffect[]): void {
	effects.push(effect);
	forget(state, effect.session, effect.reason, effects);
}

function forget(state: TableState, session: SessionRecord, reason: SessionEndReason, effects: TableEffect[]): void {
	if (state.sessions.get(session.id) === session) {
		state.sessions.delete(session.id);
		state.halfOpen.delete(session);
		const count = (state.perClient.get(session.client) ?? 1) - 1;
		if (count === 0) {
			state.perClient.delete(session.client);
		} else {
			state.perClient.set(session.client, count);
		}

		effects.push({
			type: 'forgotten', session, reason, left: state.sessions.size,
		});
	}

	if (state.sessions.size === 0) {
		disarm(state, effects);
	}
}

function disarm(state: TableState, effects: TableEffect[]): void {
	if (state.armed) {
		state.armed = false;
		effects.push({type: 'disarm'});
	}
}
