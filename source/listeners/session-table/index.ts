import {randomUUID} from 'node:crypto';
import type {IncomingMessage} from 'node:http';
import {
	asyncScheduler, interval, type SchedulerLike, type Subscription,
} from 'rxjs';
import type {Logger} from '../../logger.js';
import type {Refusal} from '../refusal.js';
import {endSession, type SessionEndReason, type SessionRecord} from '../sessions/index.js';
import {
	countByServer, createTableState, step, type TableEffect, type TableEvent, type TableLimits,
} from './step.js';

/*
The session table's glue: it feeds the pure step (`step.ts`) its events, with the time of the scheduler, and does what the effects say: ends sessions, logs, runs the reap timer (an Rx `interval`, so tests drive it with a TestScheduler).
*/

export type SessionTableOptions = TableLimits & {
	logger: Logger;
	/**
	The scheduler of the reap timer, and the clock reaps read.

	@default asyncScheduler
	*/
	scheduler?: SchedulerLike;
};

export type SessionTable = {
	/**
	Make room for one more session of `client` (ending the oldest abandoned half-open session if a limit is reached), or say why not.
	*/
	admit(client: string): Refusal | undefined;
	add(session: SessionRecord, client: string): void;
	/**
	The client of a session did something.
	*/
	touch(session: SessionRecord): void;
	/**
	A session ended (the sessions' `ended` hook): the table forgets it.
	*/
	ended(session: SessionRecord, reason: SessionEndReason): void;
	/**
	End idle and abandoned sessions now (the timer does it every so often); public for tests.
	*/
	reap(): void;
	/**
	End every session (the listener is closing).
	*/
	endAll(): void;
	get(id: string | undefined): SessionRecord | undefined;
	/**
	A fresh session id: 122 random bits from the system's secure generator, in visible ASCII.
	*/
	newId(): string;
	size(): number;
	countByServer(): Record<string, number>;
};

/**
The address a request came from, as sessions are counted by: an IPv4 client seen through an IPv6 socket (`::ffff:10.0.0.1`) counts as `10.0.0.1`.
*/
export function clientAddress(request: IncomingMessage): string {
	const address = request.socket.remoteAddress ?? '';
	return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
The live sessions of a listener, by id: their limits (in all, per client address), the reapers of idle and half-open sessions (one timer for all, while there are sessions), and the end of everything when the listener closes.

@example
```
const table = createSessionTable({maxSessions: 10_000, maxSessionsPerClient: 1000, sessionTimeout: 1_800_000, handshakeTimeout: 30_000, logger});
const refusal = table.admit(clientAddress(request));
if (refusal === undefined) {
	table.add(session, clientAddress(request));
}
```
*/
export function createSessionTable(options: SessionTableOptions): SessionTable {
	const {logger, scheduler = asyncScheduler} = options;
	const state = createTableState(options);
	let timer: Subscription | undefined;

	const run = (event: TableEvent): Refusal | undefined => perform(step(state, event));

	const reap = (): void => {
		run({type: 'reap', now: scheduler.now()});
	};

	const perform = (effects: readonly TableEffect[]): Refusal | undefined => {
		let refusal: Refusal | undefined;
		for (const effect of effects) {
			switch (effect.type) {
				case 'refuse': {
					refusal = effect.refusal;
					break;
				}

				case 'end': {
					if (effect.why !== undefined) {
						logger.debug(effect.why);
					}

					endSession(effect.session, effect.reason);
					break;
				}

				case 'forgotten': {
					if (logger.isEnabled('debug')) {
						logger.debug(`Session ${effect.session.id} ended (${effect.reason}); ${effect.left} left`);
					}

					break;
				}

				case 'arm': {
					timer = interval(effect.interval, scheduler).subscribe(reap);
					break;
				}

				case 'disarm': {
					timer?.unsubscribe();
					timer = undefined;
					break;
				}
			}
		}

		return refusal;
	};

	return {
		admit: client => run({type: 'admit', client}),
		add(session, client) {
			run({type: 'add', session, client});
		},
		touch(session) {
			run({type: 'touch', session, now: scheduler.now()});
		},
		ended(session, reason) {
			run({type: 'ended', session, reason});
		},
		reap,
		endAll() {
			run({type: 'end-all'});
		},
		get: id => id === undefined ? undefined : state.sessions.get(id),
		newId() {
			let id = randomUUID();
			while (state.sessions.has(id)) {
				id = randomUUID();
			}

			return id;
		},
		size: () => state.sessions.size,
		countByServer: () => countByServer(state),
	};
}
