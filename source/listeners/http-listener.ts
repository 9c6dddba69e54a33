import {
	createServer, type IncomingMessage, type Server, type ServerResponse,
} from 'node:http';
import type {Socket} from 'node:net';
import {Observable, type Subscriber, type TeardownLogic} from 'rxjs';
import {errorCodes, TransportError} from '../errors.js';
import {defaultLogger} from '../logger.js';
import {settingName} from '../setting-names.js';
import {
	requestChecks, type RequestFacts, type RouteKind, type routeMethods,
} from './checks/request.js';
import type {Handler, ListenerContext} from './context.js';
import {handleDelete} from './handlers/delete.js';
import {handleGet} from './handlers/get.js';
import {handleOptions} from './handlers/options.js';
import {handlePost} from './handlers/post.js';
import {handleSseMessage} from './handlers/sse-message.js';
import {handleSseStream} from './handlers/sse-stream.js';
import {handleStatus} from './handlers/status.js';
import {sendRpcError} from './http-io.js';
import {defaultMaxQueuedBytes, validateOptions, type HttpListenerOptions} from './options.js';
import {createQueueBudget} from './queue-budget/index.js';
import {firstRefusal, sendRefusal} from './refusal.js';
import {parseRoute} from './routes.js';
import {createSecurity} from './security.js';
import {createSessionTable} from './session-table/index.js';
import {
	closeReasons, createRuntime, cutSession, shedOne, type Session, type SessionRecord,
} from './sessions/index.js';
import {KeepAlive} from './sse-writer.js';

/*
The HTTP listener: a `node:http` server, the request-wide check tables, and a dispatch table from route and method to the handler functions (`handlers/`); around them the parts its sessions share (session table, queue budget, keep-alive timer), made on subscribe and ended on unsubscribe.
*/

export type {Session} from './sessions/index.js';
export type {HttpListenerOptions, ListenerStats} from './options.js';

const eventStoreBytes = 8 * 1024 * 1024;
const maxHeadersTimeout = 30_000;

/**
The handler of each method of each route: the methods are those of `routeMethods`, which the method check reads.
*/
/* eslint-disable @typescript-eslint/naming-convention -- HTTP methods, spelled as HTTP spells them. */
const dispatch: {readonly [Kind in RouteKind]: Readonly<Record<(typeof routeMethods)[Kind]['methods'][number], Handler>>} = {
	mcp: {GET: handleGet, POST: handlePost, DELETE: handleDelete},
	sse: {GET: handleSseStream},
	messages: {POST: handleSseMessage},
	status: {GET: handleStatus, HEAD: handleStatus},
};
/* eslint-enable @typescript-eslint/naming-convention */

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

Secure by default: Origin checked on every request (403), Host checked on loopback binds (403; `allowHosts` names a reverse proxy's host), CORS only with `allowOrigins`, optional API key (401), bounded bodies (413) and sessions (503 in all, 429 per client address; half-open ones reaped within `handshakeTimeout`), unknown sessions 404.

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
	options.redactor?.add(options.apiKey);
	const settings = withDefaults(options);
	return new Observable<Session>(subscriber => serve(settings, options, subscriber));
}

type Settings = ReturnType<typeof withDefaults>;

/**
The options with their defaults, and what the listener derives from them once (served set, security, check tables, the 413 text).
*/
function withDefaults(options: HttpListenerOptions) {
	const {
		host = '127.0.0.1',
		port = 0,
		servers = [''],
		stateless = false,
		exposeHeaders = ['Mcp-Session-Id'],
		maxBodyBytes = 16 * 1024 * 1024,
		maxSessions = 10_000,
		maxQueuedBytes = defaultMaxQueuedBytes,
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
	const security = createSecurity({
		host, allowHosts: options.allowHosts, allowOrigins: options.allowOrigins, allowHeaders: options.allowHeaders, exposeHeaders, apiKey: options.apiKey,
	});
	return {
		host,
		port,
		serverSet: new Set(servers),
		stateless,
		maxBodyBytes,
		maxSessions,
		maxQueuedBytes,
		maxSessionsPerClient,
		sessionTimeout,
		handshakeTimeout,
		eventStoreLimit,
		keepAliveInterval,
		readTimeout,
		idleConnectionTimeout,
		status,
		logger,
		settingNames,
		security,
		checks: requestChecks(security, settingNames),
		tooLarge: `The request body is larger than ${maxBodyBytes} bytes, the proxy's limit (raise it with ${settingName(settingNames, 'maxBodyBytes')})`,
	};
}

/**
One subscription: the parts the sessions share, the server, and the teardown that ends them all.
*/
function serve(settings: Settings, options: HttpListenerOptions, subscriber: Subscriber<Session>): TeardownLogic {
	const {host, port, logger, settingNames} = settings;
	let closing = false;
	const keepAlive = new KeepAlive(settings.keepAliveInterval);
	const budget = createQueueBudget<SessionRecord>({
		limit: settings.maxQueuedBytes, logger, settingNames, shedOne, cut: cutSession,
	});
	const table = createSessionTable({
		maxSessions: settings.maxSessions,
		maxSessionsPerClient: settings.maxSessionsPerClient,
		sessionTimeout: settings.sessionTimeout,
		handshakeTimeout: settings.handshakeTimeout,
		settingNames,
		logger,
	});
	const runtime = createRuntime({
		logger,
		keepAlive,
		budget,
		eventStoreLimit: settings.eventStoreLimit,
		eventStoreBytes,
		toolDeclarations: new Map(),
		closeReasons: closeReasons(settingNames),
		ended(record, reason) {
			table.ended(record as SessionRecord, reason);
		},
	});
	const context: ListenerContext = {
		stateless: settings.stateless,
		maxBodyBytes: settings.maxBodyBytes,
		tooLarge: settings.tooLarge,
		logger,
		table,
		runtime,
		status: settings.status,
		emit(session) {
			subscriber.next(session);
		},
		closing: () => closing,
	};
	const sockets = new Set<Socket>();
	const server = createHttpServer(settings, (request, response) => {
		dispatchRequest(settings, context, request, response);
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
		options.onStats?.(() => {
			const {queued, shedMessages, cutSessions} = budget.counts();
			return {
				sessions: table.size(),
				sessionsByServer: table.countByServer(),
				streams: keepAlive.count,
				connections: sockets.size,
				queuedBytes: queued,
				shedMessages,
				cutSessions,
			};
		});
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
}

/**
The `node:http` server with the listener's timeouts; a handler that throws answers 500 (or drops a response already begun).
*/
function createHttpServer(settings: Settings, handle: (request: IncomingMessage, response: ServerResponse) => void): Server {
	const {readTimeout, logger} = settings;
	return createServer({
		noDelay: true,
		keepAlive: true,
		keepAliveTimeout: settings.idleConnectionTimeout,
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
}

/**
One request: the gate checks, a preflight answered here, CORS headers, the access checks, then the handler of its route and method.
*/
function dispatchRequest(settings: Settings, context: ListenerContext, request: IncomingMessage, response: ServerResponse): void {
	const {checks, security} = settings;
	const facts: RequestFacts = {
		method: request.method ?? '',
		url: request.url,
		headers: request.headers,
		rawHeaders: request.rawHeaders,
		route: parseRoute(request.url, settings.serverSet),
		closing: context.closing(),
		stateless: settings.stateless,
	};
	let refusal = firstRefusal(checks.gate, facts);
	if (refusal === undefined && facts.method === 'OPTIONS') {
		refusal = firstRefusal(checks.preflight, facts);
		if (refusal === undefined) {
			handleOptions(security, request, response);
			return;
		}
	}

	if (refusal === undefined) {
		const cors = security.corsHeaders(request.headers.origin);
		if (cors) {
			for (const [name, value] of Object.entries(cors)) {
				response.setHeader(name, value!);
			}
		}

		refusal = firstRefusal(checks.access, facts);
	}

	if (refusal) {
		sendRefusal(response, refusal, settings.logger);
		return;
	}

	const route = facts.route!;
	const handlers: Readonly<Record<string, Handler>> = dispatch[route.kind];
	handlers[facts.method]!(context, request, response, route.kind === 'status' ? '' : route.server);
}
