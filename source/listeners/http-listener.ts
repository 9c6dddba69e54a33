import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {Socket} from 'node:net';
import {Observable} from 'rxjs';
import {errorCodes, TransportError} from '../errors.js';
import {defaultLogger, redactSecret, type Logger} from '../logger.js';
import {settingName, type SettingNames} from '../setting-names.js';
import {sendEmpty, sendJson, sendRpcError} from './http-io.js';
import {createQueueBudget} from './queue-budget/index.js';
import {anyServer, isServerName, parseRoute} from './routes.js';
import {createSecurity, repeatedHeader} from './security.js';
import {SessionTable} from './session-table.js';
import type {Session, SessionPort} from './session-port.js';
import {SseFace} from './sse-face.js';
import {KeepAlive} from './sse-writer.js';
import {type FaceContext, StreamableHttpFace} from './streamable-http-face.js';

export type {Session} from './session-port.js';

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
	Origins allowed beyond localhost pages, and the CORS allow-list (`*` allows all). CORS headers are sent only when this is set.
	*/
	allowOrigins?: readonly string[];
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
	How many sessions one client address may have open at once; more get 429. Clients behind one reverse proxy or NAT share its address, so they share this budget. When a limit is reached, the oldest half-open session of that address (or of any, for `maxSessions`) that waits for nothing makes room first.

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

const eventStoreBytes = 8 * 1024 * 1024;
const maxHeadersTimeout = 30_000;

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

function validateSettingNames(settingNames: unknown): void {
	if (settingNames !== undefined && (typeof settingNames !== 'object' || settingNames === null || Object.values(settingNames).some(value => typeof value !== 'string'))) {
		throw new TypeError('Expected `settingNames` to be an object of strings');
	}
}

function validateOptions(options: HttpListenerOptions): void {
	validateNumbers(options);
	validateSettingNames(options.settingNames);
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

	for (const name of ['allowOrigins', 'exposeHeaders'] as const) {
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

function listenErrorMessage(host: string, port: number, error: NodeJS.ErrnoException): string {
	const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
	switch (error.code ?? '') {
		case 'EADDRINUSE': {
			return `Cannot listen on ${where}: the address is already in use. Choose another port, or stop the program that uses it.`;
		}

		case 'EACCES': {
			return `Cannot listen on ${where}: permission denied. Ports below 1024 need privileges; choose a higher port.`;
		}

		case 'EADDRNOTAVAIL': {
			return `Cannot listen on ${where}: this machine has no such address.`;
		}

		default: {
			return `Cannot listen on ${where}: ${error.message}`;
		}
	}
}

/**
Serve MCP over HTTP: Streamable HTTP (`/mcp`) and legacy SSE (`/sse` + `/messages/`) for each served server (named ones under `/servers/NAME/`), and `/status`. Each client session arrives as a `Session` whose `transport` carries its messages.

Subscribing starts the server; unsubscribing closes it and ends every session. A bind error (`EADDRINUSE`, `EACCES`) errors the observable with a message naming the address. Nothing is printed: `onListening` gives the address.

Secure by default: Origin checked on every request (403), Host checked on loopback binds (403), CORS only with `allowOrigins`, optional API key (401), bounded bodies (413) and sessions (503 in all, 429 per client address; half-open ones reaped within `handshakeTimeout`), unknown sessions 404.

@example
```
import {mergeMap} from 'rxjs';
import {httpListener, link, spawnStdio} from 'rx-mcp-proxy';

httpListener({port: 8080, onListening: ({url}) => console.error(`${url}/mcp`)}).pipe(
	mergeMap(session => link(session.transport, spawnStdio({command: 'node', args: ['server.js']}))),
).subscribe();
```
*/
export function httpListener(options: HttpListenerOptions = {}): Observable<Session> {
	validateOptions(options);
	const {
		host = '127.0.0.1',
		port = 0,
		servers = [''],
		stateless = false,
		exposeHeaders = ['Mcp-Session-Id'],
		maxBodyBytes = 16 * 1024 * 1024,
		maxSessions = 10_000,
		maxQueuedBytes = 256 * 1024 * 1024,
		maxSessionsPerClient = 1000,
		sessionTimeout = 30 * 60 * 1000,
		handshakeTimeout = 30_000,
		eventStoreLimit = 1000,
		keepAliveInterval = 20_000,
		readTimeout = 120_000,
		idleConnectionTimeout = 65_000,
		status = () => ({statusCode: 200, body: {}}),
		logger = defaultLogger,
		settingNames,
	} = options;
	redactSecret(options.apiKey);
	const serverSet = new Set(servers);
	const security = createSecurity({
		host, allowOrigins: options.allowOrigins, exposeHeaders, apiKey: options.apiKey,
	});

	return new Observable<Session>(subscriber => {
		const keepAlive = new KeepAlive(keepAliveInterval);
		const budget = createQueueBudget<SessionPort>({
			limit: maxQueuedBytes,
			logger,
			settingNames,
			shedOne: port => port.shedOne(),
			cut(port) {
				port.cut();
			},
		});
		const table = new SessionTable({
			maxSessions, maxSessionsPerClient, sessionTimeout, handshakeTimeout, logger, settingNames,
		});
		const context: FaceContext = {
			table,
			keepAlive,
			logger,
			maxBodyBytes,
			tooLarge: `The request body is larger than ${maxBodyBytes} bytes, the proxy's limit (raise it with ${settingName(settingNames, 'maxBodyBytes')})`,
			overloaded: `The session was closed: its client did not read what it was sent (${settingName(settingNames, 'maxQueuedBytes')})`,
			eventStoreLimit,
			eventStoreBytes,
			budget,
			stateless,
			emit(session) {
				subscriber.next(session);
			},
			closing: () => closing,
		};
		const streamable = new StreamableHttpFace(context);
		const sse = new SseFace(context);
		const sockets = new Set<Socket>();
		let closing = false;

		const serveStatus = (request: IncomingMessage, response: ServerResponse) => {
			if (request.method !== 'GET' && request.method !== 'HEAD') {
				sendRpcError(response, 405, 'Method not allowed', {headers: {allow: 'GET, OPTIONS'}});
				return;
			}

			let answer: {statusCode: number; body: unknown};
			try {
				answer = status();
			} catch (error) {
				logger.error('The status function failed:', error);
				sendRpcError(response, 500, 'The status is unavailable', {code: errorCodes.internalError});
				return;
			}

			sendJson(response, answer.statusCode, answer.body, {'Cache-Control': 'no-store'});
		};

		const handle = (request: IncomingMessage, response: ServerResponse) => {
			if (closing) {
				sendRpcError(response, 503, 'The server is shutting down', {headers: {connection: 'close'}});
				return;
			}

			const repeated = repeatedHeader(request.rawHeaders);
			if (repeated !== undefined) {
				logger.debug(`Refused a request with more than one ${repeated} header`);
				sendRpcError(response, 400, `Bad Request: more than one ${repeated} header`, {headers: {connection: 'close'}});
				return;
			}

			if (!security.hostAllowed(request)) {
				logger.debug('Refused a request with a foreign Host header (DNS rebinding protection)');
				sendRpcError(response, 403, 'Forbidden: invalid Host header');
				return;
			}

			const {origin} = request.headers;
			if (!security.originAllowed(origin)) {
				logger.debug('Refused a request from a foreign Origin');
				sendRpcError(response, 403, 'Forbidden: invalid Origin header');
				return;
			}

			const route = parseRoute(request.url, serverSet);
			if (request.method === 'OPTIONS') {
				// A preflight never carries the API key: without it, a path shaped like a server's is answered alike whether that server exists or not.
				if (route ?? (security.authorized(request) ? undefined : parseRoute(request.url, anyServer))) {
					sendEmpty(response, 204, security.preflightHeaders(origin));
				} else {
					sendRpcError(response, 404, 'Not Found');
				}

				return;
			}

			const cors = security.corsHeaders(origin);
			if (cors) {
				for (const [name, value] of Object.entries(cors)) {
					response.setHeader(name, value!);
				}
			}

			if (!security.authorized(request)) {
				sendRpcError(response, 401, 'Unauthorized: a valid API key is required', {headers: {'WWW-Authenticate': 'Bearer'}});
				return;
			}

			if (!route) {
				sendRpcError(response, 404, 'Not Found');
				return;
			}

			switch (route.kind) {
				case 'mcp': {
					streamable.handle(request, response, route.server);
					break;
				}

				case 'sse': {
					sse.handleStream(request, response, route.server);
					break;
				}

				case 'messages': {
					sse.handleMessage(request, response, route.server);
					break;
				}

				case 'status': {
					serveStatus(request, response);
					break;
				}
			}
		};

		const server = createServer({
			noDelay: true,
			keepAlive: true,
			keepAliveTimeout: idleConnectionTimeout,
			headersTimeout: Math.min(readTimeout, maxHeadersTimeout),
			requestTimeout: readTimeout,
			// How often those two are checked: by default every 30 s, which would let a slow client stay twice as long.
			connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(Math.min(readTimeout, maxHeadersTimeout) / 4))),
		}, (request, response) => {
			try {
				handle(request, response);
			} catch (error) {
				logger.error('The HTTP listener failed on a request:', error);
				if (response.headersSent) {
					response.destroy();
				} else {
					sendRpcError(response, 500, 'Internal error', {code: errorCodes.internalError});
				}
			}
		});

		server.on('connection', (socket: Socket) => {
			sockets.add(socket);
			socket.once('close', () => {
				sockets.delete(socket);
			});
		});

		let listening = false;
		server.on('error', (error: NodeJS.ErrnoException) => {
			if (!listening) {
				subscriber.error(new TransportError(listenErrorMessage(host, port, error), {cause: error}));
				return;
			}

			logger.error('The HTTP listener failed:', error.message);
		});

		server.listen(port, host, () => {
			listening = true;
			if (closing) {
				// Unsubscribed while a host name was being resolved.
				server.close();
				return;
			}

			const address = server.address();
			const boundPort = typeof address === 'object' && address ? address.port : port;
			const shownHost = host.includes(':') ? `[${host}]` : host;
			options.onStats?.(() => ({
				sessions: table.size,
				sessionsByServer: table.countByServer(),
				streams: keepAlive.count,
				connections: sockets.size,
				queuedBytes: budget.counts().queued,
				shedMessages: budget.counts().shedMessages,
				cutSessions: budget.counts().cutSessions,
			}));
			options.onListening?.({host, port: boundPort, url: `http://${shownHost}:${boundPort}`});
		});

		return () => {
			closing = true;
			table.endAll();
			keepAlive.endAll();
			budget.close();
			server.close();
			server.closeAllConnections();
		};
	});
}
