import type {Logger} from '../logger.js';
import {settingName, type SettingNames} from '../setting-names.js';
import {serializeJson} from '../wire/long-strings.js';
import type {Message} from '../types.js';
import {Payload, type PayloadKind} from './payload.js';

/*
The listener's budget for queued bytes, across all its sessions: when messages waiting for slow clients pass it, the oldest notifications of the sessions holding the most are shed; a session holding more than the budget in messages that cannot be shed is closed.
*/

/**
A session as the budget sees it.
*/
export type BudgetHolder = {
	readonly id: string;
	/**
	Bytes of the payloads it holds, each counted once per place it sits (a stream's queue, its store…).
	*/
	readonly heldBytes: number;
	/**
	Let go of its oldest notification, everywhere it holds it. Returns the notification's size, 0 when it holds none that may be shed.
	*/
	shedOne(): number;
	/**
	Close the session and its streams, dropping what it holds.
	*/
	cut(): void;
};

export type QueueBudgetOptions = {
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
};

const mebibyte = 1024 * 1024;

function formatBytes(bytes: number): string {
	return bytes >= mebibyte ? `${Math.round(bytes / mebibyte * 10) / 10} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/**
Counts the bytes of every payload held by the sessions of a listener (once per payload, however many hold it), and keeps them within `limit`.

When a hold takes the count over the limit, at the end of the current task: the session holding the most bytes sheds its oldest notification, again and again (always from the session holding the most), until the count is 1/16 below the limit; responses and server→client requests are never shed. If that is not enough, the session holding the most is closed. Shed notifications are reported in one warning per `logInterval`, counted per session.

@example
```
const budget = new QueueBudget({limit: 256 * 1024 * 1024, logger});
const payload = budget.payloadOf(message);
budget.add(session);
```
*/
export class QueueBudget {
	readonly limit: number;
	/**
	Bytes of the payloads held now.
	*/
	queued = 0;
	/**
	Notifications shed so far.
	*/
	shedMessages = 0;
	/**
	Sessions closed so far because they held too much that could not be shed.
	*/
	cutSessions = 0;

	private readonly holders = new Set<BudgetHolder>();
	/**
	Notifications serialized once for every session they go to (a broadcast is one object).
	*/
	private readonly notifications = new WeakMap<Message, Payload>();
	private readonly logger: Logger;
	private readonly logInterval: number;
	private readonly raise: string;
	private scheduled = false;
	private readonly unreported = new Map<string, number>();
	private unreportedBytes = 0;
	private unreportedPeak = 0;
	private lastReport = Number.NEGATIVE_INFINITY;
	private reportTimer: NodeJS.Timeout | undefined;

	constructor(options: QueueBudgetOptions) {
		this.limit = options.limit;
		this.logger = options.logger;
		this.logInterval = options.logInterval ?? 10_000;
		this.raise = `raise it with ${settingName(options.settingNames, 'maxQueuedBytes')}`;
	}

	/**
	The payload of a message: a notification is serialized once, and the same payload serves every session it is broadcast to.
	*/
	payloadOf(message: Message): Payload {
		const kind: PayloadKind = 'id' in message && message.id !== undefined ? ('method' in message ? 'request' : 'response') : 'notification';
		if (kind !== 'notification') {
			return new Payload(serializeJson(message), kind);
		}

		let payload = this.notifications.get(message);
		if (payload === undefined) {
			payload = new Payload(serializeJson(message), kind);
			this.notifications.set(message, payload);
		}

		return payload;
	}

	add(holder: BudgetHolder): void {
		this.holders.add(holder);
	}

	delete(holder: BudgetHolder): void {
		this.holders.delete(holder);
	}

	hold(payload: Payload): void {
		if (payload.holders++ === 0) {
			this.queued += payload.size;
			if (this.queued > this.limit && !this.scheduled) {
				// Not now: the hold may come from deep inside a session's routing, which shedding or closing would change under it.
				this.scheduled = true;
				queueMicrotask(() => {
					this.scheduled = false;
					this.enforce();
				});
			}
		}
	}

	release(payload: Payload): void {
		if (--payload.holders === 0) {
			this.queued -= payload.size;
		}
	}

	/**
	Report what was shed and not yet reported (the listener is closing).
	*/
	close(): void {
		clearTimeout(this.reportTimer);
		this.reportTimer = undefined;
		if (this.unreported.size > 0) {
			this.lastReport = Number.NEGATIVE_INFINITY;
			this.report();
		}
	}

	/**
	Bring the count back within the limit. Called after a hold passed it; public for tests.
	*/
	enforce(): void {
		if (this.queued <= this.limit) {
			return;
		}

		this.unreportedPeak = Math.max(this.unreportedPeak, this.queued);
		this.shed(this.limit - Math.floor(this.limit / 16));
		while (this.queued > this.limit) {
			const biggest = this.biggest(new Set());
			if (!biggest || biggest.holder.heldBytes === 0) {
				break;
			}

			this.cutSessions++;
			const held = `holding ${formatBytes(biggest.holder.heldBytes)} of responses and requests its client does not read`;
			const over = `the messages queued for all clients (${formatBytes(this.queued)}) are over the limit of ${formatBytes(this.limit)}`;
			this.logger.warning(`Session ${biggest.holder.id}: closed, ${held}, while ${over} with nothing left to shed; ${this.raise}`);
			biggest.holder.cut();
			this.holders.delete(biggest.holder);
		}

		if (this.unreported.size > 0) {
			this.report();
		}
	}

	/**
	Shed notifications, from the session holding the most first, until `target` is reached or none is left to shed.
	*/
	private shed(target: number): void {
		const exhausted = new Set<BudgetHolder>();
		while (this.queued > target) {
			const biggest = this.biggest(exhausted);
			if (!biggest) {
				return;
			}

			const {holder, runnerUp} = biggest;
			let count = 0;
			let bytes = 0;
			// Down to the next biggest, then look again.
			while (this.queued > target && holder.heldBytes >= runnerUp) {
				const size = holder.shedOne();
				if (size === 0) {
					exhausted.add(holder);
					break;
				}

				count++;
				bytes += size;
			}

			if (count > 0) {
				this.shedMessages += count;
				this.unreportedBytes += bytes;
				this.unreported.set(holder.id, (this.unreported.get(holder.id) ?? 0) + count);
			}
		}
	}

	private biggest(skip: Set<BudgetHolder>): {holder: BudgetHolder; runnerUp: number} | undefined {
		let holder: BudgetHolder | undefined;
		let runnerUp = 0;
		for (const each of this.holders) {
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
	One warning for the notifications shed since the last one, at most every `logInterval`.
	*/
	private report(): void {
		const wait = this.lastReport + this.logInterval - Date.now();
		if (wait > 0) {
			this.reportTimer ??= setTimeout(() => {
				this.reportTimer = undefined;
				this.report();
			}, wait).unref();
			return;
		}

		this.lastReport = Date.now();
		const sessions = [...this.unreported].toSorted((a, b) => b[1] - a[1]);
		const total = sessions.reduce((sum, [, count]) => sum + count, 0);
		const shown = sessions.slice(0, 5).map(([id, count]) => `${count} for session ${id}`).join(', ');
		const more = sessions.length > 5 ? ` and ${total - sessions.slice(0, 5).reduce((sum, [, count]) => sum + count, 0)} for ${sessions.length - 5} more sessions` : '';
		const why = `messages queued for all clients (${formatBytes(this.unreportedPeak)}) passed the limit of ${formatBytes(this.limit)}; ${this.raise}`;
		this.logger.warning(`Shed ${total} notifications and resumption copies (${formatBytes(this.unreportedBytes)}) that clients were not reading: ${shown}${more}. The ${why}`);
		this.unreported.clear();
		this.unreportedBytes = 0;
		this.unreportedPeak = 0;
	}
}
