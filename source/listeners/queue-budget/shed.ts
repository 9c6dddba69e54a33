import type {Counted, Payload} from '../payload.js';

/*
The queue budget's state and its decisions, pure: the count of bytes held for clients, which notifications are shed (the oldest held anywhere first: a list of them in the order they were first held, so that shedding one is O(1) however many sessions hold it), whose resumption copies go next and which session is closed when the count passes the limit, and the text and timing of the warning about them. The state is changed in place; a shed notification is only marked (every queue that holds it skips it and lets go of it when it comes to it); nothing here drops a copy, closes, logs or reads a clock: the glue (`index.ts`) does what a decision says and reports back.
*/

/**
A session as the budget sees it: the bytes of the payloads it holds that are not notifications (responses, requests, JSON answers), each counted once per place it sits (a stream's queue, its store…).
*/
export type BudgetHolder = {
	readonly id: string;
	readonly heldBytes: number;
};

export type BudgetState<H extends BudgetHolder = BudgetHolder> = {
	readonly limit: number;
	/**
	How a warning tells the user to raise the limit (`raise it with --max-queued-bytes`).
	*/
	readonly raise: string;
	/**
	Bytes of the payloads held now, each counted once however many hold it.
	*/
	queued: number;
	/**
	Notifications shed so far, and sessions closed because they held too much that could not be shed.
	*/
	shedMessages: number;
	cutSessions: number;
	readonly holders: Set<H>;
	/**
	The notifications held now, oldest first (linked through the payloads themselves).
	*/
	oldest: Payload | undefined;
	newest: Payload | undefined;
	/**
	Notifications shed and not yet reported, by session id; their bytes, and the highest count seen meanwhile.
	*/
	readonly unreported: Map<string, number>;
	unreportedBytes: number;
	unreportedPeak: number;
	/**
	When the last warning was given.
	*/
	lastReport: number;
};

export function createBudgetState<H extends BudgetHolder>(limit: number, raise: string): BudgetState<H> {
	return {
		limit,
		raise,
		queued: 0,
		shedMessages: 0,
		cutSessions: 0,
		holders: new Set(),
		oldest: undefined,
		newest: undefined,
		unreported: new Map(),
		unreportedBytes: 0,
		unreportedPeak: 0,
		lastReport: Number.NEGATIVE_INFINITY,
	};
}

/**
Count a payload taken by one more holder: its bytes count once, with the first. Returns whether the count went over the limit with it.
*/
export function countHold(state: BudgetState, payload: Counted): boolean {
	if (payload.holders++ === 0 && !payload.shed) {
		state.queued += payload.size;
		if (listed(payload)) {
			link(state, payload as Payload);
		}

		return state.queued > state.limit;
	}

	return false;
}

/**
Count a payload let go by one holder: its bytes leave the count with the last.
*/
export function countRelease(state: BudgetState, payload: Counted): void {
	if (--payload.holders === 0 && !payload.shed) {
		state.queued -= payload.size;
		if (listed(payload)) {
			unlink(state, payload as Payload);
		}
	}
}

/**
Whether a held payload is in the list of what may be shed: a notification with something in it (an empty one, such as the event that primes a stream, frees nothing and may be shared by every session).
*/
function listed(payload: Counted): boolean {
	return payload.sheddable && payload.size > 0;
}

function link(state: BudgetState, payload: Payload): void {
	payload.older = state.newest;
	payload.newer = undefined;
	if (state.newest === undefined) {
		state.oldest = payload;
	} else {
		state.newest.newer = payload;
	}

	state.newest = payload;
}

function unlink(state: BudgetState, payload: Payload): void {
	const {older, newer} = payload;
	if (older === undefined) {
		state.oldest = newer;
	} else {
		older.newer = newer;
	}

	if (newer === undefined) {
		state.newest = older;
	} else {
		newer.older = older;
	}

	payload.older = undefined;
	payload.newer = undefined;
}

/**
Shed the oldest notification held anywhere: it leaves the count and the list, its text or bytes are let go, and every holder skips it from now on (O(1), however many hold it). Returns its size, 0 when no notification is held.
*/
export function shedOldestNotification(state: BudgetState): number {
	const payload = state.oldest;
	if (payload === undefined) {
		return 0;
	}

	unlink(state, payload);
	payload.shed = true;
	payload.text = undefined;
	payload.bytes = undefined;
	state.queued -= payload.size;
	state.shedMessages++;
	state.unreportedBytes += payload.size;
	const id = payload.queuedBy ?? 'unknown';
	state.unreported.set(id, (state.unreported.get(id) ?? 0) + 1);
	return payload.size;
}

const noHolders: ReadonlySet<never> = new Set();

/**
The holder holding the most bytes, leaving out `skip`, and the most any other holds.
*/
export function biggest<H extends BudgetHolder>(holders: Iterable<H>, skip: ReadonlySet<H> = noHolders): {holder: H; runnerUp: number} | undefined {
	let holder: H | undefined;
	let runnerUp = 0;
	for (const each of holders) {
		if (skip.has(each)) {
			continue;
		}

		if (holder === undefined || each.heldBytes > holder.heldBytes) {
			if (holder !== undefined) {
				runnerUp = holder.heldBytes;
			}

			holder = each;
		} else if (each.heldBytes > runnerUp) {
			runnerUp = each.heldBytes;
		}
	}

	return holder && {holder, runnerUp};
}

/**
One run of bringing the count back within the limit, down to `target` (1/16 below the limit): the oldest notifications held anywhere are shed first (a broadcast is one message everywhere); then resumption copies of what was written, always from the holder holding the most, down to the next biggest before looking again; then, while still over the limit, the holder holding the most is closed.
*/
export type Enforcement<H extends BudgetHolder> = {
	readonly target: number;
	phase: 'notifications' | 'shed' | 'cut';
	/**
	Holders with nothing left to shed.
	*/
	readonly exhausted: Set<H>;
	/**
	The holder shedding now, down to `runnerUp`, and what it shed so far.
	*/
	holder: H | undefined;
	runnerUp: number;
	count: number;
	bytes: number;
};

export type Move<H extends BudgetHolder> = {type: 'shed'; holder: H} | {type: 'cut'; holder: H; warning: string} | {type: 'done'};

const done: Move<never> = Object.freeze({type: 'done'});

/**
Start a run when the count is over the limit, or `undefined` when it is not.
*/
export function startEnforcement<H extends BudgetHolder>(state: BudgetState<H>): Enforcement<H> | undefined {
	if (state.queued <= state.limit) {
		return undefined;
	}

	state.unreportedPeak = Math.max(state.unreportedPeak, state.queued);
	return {
		target: state.limit - Math.floor(state.limit / 16),
		phase: 'notifications',
		exhausted: new Set(),
		holder: undefined,
		runnerUp: 0,
		count: 0,
		bytes: 0,
	};
}

/**
What to do next in a run: shed notifications (done here: no move), shed one resumption copy of a holder (report its size with `noteShed`), close a holder (it leaves the budget at once), or nothing more.
*/
export function nextMove<H extends BudgetHolder>(state: BudgetState<H>, run: Enforcement<H>): Move<H> {
	while (run.phase === 'notifications') {
		if (state.queued <= run.target || state.oldest === undefined) {
			run.phase = 'shed';
		} else {
			shedOldestNotification(state);
		}
	}

	while (run.phase === 'shed') {
		const {holder} = run;
		if (holder !== undefined) {
			if (state.queued > run.target && holder.heldBytes >= run.runnerUp) {
				return {type: 'shed', holder};
			}

			settle(state, run);
		}

		const next = state.queued > run.target ? biggest(state.holders, run.exhausted) : undefined;
		if (next === undefined) {
			run.phase = 'cut';
		} else {
			run.holder = next.holder;
			run.runnerUp = next.runnerUp;
		}
	}

	if (state.queued <= state.limit) {
		return done;
	}

	const victim = biggest(state.holders);
	if (!victim || victim.holder.heldBytes === 0) {
		return done;
	}

	state.cutSessions++;
	state.holders.delete(victim.holder);
	const held = `holding ${formatBytes(victim.holder.heldBytes)} of responses and requests its client does not read`;
	const over = `the messages queued for all clients (${formatBytes(state.queued)}) are over the limit of ${formatBytes(state.limit)}`;
	return {type: 'cut', holder: victim.holder, warning: `Session ${victim.holder.id}: closed, ${held}, while ${over} with nothing left to shed; ${state.raise}`};
}

/**
The holder of the last `shed` move let go of a resumption copy of `size` bytes, or had none left (0).
*/
export function noteShed<H extends BudgetHolder>(state: BudgetState<H>, run: Enforcement<H>, size: number): void {
	if (size === 0) {
		run.exhausted.add(run.holder!);
		settle(state, run);
		return;
	}

	run.count++;
	run.bytes += size;
}

function settle<H extends BudgetHolder>(state: BudgetState<H>, run: Enforcement<H>): void {
	const {holder, count} = run;
	if (holder !== undefined && count > 0) {
		state.shedMessages += count;
		state.unreportedBytes += run.bytes;
		state.unreported.set(holder.id, (state.unreported.get(holder.id) ?? 0) + count);
	}

	run.holder = undefined;
	run.count = 0;
	run.bytes = 0;
}

/**
Milliseconds until the warning about shed notifications may be given (at most one per `interval`); 0 or less: now.
*/
export function reportWait(state: BudgetState, now: number, interval: number): number {
	return state.lastReport + interval - now;
}

/**
The warning about the notifications shed since the last one (the five sessions that shed most by name), and a fresh count.
*/
export function takeReport(state: BudgetState, now: number): string {
	state.lastReport = now;
	const sessions = [...state.unreported].toSorted((a, b) => b[1] - a[1]);
	const total = sessions.reduce((sum, [, count]) => sum + count, 0);
	const shown = sessions.slice(0, 5).map(([id, count]) => `${count} for session ${id}`).join(', ');
	const more = sessions.length > 5 ? ` and ${total - sessions.slice(0, 5).reduce((sum, [, count]) => sum + count, 0)} for ${sessions.length - 5} more sessions` : '';
	const why = `messages queued for all clients (${formatBytes(state.unreportedPeak)}) passed the limit of ${formatBytes(state.limit)}; ${state.raise}`;
	const text = `Shed ${total} notifications and resumption copies (${formatBytes(state.unreportedBytes)}) that clients were not reading: ${shown}${more}. The ${why}`;
	state.unreported.clear();
	state.unreportedBytes = 0;
	state.unreportedPeak = 0;
	return text;
}

const mebibyte = 1024 * 1024;

function formatBytes(bytes: number): string {
	return bytes >= mebibyte ? `${Math.round(bytes / mebibyte * 10) / 10} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
