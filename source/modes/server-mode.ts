import {
	catchError,
	defer,
	EMPTY,
	finalize,
	from,
	mergeMap,
	NEVER,
	Observable,
	Subject,
	take,
} from 'rxjs';
import type {ServerConfig} from '../config/named-servers.js';
import {describeError} from '../errors.js';
import {link} from '../link.js';
import {httpListener, type HttpListenerOptions, type ListenerStats} from '../listeners/http-listener.js';
import {defaultMaxQueuedBytes} from '../listeners/options.js';
import {defaultLogger, type Logger} from '../logger.js';
import {guardRequests} from '../operators/guard-requests/index.js';
import {redactErrors} from '../operators/redact-errors.js';
import {tapMessages, type TappedMessage} from '../operators/tap-messages.js';
import {noRedaction, type Redactor} from '../redactor.js';
import type {SettingNames} from '../setting-names.js';
import {packageVersion} from '../version.js';
import {
	isolatedBackend, multiplexedBackend, type Backend, type BackendContext, type ServerStatus,
} from './backends.js';
import type {remoteUpstream as remoteUpstreamType} from './remote-upstream.js';

/*
Server mode as wiring: the HTTP listener's sessions linked to their servers' backends, the `/status` document, and a graceful stop that lets the links and the shared servers finish. It decides no policy (where the configs come from, signals, deadlines, exit codes, the startup lines are the caller's: the CLI's are in source/cli/server.ts).
*/

export type ServerModeOptions = {
	/**
	The servers to serve: the default one is named `''` (at `/mcp` and `/sse`), the others at `/servers/NAME/…`.
	*/
	servers: readonly ServerConfig[];
	/**
	The listener's address, limits and security (its `servers`, `status`, `logger`, `settingNames` and `redactor` are this mode's).
	*/
	listener?: Omit<HttpListenerOptions, 'servers' | 'status' | 'logger' | 'settingNames' | 'redactor' | 'onStats'>;
	/**
	Give each session a server of its own (a child, or a connection to a remote) instead of one shared server for all; not with a stateless listener.

	@default false
	*/
	isolateSessions?: boolean;
	/**
	Children get our whole environment, not only the default set.
	*/
	passEnvironment?: boolean;
	maxMessageBytes?: number;
	/**
	Milliseconds a request to a server may take before it is answered with an error; 0: no limit.

	@default 0
	*/
	requestTimeout?: number;
	/**
	A shared server's restart backoff, and how long it may take to answer the proxy's `initialize`.
	*/
	restartDelay?: number;
	restartMaxDelay?: number;
	startupTimeout?: number;
	/**
	Sees every message of every session both ways (a message log).
	*/
	onMessage?: (entry: TappedMessage) => void;
	/**
	When this emits, stop: close every session's own server and every shared one, wait for the links and the shared servers to end, then complete.

	@default NEVER
	*/
	stop?: Observable<unknown>;
	/**
	Hides the secrets it knows (and learns: the listener's `apiKey`, the children's secret-looking arguments) in a child's standard error lines, the errors `/status` shows and the error responses sent to clients (see `redactErrors`). The logger is the caller's: create it with the same redactor.

	@default no redaction
	*/
	redactor?: Redactor;
	/**
	How messages name the settings they suggest (`{maxBodyBytes: '--max-body-bytes'}` for a command line).
	*/
	settingNames?: SettingNames;
	logger?: Logger;
};

type Loaded = {remoteUpstream: typeof remoteUpstreamType | undefined};

function createBackends(options: ServerModeOptions, {remoteUpstream}: Loaded, shutdown$: Observable<unknown>): Map<string, Backend> {
	const {
		logger = defaultLogger, requestTimeout = 0, onMessage, redactor = noRedaction,
	} = options;
	const isolated = Boolean(options.isolateSessions) && !options.listener?.stateless;
	const backends = new Map<string, Backend>();
	for (const config of options.servers) {
		const serverLogger = config.name === '' ? logger : logger.child(`[${config.name}]`);
		const context: BackendContext = {
			passEnvironment: options.passEnvironment,
			maxMessageBytes: options.maxMessageBytes,
			restartDelay: options.restartDelay,
			restartMaxDelay: options.restartMaxDelay,
			startupTimeout: options.startupTimeout,
			isolated,
			settingNames: options.settingNames,
			redactor,
			logger: serverLogger,
			perSession: (session, peerName) => [
				...(requestTimeout > 0 ? [guardRequests({timeout: requestTimeout, peerName, logger: serverLogger})] : []),
				...(onMessage ? [tapMessages(onMessage, {session: session.id})] : []),
				// Outermost, so that it sees the errors of every operator before it.
				redactErrors(redactor),
			],
			remoteUpstream,
		};
		backends.set(config.name, isolated ? isolatedBackend(config, context, shutdown$) : multiplexedBackend(config, context));
	}

	return backends;
}

/**
The `/status` document: each server's state and counts, and 200 while every server can serve; 503 when one has failed (`degraded`: the others still serve) or when the default server (else every server) cannot serve (`unavailable`). `api_last_activity` and `server_instances` are the Python mcp-proxy's fields, for the scripts and health checks written against it (its instances say `configured`; ours say their state).
*/
function statusOf(backends: Map<string, Backend>, startedAt: number, queued: () => unknown) {
	return () => {
		const statuses = new Map([...backends].map(([name, backend]) => [name === '' ? 'default' : name, backend.status()]));
		const serving = (status: ServerStatus) => status.state === 'running' || status.state === 'idle';
		const defaultStatus = statuses.get('default');
		const available = defaultStatus ? serving(defaultStatus) : [...statuses.values()].some(status => serving(status));
		const allServing = [...statuses.values()].every(status => serving(status));
		const status = available ? (allServing ? 'ok' : 'degraded') : 'unavailable';
		const activities = [...statuses.values()].map(entry => entry.lastActivity).filter(time => time !== undefined);
		return {
			statusCode: status === 'ok' ? 200 : 503,
			body: {
				status,
				version: packageVersion,
				uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
				servers: Object.fromEntries(statuses),
				queued: queued(),
				/* eslint-disable @typescript-eslint/naming-convention -- the Python mcp-proxy's field names */
				api_last_activity: activities.length > 0 ? activities.toSorted().at(-1) : new Date(startedAt).toISOString(),
				server_instances: Object.fromEntries([...statuses].map(([name, entry]) => [name, entry.state])),
				/* eslint-enable @typescript-eslint/naming-convention */
			},
		};
	};
}

function run(options: ServerModeOptions, loaded: Loaded): Observable<never> {
	return new Observable<never>(subscriber => {
		const {logger = defaultLogger, listener = {}, stop = NEVER} = options;
		// Closes every isolated session's own server gracefully.
		const shutdown$ = new Subject<void>();
		const backends = createBackends(options, loaded, shutdown$);
		let listenerStats: (() => ListenerStats) | undefined;
		const queued = () => {
			const stats = listenerStats?.();
			return {
				bytes: stats?.queuedBytes ?? 0, limit: listener.maxQueuedBytes ?? defaultMaxQueuedBytes, shed: stats?.shedMessages ?? 0, closedSessions: stats?.cutSessions ?? 0,
			};
		};

		let activeLinks = 0;
		let stopping = false;
		const completeWhenDone = () => {
			if (stopping && activeLinks === 0 && [...backends.values()].every(backend => !backend.run || backend.run.closed)) {
				subscriber.complete();
			}
		};

		const listening = httpListener({
			...listener,
			servers: options.servers.map(config => config.name),
			status: statusOf(backends, Date.now(), queued),
			logger,
			redactor: options.redactor ?? noRedaction,
			...(options.settingNames ? {settingNames: options.settingNames} : {}),
			onStats(read) {
				listenerStats = read;
			},
		}).pipe(mergeMap(session => {
			activeLinks++;
			return link(session.transport, backends.get(session.server)!.connect(session)).pipe(
				catchError((error: unknown) => {
					logger.debug(`session ${session.id}: ${describeError(error)}`);
					return EMPTY;
				}),
				finalize(() => {
					activeLinks--;
					completeWhenDone();
				}),
			);
		})).subscribe({
			error(error: unknown) {
				subscriber.error(error);
			},
		});
		for (const backend of backends.values()) {
			backend.run?.add(completeWhenDone);
		}

		const stopping$ = stop.pipe(take(1)).subscribe(() => {
			stopping = true;
			shutdown$.next();
			for (const backend of backends.values()) {
				backend.close();
			}

			completeWhenDone();
		});
		return () => {
			stopping$.unsubscribe();
			listening.unsubscribe();
			for (const backend of backends.values()) {
				if (!stopping) {
					backend.close();
				}

				backend.run?.unsubscribe();
			}
		};
	});
}

/**
Run server mode while subscribed: serve the servers to HTTP clients until `stop` emits and everything has ended (then it completes), or a fatal failure (the port is taken: it errors). Unsubscribing closes everything at once.

@example
```
serverMode({servers: [{kind: 'stdio', name: '', command: 'node', args: ['server.js'], env: {}, cwd: undefined}], listener: {port: 8080}}).subscribe({error: console.error});
```
*/
export function serverMode(options: ServerModeOptions): Observable<never> {
	// The HTTP client stack is loaded only when a remote server is configured.
	const needsRemote = options.servers.some(config => config.kind === 'remote');
	return defer(() => from(needsRemote ? import('./remote-upstream.js') : Promise.resolve(undefined))).pipe(mergeMap(module => run(options, {remoteUpstream: module?.remoteUpstream})));
}
