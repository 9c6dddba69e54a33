import {randomUUID} from 'node:crypto';
import type {Logger} from '../logger.js';
import type {SessionEndReason, SessionPort} from './session-port.js';

export type SessionTableOptions = {
	maxSessions: number;
	/**
	Milliseconds without client activity, and without an open stream, after which a session is ended.
	*/
	sessionTimeout: number;
	logger: Logger;
};

/**
The live sessions of a listener, by id: the session limit, the idle reaper (one timer for all), and the end of everything when the listener closes.

@example
```
const table = new SessionTable({maxSessions: 10_000, sessionTimeout: 1_800_000, logger});
if (table.full) {
	// answer 503
}
table.add(port);
```
*/
export class SessionTable {
	private readonly sessions = new Map<string, SessionPort>();
	private readonly options: SessionTableOptions;
	private timer: NodeJS.Timeout | undefined;

	constructor(options: SessionTableOptions) {
		this.options = options;
	}

	get size(): number {
		return this.sessions.size;
	}

	get full(): boolean {
		return this.sessions.size >= this.options.maxSessions;
	}

	/**
	A fresh session id: 122 random bits from the system's secure generator, in visible ASCII.
	*/
	newId(): string {
		let id = randomUUID();
		while (this.sessions.has(id)) {
			id = randomUUID();
		}

		return id;
	}

	get(id: string | undefined): SessionPort | undefined {
		return id === undefined ? undefined : this.sessions.get(id);
	}

	add(port: SessionPort): void {
		this.sessions.set(port.session.id, port);
		port.onEnd = (ended, reason) => {
			this.forget(ended, reason);
		};

		this.arm();
	}

	/**
	How many sessions each server has.
	*/
	countByServer(): Record<string, number> {
		// A Map first: a server may be called `__proto__` or `constructor`.
		const counts = new Map<string, number>();
		for (const port of this.sessions.values()) {
			counts.set(port.session.server, (counts.get(port.session.server) ?? 0) + 1);
		}

		return Object.fromEntries(counts);
	}

	/**
	End every session (the listener is closing).
	*/
	endAll(): void {
		for (const port of this.sessions.values()) {
			port.end('listener-closed');
		}

		this.disarm();
	}

	/**
	End sessions idle for longer than the timeout. Called by the timer; public for tests.
	*/
	reap(now = Date.now()): void {
		for (const port of this.sessions.values()) {
			if (!port.busy && now - port.lastActivity > this.options.sessionTimeout) {
				this.options.logger.debug(`Session ${port.session.id} was idle for ${now - port.lastActivity} ms; ending it`);
				port.end('idle');
			}
		}
	}

	private forget(port: SessionPort, reason: SessionEndReason): void {
		if (this.sessions.get(port.session.id) === port) {
			this.sessions.delete(port.session.id);
			if (this.options.logger.isEnabled('debug')) {
				this.options.logger.debug(`Session ${port.session.id} ended (${reason}); ${this.sessions.size} left`);
			}
		}

		if (this.sessions.size === 0) {
			this.disarm();
		}
	}

	private arm(): void {
		if (this.timer !== undefined || !Number.isFinite(this.options.sessionTimeout)) {
			return;
		}

		const tick = Math.min(Math.max(Math.floor(this.options.sessionTimeout / 4), 50), 30_000);
		this.timer = setInterval(() => {
			this.reap();
		}, tick);
		this.timer.unref();
	}

	private disarm(): void {
		if (this.timer !== undefined) {
			clearInterval(this.timer);
			this.timer = undefined;
		}
	}
}
