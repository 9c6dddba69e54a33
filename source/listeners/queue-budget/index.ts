import type {Logger} from '../../logger.js';
import {settingName, type SettingNames} from '../../setting-names.js';
import type {Message} from '../../types.js';
import {serializeJson} from '../../wire/long-strings.js';
import {Payload, type Counted, type PayloadKind} from '../payload.js';
import {
	countHold,
	countRelease,
	createBudgetState,
	nextMove,
	noteShed,
	reportWait,
	startEnforcement,
	takeReport,
	type BudgetHolder,
} from './shed.js';

/*
The listener's budget for queued bytes, across all its sessions: the glue around the decisions of `shed.ts`. It counts what sessions hold, and when a hold takes the count over the limit it runs the decisions at the end of the current task, shedding and closing as they say, and gives the warning about shed notifications at most once per interval.
*/

export type {BudgetHolder} from './shed.js';

export type QueueBudgetOptions<H extends BudgetHolder> = {
	/**
	Bytes of queued messages allowed, each message counted once however many sessions hold it.
	*/
	limit: number;
	logger: Logger;
	/**
	Least milliseconds between two warnings about shed notifications; counts add up in between.

	@default 10000
	*/
	logInterval?: number;
	/**
	How warnings name the setting that raises the limit.
	*/
	settingNames?: SettingNames;
	/**
	Let go of a holder's oldest copy kept for resumption of a response or request already written (notifications are shed by the budget itself). Returns its size, 0 when it holds none.
	*/
	shedOne: (holder: H) => number;
	/**
	Close a holder's session and its streams, dropping what it holds.
	*/
	cut: (holder: H) => void;
};

/**
What sessions and their streams tell the budget: payloads taken and let go, holders that come and go.
*/
export type QueueBudget<H extends BudgetHolder = BudgetHolder> = {
	/**
	The payload of a message: a notification is serialized once, and the same payload serves every session it is broadcast to.
	*/
	payloadOf(message: Message): Payload;
	add(holder: H): void;
	delete(holder: H): void;
	hold(payload: Counted): void;
	release(payload: Counted): void;
	/**
	How many notifications were shed so far.
	*/
	shedSoFar(): number;
	/**
	Bytes held now, notifications shed and sessions closed so far.
	*/
	counts(): {queued: number; shedMessages: number; cutSessions: number};
	/**
	Bring the count back within the limit (after a hold passed it); public for tests.
	*/
	enforce(): void;
	/**
	Report what was shed and not yet reported (the listener is closing).
	*/
	close(): void;
};

/**
Count the bytes of every payload held by the sessions of a listener (once per payload, however many hold it), and keep them within `limit`: when a hold takes the count over the limit, at the end of the current task the oldest notification held anywhere is shed, everywhere at once (O(1) each, however many sessions hold a broadcast), again and again until the count is 1/16 below the limit; then copies kept for resumption of what was written, from the session holding the most; responses and server→client requests not yet written are never shed. If that is not enough, the session holding the most is closed. Shed notifications are reported in one warning per `logInterval`, counted per session.

@example
```
const budget = createQueueBudget({limit: 256 * 1024 * 1024, logger, shedOne, cut});
budget.add(session);
budget.hold(budget.payloadOf(message));
```
*/
export function createQueueBudget<H extends BudgetHolder>(options: QueueBudgetOptions<H>): QueueBudget<H> {
	const {logger, shedOne, cut} = options;
	const logInterval = options.logInterval ?? 10_000;
	const state = createBudgetState<H>(options.limit, `raise it with ${settingName(options.settingNames, 'maxQueuedBytes')}`);
	// Notifications serialized once for every session they go to (a broadcast is one object).
	const notifications = new WeakMap<Message, Payload>();
	let scheduled = false;
	let reportTimer: NodeJS.Timeout | undefined;

	const report = (): void => {
		const wait = reportWait(state, Date.now(), logInterval);
		if (wait > 0) {
			reportTimer ??= setTimeout(() => {
				reportTimer = undefined;
				report();
			}, wait).unref();
			return;
		}

		logger.warning(takeReport(state, Date.now()));
	};

	const enforce = (): void => {
		const run = startEnforcement(state);
		if (run === undefined) {
			return;
		}

		for (let move = nextMove(state, run); move.type !== 'done'; move = nextMove(state, run)) {
			if (move.type === 'shed') {
				noteShed(state, run, shedOne(move.holder));
			} else {
				logger.warning(move.warning);
				cut(move.holder);
			}
		}

		if (state.unreported.size > 0) {
			report();
		}
	};

	const runEnforcement = (): void => {
		scheduled = false;
		enforce();
	};

	return {
		payloadOf(message) {
			const kind: PayloadKind = 'id' in message && message.id !== undefined ? ('method' in message ? 'request' : 'response') : 'notification';
			if (kind !== 'notification') {
				return new Payload(serializeJson(message), kind);
			}

			let payload = notifications.get(message);
			if (payload === undefined || payload.shed) {
				payload = new Payload(serializeJson(message), kind);
				notifications.set(message, payload);
			}

			return payload;
		},
		add(holder) {
			state.holders.add(holder);
		},
		delete(holder) {
			state.holders.delete(holder);
		},
		hold(payload) {
			if (countHold(state, payload) && !scheduled) {
				// Not now: the hold may come from deep inside a session's routing, which shedding or closing would change under it.
				scheduled = true;
				queueMicrotask(runEnforcement);
			}
		},
		release(payload) {
			countRelease(state, payload);
		},
		shedSoFar: () => state.shedMessages,
		counts: () => ({queued: state.queued, shedMessages: state.shedMessages, cutSessions: state.cutSessions}),
		enforce,
		close() {
			clearTimeout(reportTimer);
			reportTimer = undefined;
			if (state.unreported.size > 0) {
				state.lastReport = Number.NEGATIVE_INFINITY;
				report();
			}
		},
	};
}
