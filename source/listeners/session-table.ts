import {randomUUID} from 'node:crypto';
import type {IncomingMessage} from 'node:http';
import type {Logger} from '../logger.js';
import {settingName, type SettingNames} from '../setting-names.js';
import type {SessionEndReason, SessionPort} from './session-port.js';

export type SessionTableOptions = {
	maxSessions: number;
	/**
	How many sessions one client address may hold.
	*/
	maxSessionsPerClient: number;
	/**
	Milliseconds without client activity, and without an open stream, after which a session is ended.
	*/
	sessionTimeout: number;
	/**
	Milliseconds a half-open session (its client has not completed initialization) may stay quiet, after its last request or the answer to it, before it is ended.
	*/
	handshakeTimeout: number;
	logger: Logger;
	/**
	How refusals name the setting that changes each limit.
	*/
	settingNames?: SettingNames;
};

/**
Why a new session cannot be opened: the HTTP status and the message that names the bound and its flag.
*/
export type Refusal = {status: 429 | 503; message: string};

/**
The address a request came from, as sessions are counted by: an IPv4 client seen through an IPv6 socket (`::ffff:10.0.0.1`) counts as `10.0.0.1`.
*/
export function clientAddress(request: IncomingMessage): string {
	const address = request.socket.remoteAddress ?? '';
	return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
The live sessions of a listener, by id: the session limits (in all, per client address), the reapers of idle and of half-open sessions (one timer for all), and the end of everything when the listener closes.

A session is half-open until its client sends something after `initialize`. When a limit is reached, the oldest half-open session that waits for nothing makes room for the new one (of the same address, for the per-address limit), the way a TCP stack drops its oldest half-open connections under a SYN flood: a client that loops on `initialize` can then never lock others out, while sessions in use are never taken.

@example
```
const table = new SessionTable({maxSessions: 10_000, maxSessionsPerClient: 1000, sessionTimeout: 1_800_000, handshakeTimeout: 30_000, logger});
const refusal = table.admit(clientAddress(request));
if (refusal) {
	// answer refusal.status
}
table.add(port, clientAddress(request));
```
*/
export class SessionTable {
	private readonly sessions = new Map<string, SessionPort>();
	private readonly perClient = new Map<string, number>();
	/**
	Sessions that may still be half-open, oldest first; each leaves once it is seen initialized or ended.
	*/
	private readonly halfOpen = new Set<SessionPort>();
	private readonly options: SessionTableOptions;
	private timer: NodeJS.Timeout | undefined;

	constructor(options: SessionTableOptions) {
		this.options = options;
	}

	get size(): number {
		return this.sessions.size;
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

	/**
	Make room for one more session of `client`, ending the oldest abandoned half-open session if a limit is reached; or say why not.
	*/
	admit(client: string): Refusal | undefined {
		const {maxSessions, maxSessionsPerClient, settingNames} = this.options;
		if ((this.perClient.get(client) ?? 0) >= maxSessionsPerClient && !this.evictHalfOpen(client)) {
			const message = `Too many sessions from one client address: it has ${maxSessionsPerClient} open, the limit per address (${settingName(settingNames, 'maxSessionsPerClient')})`;
			return {status: 429, message: `${message}; end unused sessions (DELETE) or try again later`};
		}

		if (this.sessions.size >= maxSessions && !this.evictHalfOpen(undefined)) {
			return {status: 503, message: `Too many sessions: ${maxSessions} are open, the proxy's limit (${settingName(settingNames, 'maxSessions')}); try again later`};
		}

		return undefined;
	}

	add(port: SessionPort, client: string): void {
		port.client = client;
		this.sessions.set(port.session.id, port);
		this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
		if (!port.initialized) {
			this.halfOpen.add(port);
		}

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
	End half-open sessions quiet for longer than the handshake timeout, and sessions idle for longer than the session timeout. Called by the timer; public for tests.
	*/
	reap(now = Date.now()): void {
		const {handshakeTimeout, sessionTimeout, logger} = this.options;
		for (const port of this.halfOpen) {
			if (port.initialized || port.ended) {
				this.halfOpen.delete(port);
			} else if (!port.awaitingAnswer && now - port.lastActivity > handshakeTimeout) {
				logger.debug(`Session ${port.session.id} did not complete initialization within ${handshakeTimeout} ms; ending it`);
				port.end('uninitialized');
			}
		}

		for (const port of this.sessions.values()) {
			if (!port.busy && now - port.lastActivity > sessionTimeout) {
				logger.debug(`Session ${port.session.id} was idle for ${now - port.lastActivity} ms; ending it`);
				port.end('idle');
			}
		}
	}

	/**
	End the oldest half-open session (of `client`, when given) that waits for no answer. Returns whether one was ended.
	*/
	private evictHalfOpen(client: string | undefined): boolean {
		for (const port of this.halfOpen) {
			if (port.initialized || port.ended) {
				this.halfOpen.delete(port);
			} else if ((client === undefined || port.client === client) && !port.awaitingAnswer) {
				this.options.logger.debug(`Session ${port.session.id} never completed initialization; ending it to make room for a new one`);
				port.end('uninitialized');
				return true;
			}
		}

		return false;
	}

	private forget(port: SessionPort, reason: SessionEndReason): void {
		if (this.sessions.get(port.session.id) === port) {
			this.sessions.delete(port.session.id);
			this.halfOpen.delete(port);
			const count = (this.perClient.get(port.client) ?? 1) - 1;
			if (count === 0) {
				this.perClient.delete(port.client);
			} else {
				this.perClient.set(port.client, count);
			}

			if (this.options.logger.isEnabled('debug')) {
				this.options.logger.debug(`Session ${port.session.id} ended (${reason}); ${this.sessions.size} left`);
			}
		}

		if (this.sessions.size === 0) {
			this.disarm();
		}
	}

	private arm(): void {
		const shortest = Math.min(this.options.sessionTimeout, this.options.handshakeTimeout);
		if (this.timer !== undefined || !Number.isFinite(shortest)) {
			return;
		}

		const tick = Math.min(Math.max(Math.floor(shortest / 4), 50), 30_000);
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
