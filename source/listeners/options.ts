import type {Logger} from '../logger.js';
import type {Redactor} from '../redactor.js';
import {checkSettingNames, type SettingNames} from '../setting-names.js';
import {isServerName} from './routes.js';

/*
The options of the HTTP listener: their types and documentation, their eager validation (precise `TypeError`s), and the counts it reports.
*/

/**
A live count of what a listener holds, for tests and health pages.
*/
export type ListenerStats = {
	/**
	Live sessions, both faces, stateless requests in flight included.
	*/
	sessions: number;
	sessionsByServer: Record<string, number>;
	/**
	Open SSE responses.
	*/
	streams: number;
	/**
	Open TCP connections.
	*/
	connections: number;
	/**
	Bytes of messages held for clients (waiting for a slow client, in sockets' buffers, kept for resumption), each message counted once however many sessions hold it.
	*/
	queuedBytes: number;
	/**
	Notifications shed to keep `queuedBytes` within `maxQueuedBytes`, and sessions closed for it.
	*/
	shedMessages: number;
	cutSessions: number;
};

/**
The default of `maxQueuedBytes`: 256 MiB.
*/
export const defaultMaxQueuedBytes = 256 * 1024 * 1024;

export type HttpListenerOptions = {
	/**
	The address to bind. On a loopback address, requests must name localhost in their `Host` header (DNS rebinding protection).

	@default '127.0.0.1'
	*/
	host?: string;
	/**
	The port; 0 picks a free one (see `onListening`).

	@default 0
	*/
	port?: number;
	/**
	The served server names; `''` is the default server (`/mcp`, `/sse`, `/messages/`), any other name is served under `/servers/NAME/`.

	@default ['']
	*/
	servers?: readonly string[];
	/**
	Streamable HTTP without sessions: every POST is a session of its own (`stateless: true`), no `Mcp-Session-Id`, GET and DELETE answer 405.

	@default false
	*/
	stateless?: boolean;
	/**
	Host names a request's `Host` header may name on a loopback bind beyond this machine's: the public name a reverse proxy in front forwards (`*` allows any). The check guards against DNS rebinding; on another bind it is off.
	*/
	allowHosts?: readonly string[];
	/**
	Origins allowed beyond localhost pages, and the CORS allow-list (`*` allows all). CORS headers are sent only when this is set.
	*/
	allowOrigins?: readonly string[];
	/**
	Request headers a browser's CORS preflight is allowed beyond the protocol's own (`*`: whatever it asks for).
	*/
	allowHeaders?: readonly string[];
	/**
	Response headers a browser client may read (CORS).

	@default ['Mcp-Session-Id']
	*/
	exposeHeaders?: readonly string[];
	/**
	Require `Authorization: Bearer KEY` or `X-API-Key: KEY` on every request (compared in constant time); others get 401.
	*/
	apiKey?: string;
	/**
	The largest request body accepted, in bytes; larger ones get 413.

	@default 16777216 (16 MiB)
	*/
	maxBodyBytes?: number;
	/**
	How many sessions may be open at once; more get 503.

	@default 10000
	*/
	maxSessions?: number;
	/**
	How many sessions one client address may have open at once; more get 429. Clients behind one reverse proxy or NAT share its address, so they share this budget. When a limit is reached, the oldest half-open session of that address (or of any, for `maxSessions`) that waits for nothing makes room first; at this limit, failing that, the address's least recently active idle session does (its client gets 404 and initializes again).

	@default 1000
	*/
	maxSessionsPerClient?: number;
	/**
	Milliseconds of client inactivity after which a session without an open stream is ended.

	@default 1800000 (30 minutes)
	*/
	sessionTimeout?: number;
	/**
	How many bytes of messages may be held for all clients together: waiting for slow clients, in sockets' buffers, kept for resumption. A message broadcast to many sessions counts once. Past it, the oldest notifications of the sessions holding the most are shed (a warning says how many, per session); responses and server→client requests never are. A session holding more than this in messages that cannot be shed is closed.

	@default 268435456 (256 MiB)
	*/
	maxQueuedBytes?: number;
	/**
	Milliseconds a half-open session (its client sent `initialize` and nothing after it, not even `notifications/initialized`; a legacy SSE stream that never posted) may stay quiet, after its last request or the answer to it, before it is ended. An `initialize` answered with an error ends its session at once.

	@default 30000
	*/
	handshakeTimeout?: number;
	/**
	How many SSE events each Streamable HTTP session keeps for resumption with `Last-Event-ID` (at most 8 MiB of them).

	@default 1000
	*/
	eventStoreLimit?: number;
	/**
	Milliseconds a client has to send a whole request, headers and body; a slower one gets 408 and its connection is closed (slow-loris protection). Its headers must come within the same time, and within 30 s at most.

	@default 120000 (2 minutes)
	*/
	readTimeout?: number;
	/**
	Milliseconds between keep-alive comments on open SSE streams; 0 turns them off.

	@default 20000
	*/
	keepAliveInterval?: number;
	/**
	Milliseconds an idle client connection is kept open between requests (`Keep-Alive: timeout=…`). Node's own default is 5 s; tool calls are often further apart than that, and a load balancer in front (60 s idle on AWS, say) must never reuse a connection the proxy is closing.

	@default 65000
	*/
	idleConnectionTimeout?: number;
	/**
	What `GET /status` answers (as JSON).

	@default () => ({statusCode: 200, body: {}})
	*/
	status?: () => {statusCode: number; body: unknown};
	/**
	Learns `apiKey`, so that the log hides it (see `createRedactor`).

	@default no redaction
	*/
	redactor?: Redactor;
	logger?: Logger;
	/**
	How messages name the setting that changes a limit they report (a 413, a 429, a warning about shed notifications): by default the option of this listener (``the `maxBodyBytes` option``); a command line passes its flags (`{maxBodyBytes: '--max-body-bytes'}`).
	*/
	settingNames?: SettingNames;
	/**
	Called once the server listens, with the address actually bound (`url` is `http://host:port`).
	*/
	onListening?: (address: {host: string; port: number; url: string}) => void;
	/**
	Called once the server listens, with a function that reads the listener's live counts.
	*/
	onStats?: (stats: () => ListenerStats) => void;
};

function validateNumbers(options: HttpListenerOptions): void {
	const {port, keepAliveInterval} = options;
	if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
		throw new TypeError(`Expected \`port\` to be an integer between 0 and 65535, got \`${String(port)}\``);
	}

	for (const name of ['maxBodyBytes', 'maxSessions', 'maxSessionsPerClient', 'maxQueuedBytes', 'eventStoreLimit'] as const) {
		const value = options[name];
		if (value !== undefined && (!Number.isInteger(value) || value < (name === 'eventStoreLimit' ? 0 : 1))) {
			throw new TypeError(`Expected \`${name}\` to be a ${name === 'eventStoreLimit' ? 'non-negative' : 'positive'} integer, got \`${String(value)}\``);
		}
	}

	for (const name of ['sessionTimeout', 'handshakeTimeout', 'readTimeout'] as const) {
		const value = options[name];
		if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value) || value <= 0)) {
			throw new TypeError(`Expected \`${name}\` to be a positive number of milliseconds, got \`${String(value)}\``);
		}
	}

	if (keepAliveInterval !== undefined && (!Number.isInteger(keepAliveInterval) || keepAliveInterval < 0)) {
		throw new TypeError(`Expected \`keepAliveInterval\` to be a non-negative integer, got \`${String(keepAliveInterval)}\``);
	}
}

function validateIdleConnectionTimeout(value: number | undefined): void {
	// Node takes only a whole number of milliseconds here.
	if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
		throw new TypeError(`Expected \`idleConnectionTimeout\` to be a positive integer number of milliseconds, got \`${String(value)}\``);
	}
}

export function validateOptions(options: HttpListenerOptions): void {
	validateNumbers(options);
	checkSettingNames(options.settingNames);
	validateIdleConnectionTimeout(options.idleConnectionTimeout);
	const {servers} = options;
	if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
		throw new TypeError(`Expected \`host\` to be a non-empty string, got \`${String(options.host)}\``);
	}

	if (servers !== undefined) {
		if (!Array.isArray(servers) || servers.length === 0) {
			throw new TypeError('Expected `servers` to be a non-empty array of server names');
		}

		for (const name of servers) {
			if (typeof name !== 'string' || !isServerName(name)) {
				throw new TypeError(`Expected each of \`servers\` to be '' or a name without \`/\`, \`\\\`, \`?\`, \`#\`, \`%\` or control characters, got \`${String(name)}\``);
			}
		}
	}

	for (const name of ['allowHosts', 'allowOrigins', 'allowHeaders', 'exposeHeaders'] as const) {
		const value = options[name];
		if (value !== undefined && (!Array.isArray(value) || value.some(item => typeof item !== 'string'))) {
			throw new TypeError(`Expected \`${name}\` to be an array of strings`);
		}
	}

	if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
		throw new TypeError('Expected `apiKey` to be a non-empty string');
	}

	for (const name of ['status', 'onListening', 'onStats'] as const) {
		if (options[name] !== undefined && typeof options[name] !== 'function') {
			throw new TypeError(`Expected \`${name}\` to be a function`);
		}
	}
}
