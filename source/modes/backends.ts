import {
	catchError, finalize, type Observable, takeUntil, tap, type Subscription,
} from 'rxjs';
import type {ServerConfig} from '../config/named-servers.js';
import {describeError} from '../errors.js';
import {pipeTransport} from '../link.js';
import type {Session} from '../listeners/http-listener.js';
import type {Logger} from '../logger.js';
import {bridgeToModern} from '../operators/bridge-to-modern/index.js';
import {guardRequests} from '../operators/guard-requests/index.js';
import {
	multiplex, type Multiplexer, type MultiplexOptions, type UpstreamState,
} from '../operators/multiplex/index.js';
import {renameSettings, type SettingNames} from '../setting-names.js';
import {forwardLines} from '../transports/stdio-child/stderr-forward.js';
import {spawnStdio} from '../transports/stdio-child/index.js';
import type {Transport, TransportOperator} from '../types.js';
import type {Redactor} from '../redactor.js';
import {modernBackend, type ModernBackend} from './modern-backend.js';
import type {remoteUpstream as remoteUpstreamType} from './remote-upstream.js';

/*
Server mode's backends: for each configured server, how a client session reaches it — one shared (multiplexed) upstream restarted when it fails, or an upstream of its own per session (isolated) — and the counts its `/status` entry shows. Tested with server mode (test/modes/server-mode.ts, test/reliability/server-faults.ts).
*/

export type ServerStatus = {
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
	/**
	Each protocol era's side (`legacy`: the 2025 revisions; `modern`: 2026-07-28): the state of the upstream that serves it, `bridged` when the server speaks only the other era and the bridge serves it, `not started` for a 2026-07-28 instance no request has needed yet.
	*/
	eras: {legacy: EraState; modern: EraState};
};

export type EraState = UpstreamState | 'idle' | 'bridged' | 'not started';

/**
The 2026-07-28 side of a served server: its own instance's state, or `bridged` (a 2025-only server, its 2026 requests bridged onto 2025 sessions).
*/
function modernEra(modern: ModernBackend): EraState {
	const status = modern.status();
	if (status === undefined) {
		return 'not started';
	}

	return status.otherEra === undefined ? status.state : 'bridged';
}

export type Backend = {
	config: ServerConfig;
	/**
	The shared upstream's run (multiplexed only).
	*/
	run?: Subscription;
	/**
	The transport a new client session talks to.
	*/
	connect(session: Session): Transport;
	status(): ServerStatus;
	/**
	Stop gracefully: a shared upstream ends once its requests are answered (its `run` closes then).
	*/
	close(): void;
};

/**
What every backend of a run needs: the settings, its server's logger, the operators each session gets, and the remote upstream factory (loaded only when a remote server is configured).
*/
export type BackendContext = {
	passEnvironment: boolean | undefined;
	maxMessageBytes: number | undefined;
	restartDelay: number | undefined;
	restartMaxDelay: number | undefined;
	startupTimeout: number | undefined;
	isolated: boolean;
	settingNames: SettingNames | undefined;
	/**
	Hides secrets in a child's standard error, the errors `/status` shows and a child's command line in the log.
	*/
	redactor: Redactor;
	logger: Logger;
	/**
	The operators between a client session and its server: the request timeout, the message tap.
	*/
	perSession: (session: Session, peerName: string) => TransportOperator[];
	remoteUpstream: typeof remoteUpstreamType | undefined;
};

function label(config: ServerConfig): string {
	return config.name === '' ? 'the server' : `server "${config.name}"`;
}

function makeUpstream(config: ServerConfig, context: BackendContext, onSpawn: (pid: number) => void): () => Transport {
	const {logger, maxMessageBytes, redactor} = context;
	if (config.kind === 'remote') {
		return context.remoteUpstream!(config, {
			maxMessageBytes,
			// Shared (multiplexed) remotes are re-initialized by the multiplexer when they drop; a session's own remote reconnects by itself, replaying that client's handshake.
			reconnect: context.isolated ? {initialDelay: context.restartDelay, maxDelay: context.restartMaxDelay} : undefined,
			settingNames: context.settingNames,
			logger,
		});
	}

	return () => spawnStdio({
		command: config.command,
		args: config.args,
		env: config.env,
		cwd: config.cwd,
		passEnvironment: context.passEnvironment,
		maxLineBytes: maxMessageBytes,
		// The child's `maxLineBytes` is this mode's `maxMessageBytes`, and is named so.
		settingNames: renameSettings(context.settingNames, {maxLineBytes: 'maxMessageBytes'}),
		// The child's standard error, line by line, with secrets redacted (a server may print the token it was given), bounded when ours is not read.
		stderr: forwardLines({prefix: config.name === '' ? '' : `[${config.name}] `, transform: text => redactor.redact(text)}),
		redactor,
		logger,
		onSpawn,
	});
}

function multiplexOptions(config: ServerConfig, context: BackendContext): MultiplexOptions {
	return {
		name: label(config),
		restartDelay: context.restartDelay,
		restartMaxDelay: context.restartMaxDelay,
		initializeTimeout: context.startupTimeout,
		...(context.settingNames ? {settingNames: context.settingNames} : {}),
		logger: context.logger,
	};
}

/**
Where the server's requests of the 2026-07-28 revision go, isolated or not: one modern upstream for all of them (a child of its own, or a connection to the remote, started on the first). It is shared, so a remote's is not reconnected by itself: the multiplexer restarts it.
*/
function modernOf(config: ServerConfig, context: BackendContext, legacySession: () => (id: string) => Transport): ModernBackend {
	return modernBackend(config, {
		legacySession,
		logger: context.logger,
		upstream: () => makeUpstream(config, {...context, isolated: false}, () => undefined)(),
		name: label(config),
		multiplexOptions: {...multiplexOptions(config, context), name: `${label(config)} (its 2026-07-28 instance)`},
		perSession: session => context.perSession(session, label(config)),
	});
}

/**
A 2025 session whose server speaks 2026-07-28 only (it refuses \`initialize\` with -32022) is bridged onto the server's modern upstream, through the same per-session operators. A stateless request (a session of its own) after \`initialize\` has no handshake to bridge from: it is bridged at once when the server is known to speak 2026 only (\`era\` says \`modern-only\`), by its \`initialize\` while that is not known yet, and not at all (no cost) once the server is known to speak 2025.
*/
function bridgeTo(modern: ModernBackend, session: Session, era: () => 'modern-only' | 'unknown' | '2025'): TransportOperator {
	if (!session.stateless) {
		return bridgeToModern({modern: () => modern.bridge(session)});
	}

	const known = era();
	return known === '2025' ? transport => transport : bridgeToModern({modern: () => modern.bridge(session), assumeModern: known === 'modern-only'});
}

/**
What a shared 2025 upstream is known to speak: only 2026 (it refused \`initialize\` so), not known yet (it is starting), or 2025.
*/
function eraOf(mux: Multiplexer): 'modern-only' | 'unknown' | '2025' {
	const status = mux.status();
	if (status.otherEra !== undefined) {
		return 'modern-only';
	}

	return status.state === 'starting' ? 'unknown' : '2025';
}

/**
One shared upstream for every session, through the multiplexer, restarted when it fails.
*/
export function multiplexedBackend(config: ServerConfig, context: BackendContext): Backend {
	const {perSession, redactor} = context;
	let pid: number | undefined;
	const upstream = makeUpstream(config, context, value => {
		pid = value;
	});
	const mux: Multiplexer = multiplex(upstream(), multiplexOptions(config, context));
	const run = mux.run$.subscribe();
	const modern = modernOf(config, context, () => mux.session);
	return {
		config,
		run,
		connect: session => session.era === 'modern'
			? modern.connect(session)
			: pipeTransport(mux.session(session.id), bridgeTo(modern, session, () => eraOf(mux)), ...perSession(session, label(config))),
		status() {
			const status = mux.status();
			// A server that speaks 2026-07-28 only serves its 2025 clients through the bridge: its state is its 2026 instance's (idle until a request needs it).
			const bridged = status.otherEra !== undefined;
			return {
				state: bridged ? (modern.status()?.state ?? 'idle') : status.state,
				pid: status.state === 'running' ? pid : undefined,
				restarts: status.restarts,
				sessions: status.sessions,
				inFlight: status.inFlight,
				lastActivity: status.lastActivity,
				...(status.lastError ? {lastError: redactor.redact(status.lastError)} : {}),
				mode: 'multiplexed',
				kind: config.kind,
				eras: {legacy: bridged ? 'bridged' : status.state, modern: modernEra(modern)},
			};
		},
		close() {
			mux.close();
			modern.close();
		},
	};
}

/**
An upstream of its own for each session (a child, or a connection to a remote), which ends with it; `shutdown$` closes them all gracefully.
*/
export function isolatedBackend(config: ServerConfig, context: BackendContext, shutdown$: Observable<unknown>): Backend {
	const {redactor} = context;
	const pids = new Set<number>();
	let sessions = 0;
	let starts = 0;
	// Whether the newest child to end or speak failed before it said anything: its command is broken, until one works.
	let lastStartFailed = false;
	let lastError: string | undefined;
	let lastActivity: number | undefined;
	// The bridge's 2025 sessions (for modern clients of a 2025-only server) share one child, started when first needed: never a child per request.
	let bridged: Multiplexer | undefined;
	const modern = modernOf(config, context, () => {
		bridged = multiplex(makeUpstream(config, context, () => undefined)(), {...multiplexOptions(config, context), name: `${label(config)} (its instance for 2026-07-28 clients)`});
		bridged.run$.subscribe();
		return bridged.session;
	});
	return {
		config,
		connect(session) {
			if (session.era === 'modern') {
				return modern.connect(session);
			}

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

			return pipeTransport(tracked, bridgeTo(modern, session, () => '2025'), guardRequests({peerName: label(config), logger: context.logger}), ...context.perSession(session, label(config)));
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
				...(lastError ? {lastError: redactor.redact(lastError)} : {}),
				mode: 'isolated',
				kind: config.kind,
				eras: {legacy: state, modern: modernEra(modern)},
			};
		},
		close() {
			// The shared shutdown$ closes every session's child gracefully; the modern side's children are closed here.
			modern.close();
			bridged?.close();
		},
	};
}
