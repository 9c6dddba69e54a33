import process from 'node:process';
import {
	EMPTY,
	catchError,
	finalize,
	mergeMap,
	Subject,
	takeUntil,
	tap,
	type Subscription,
} from 'rxjs';
import type {CliOptions} from '../cli/options.js';
import {loadNamedServers, type ServerConfig} from '../config/named-servers.js';
import {describeError, UsageError} from '../errors.js';
import {
	defaultLogger, redact, redactArguments, redactNamedSecret, type Logger,
} from '../logger.js';
import {link, pipeTransport} from '../link.js';
import {httpListener, type ListenerStats, type Session} from '../listeners/http-listener.js';
import {guardRequests} from '../operators/guard-requests/index.js';
import {messageLog, type MessageLog} from '../operators/message-log.js';
import {multiplex, type Multiplexer, type UpstreamState} from '../operators/multiplex/index.js';
import {tapMessages} from '../operators/tap-messages.js';
import {forwardLines} from '../transports/stderr-forward.js';
import {spawnStdio} from '../transports/stdio-child.js';
import type {Transport, TransportOperator} from '../types.js';
import {packageVersion} from '../version.js';
import type {remoteUpstream as remoteUpstreamType} from './remote-upstream.js';

type ServerStatus = {
	/**
	`idle` (isolated mode): no session, so no child, and the last child did not fail to start.
	*/
	state: UpstreamState | 'idle';
	pid: number | undefined;
	/**
	Multiplexed: how many times the shared child was started again. Isolated: always 0 (a child is never restarted; its session ends with it).
	*/
	restarts: number;
	/**
	Isolated: the children started so far, one per session.
	*/
	childrenStarted?: number;
	sessions: number;
	/**
	Requests sent to a shared server and not answered yet.
	*/
	inFlight?: number;
	lastActivity: string | undefined;
	lastError?: string;
	mode: 'multiplexed' | 'isolated';
	kind: ServerConfig['kind'];
};

type Backend = {
	config: ServerConfig;
	run?: Subscription;
	/**
	The transport a new client session talks to.
	*/
	connect(session: Session): Transport;
	status(): ServerStatus;
	close(): void;
};

/**
A child's standard error, forwarded to ours line by line with registered secrets redacted (a server may print the token it was given), bounded when ours is not read.
*/
function lineWriter(prefix: string): ReturnType<typeof forwardLines> {
	return forwardLines({prefix, transform: redact});
}

/**
The servers to run: the default one (the command on the command line) and the named ones (from --named-server-config, or else --named-server).
*/
export function serverConfigs(options: CliOptions, environment: Readonly<Record<string, string | undefined>>, logger: Logger): ServerConfig[] {
	const configs: ServerConfig[] = [];
	if (options.command !== undefined) {
		configs.push({
			kind: 'stdio', name: '', command: options.command, args: options.args, env: options.env, cwd: options.cwd,
		});
	}

	if (options.namedServerConfig === undefined) {
		for (const server of options.namedServers) {
			configs.push({
				kind: 'stdio', name: server.name, command: server.command, args: server.args, env: {}, cwd: undefined,
			});
		}
	} else {
		if (options.namedServers.length > 0) {
			logger.warning('--named-server is ignored when --named-server-config is given (as in the Python mcp-proxy).');
		}

		configs.push(...loadNamedServers(options.namedServerConfig, environment, message => {
			logger.warning(message);
		}));
	}

	if (configs.length === 0) {
		throw new UsageError('No server to run: the configuration has no enabled server and no command was given.');
	}

	return configs;
}

/**
The operators between a client session and its server: the request timeout, the message log.
*/
type PerSession = (session: Session, peerName: string) => TransportOperator[];

/**
The flags behind the listener's limits, which its refusals and warnings name.
*/
const listenerFlags = {
	maxBodyBytes: '--max-body-bytes',
	maxSessions: '--max-sessions',
	maxSessionsPerClient: '--max-sessions-per-client',
	maxQueuedBytes: '--max-queued-bytes',
};

function label(config: ServerConfig): string {
	return config.name === '' ? 'the server' : `server "${config.name}"`;
}

/**
What every backend of a run needs: the options, its server's logger, and the remote upstream factory (loaded only when a remote server is configured).
*/
type BackendContext = {
	options: CliOptions;
	logger: Logger;
	remoteUpstream: typeof remoteUpstreamType | undefined;
};

function makeUpstream(config: ServerConfig, {options, logger, remoteUpstream}: BackendContext, onSpawn: (pid: number) => void): () => Transport {
	if (config.kind === 'remote') {
		return remoteUpstream!(config, options, logger);
	}

	for (const [name, value] of Object.entries(config.env)) {
		redactNamedSecret(name, value);
	}

	return () => spawnStdio({
		command: config.command,
		args: config.args,
		env: config.env,
		cwd: config.cwd,
		passEnvironment: options.passEnvironment,
		maxLineBytes: options.maxMessageBytes,
		stderr: lineWriter(config.name === '' ? '' : `[${config.name}] `),
		logger,
		onSpawn,
	});
}

function multiplexedBackend(config: ServerConfig, context: BackendContext, perSession: PerSession): Backend {
	const {options, logger} = context;
	let pid: number | undefined;
	const upstream = makeUpstream(config, context, value => {
		pid = value;
	});
	const mux: Multiplexer = multiplex(upstream(), {
		name: label(config),
		restartDelay: options.restartDelay,
		restartMaxDelay: options.restartMaxDelay,
		initializeTimeout: options.startupTimeout,
		settingNames: {isolateSessions: '--isolate-sessions'},
		logger,
	});
	const run = mux.run$.subscribe();
	return {
		config,
		run,
		connect: session => pipeTransport(mux.session(session.id), ...perSession(session, label(config))),
		status() {
			const status = mux.status();
			return {
				state: status.state,
				pid: status.state === 'running' ? pid : undefined,
				restarts: status.restarts,
				sessions: status.sessions,
				inFlight: status.inFlight,
				lastActivity: status.lastActivity,
				...(status.lastError ? {lastError: redact(status.lastError)} : {}),
				mode: 'multiplexed',
				kind: config.kind,
			};
		},
		close() {
			mux.close();
		},
	};
}

function isolatedBackend(config: ServerConfig, context: BackendContext, perSession: PerSession, shutdown$: Subject<void>): Backend {
	const pids = new Set<number>();
	let sessions = 0;
	let starts = 0;
	// Whether the newest child to end or speak failed before it said anything: its command is broken, until one works.
	let lastStartFailed = false;
	let lastError: string | undefined;
	let lastActivity: number | undefined;
	return {
		config,
		connect(session) {
			let pid: number | undefined;
			let spoke = false;
			const upstream = makeUpstream(config, context, value => {
				pid = value;
				pids.add(value);
				starts++;
			})();
			const tracked: Transport = outgoing$ => {
				sessions++;
				lastActivity = Date.now();
				return upstream(outgoing$.pipe(takeUntil(shutdown$))).pipe(
					tap(() => {
						if (!spoke) {
							spoke = true;
							lastStartFailed = false;
						}
					}),
					catchError((error: unknown) => {
						lastError = describeError(error);
						if (!spoke) {
							lastStartFailed = true;
						}

						throw error;
					}),
					finalize(() => {
						sessions--;
						if (pid !== undefined) {
							pids.delete(pid);
						}
					}),
				);
			};

			return pipeTransport(tracked, guardRequests({peerName: label(config), logger: context.logger}), ...perSession(session, label(config)));
		},
		status() {
			// A session's upstream (a child, or a connection to a remote) runs for as long as the session.
			let state: ServerStatus['state'] = sessions > 0 ? 'running' : 'idle';
			if (lastStartFailed) {
				state = 'failed';
			}

			return {
				state,
				pid: pids.size > 0 ? [...pids].at(-1) : undefined,
				restarts: 0,
				childrenStarted: starts,
				sessions,
				lastActivity: lastActivity === undefined ? undefined : new Date(lastActivity).toISOString(),
				...(lastError ? {lastError: redact(lastError)} : {}),
				mode: 'isolated',
				kind: config.kind,
			};
		},
		close() {
			// The shared shutdown$ closes every session's child gracefully.
		},
	};
}

/**
Server mode: serve stdio MCP servers (and remote ones from the config file) to HTTP clients.
*/
export async function runServerMode(options: CliOptions, logger: Logger = defaultLogger): Promise<number> {
	const configs = serverConfigs(options, process.env, logger);
	for (const config of configs) {
		// Before anything logs a command line or a URL (an isolated server's child starts only with a session).
		redactArguments(config.kind === 'stdio' ? config.args : [config.url]);
	}

	const log: MessageLog | undefined = options.logMessages === undefined ? undefined : messageLog(options.logMessages === '-' ? undefined : options.logMessages);
	const shutdown$ = new Subject<void>();
	const perSession: PerSession = (session, peerName) => [
		...(options.requestTimeout > 0 ? [guardRequests({timeout: options.requestTimeout, peerName, logger})] : []),
		...(log ? [tapMessages(log.write, {session: session.id})] : []),
	];

	// The HTTP client stack is loaded only when a remote server is configured.
	const remoteModule = configs.some(config => config.kind === 'remote') ? await import('./remote-upstream.js') : undefined;
	const backends = new Map<string, Backend>();
	for (const config of configs) {
		const context: BackendContext = {options, logger: config.name === '' ? logger : logger.child(`[${config.name}]`), remoteUpstream: remoteModule?.remoteUpstream};
		backends.set(config.name, options.isolateSessions && !options.stateless
			? isolatedBackend(config, context, perSession, shutdown$)
			: multiplexedBackend(config, context, perSession));
	}

	const startedAt = Date.now();
	let listenerStats: (() => ListenerStats) | undefined;
	const queued = () => {
		const stats = listenerStats?.();
		return {
			bytes: stats?.queuedBytes ?? 0, limit: options.maxQueuedBytes, shed: stats?.shedMessages ?? 0, closedSessions: stats?.cutSessions ?? 0,
		};
	};

	const status = () => {
		const servers = Object.fromEntries([...backends].map(([name, backend]) => [name === '' ? 'default' : name, backend.status()]));
		const defaultBackend = backends.get('');
		const serving = (backend: Backend) => ['running', 'idle'].includes(backend.status().state);
		const healthy = defaultBackend ? serving(defaultBackend) : [...backends.values()].some(backend => serving(backend));
		return {
			statusCode: healthy ? 200 : 503,
			body: {
				status: healthy ? 'ok' : 'unavailable',
				version: packageVersion,
				uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
				servers,
				queued: queued(),
			},
		};
	};

	let activeLinks = 0;
	let linksDrained: (() => void) | undefined;
	const exitCode = await new Promise<number>(resolve => {
		const listener$ = httpListener({
			host: options.host,
			port: options.port,
			servers: configs.map(config => config.name),
			stateless: options.stateless,
			allowOrigins: options.allowOrigins,
			exposeHeaders: options.exposeHeaders,
			apiKey: options.apiKey,
			maxBodyBytes: options.maxBodyBytes,
			maxSessions: options.maxSessions,
			maxQueuedBytes: options.maxQueuedBytes,
			maxSessionsPerClient: options.maxSessionsPerClient,
			sessionTimeout: options.sessionTimeout,
			handshakeTimeout: options.handshakeTimeout,
			readTimeout: options.readTimeout,
			status,
			logger,
			settingNames: listenerFlags,
			onStats(read) {
				listenerStats = read;
			},
			onListening({url}) {
				for (const config of configs) {
					const base = config.name === '' ? url : `${url}/servers/${config.name}`;
					const what = config.kind === 'stdio' ? `\`${[config.command, ...config.args].join(' ')}\`` : config.url;
					const served = config.name === '' ? what : `"${config.name}" (${what})`;
					process.stderr.write(redact(`Serving ${served} at ${base}/mcp (Streamable HTTP) and ${base}/sse (SSE)\n`));
				}

				process.stderr.write(`Status at ${url}/status\n`);
			},
		});

		const listening = listener$.pipe(mergeMap(session => {
			const backend = backends.get(session.server)!;
			activeLinks++;
			return link(session.transport, backend.connect(session)).pipe(
				catchError((error: unknown) => {
					logger.debug(`session ${session.id}: ${describeError(error)}`);
					return EMPTY;
				}),
				finalize(() => {
					activeLinks--;
					if (activeLinks === 0) {
						linksDrained?.();
					}
				}),
			);
		})).subscribe({
			error(error: unknown) {
				logger.critical(describeError(error));
				for (const backend of backends.values()) {
					backend.close();
					backend.run?.unsubscribe();
				}

				resolve(1);
			},
		});

		let stopping = false;
		const stop = (signal: NodeJS.Signals) => {
			if (stopping) {
				logger.warning(`${signal} again: exiting now`);
				process.exit(1);
			}

			stopping = true;
			logger.info(`${signal}: shutting down`);
			const drained = new Promise<void>(done => {
				if (activeLinks === 0) {
					done();
				} else {
					linksDrained = done;
				}
			});
			const upstreamsClosed = Promise.all([...backends.values()].map(async backend => new Promise<void>(done => {
				if (!backend.run || backend.run.closed) {
					done();
					return;
				}

				backend.run.add(done);
			})));
			shutdown$.next();
			for (const backend of backends.values()) {
				backend.close();
			}

			const deadline = new Promise<void>(done => {
				setTimeout(done, 10_000).unref();
			});
			void Promise.race([Promise.all([drained, upstreamsClosed]), deadline]).then(async () => {
				listening.unsubscribe();
				for (const backend of backends.values()) {
					backend.run?.unsubscribe();
				}

				await log?.close();
				resolve(0);
			});
		};

		process.on('SIGINT', stop);
		process.on('SIGTERM', stop);
	});
	return exitCode;
}
