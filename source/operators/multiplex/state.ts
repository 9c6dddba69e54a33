/*
The multiplexer's state as plain data: the sessions, the id table of requests in flight each way, the server requests held back, the queue while the upstream starts, and the upstream's lifecycle. No subscribers, timers, callbacks or clock: the step (step.ts) changes this object in place, on the hot path without copying (see wire/id-map.ts for why allocation matters here), and says what the world must see as effects.
*/
import type {RequestId, Request} from '../../types.js';
import {IdMap} from '../../wire/id-map.js';
import type {SettingNames} from '../../setting-names.js';
import type {Handshake} from './handshake.js';

export type UpstreamState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export type Loose = Record<string, unknown>;

/**
One client session as the multiplexer sees it.
*/
export type SessionState = {
	readonly id: string;
	capabilities: Record<string, unknown> | undefined;
	/**
	Answered its `initialize`: it may receive notifications and server requests.
	*/
	ready: boolean;
	/**
	Its requests in flight upstream: its id → upstream id.
	*/
	inFlight: IdMap<RequestId, number>;
	/**
	Server→client requests waiting for its answer (ids as the session sees them).
	*/
	serverRequests: Set<number>;
	subscriptions: Set<string>;
	logLevel: number | undefined;
	closed: boolean;
};

/**
A client request in flight upstream, by its upstream id.
*/
export type ClientRequest = {
	session: SessionState;
	originalId: RequestId;
	method: string;
	originalToken: string | number | undefined;
};

/**
A server→client request sent to a session, by the id the session sees.
*/
export type ServerRequest = {
	session: SessionState;
	upstreamId: RequestId;
};

/**
The key of a timer the step asks the glue to run: the upstream's handshake, or one held server request.
*/
export type TimerKey = 'handshake' | `held:${number}`;

/**
A server→client request that more than one session could have caused, waiting for all but one of them to be answered.
*/
export type HeldServerRequest = {
	request: Request;
	capability: string | undefined;
	/**
	The newest upstream request id when it came: only requests up to this one can have caused it.
	*/
	horizon: number;
	timer: TimerKey;
};

/**
Why the proxy sent a request of its own upstream: its answer is data, handled by kind (only the handshake's answer matters; the others' answers are dropped).
*/
export type InternalRequest = 'handshake' | 'log-level' | 'subscribe' | 'unsubscribe';

/**
The upstream's lifecycle: one attempt at a time (subscribed to the upstream transport), its handshake, and the numbers the restart backoff and `status()` need.
*/
export type Lifecycle = {
	phase: UpstreamState;
	/**
	Attempts started so far: restarts are `starts - 1`.
	*/
	starts: number;
	/**
	`close()` was called: no more attempts.
	*/
	stopping: boolean;
	/**
	`run$` is subscribed.
	*/
	running: boolean;
	/**
	An attempt is subscribed to the upstream transport.
	*/
	attached: boolean;
	/**
	The handshake in progress while the attempt starts (undefined once the upstream runs, or between attempts).
	*/
	handshake: Handshake | undefined;
	/**
	The upstream's answer to the handshake: each session's `initialize` is answered from it.
	*/
	initResult: Loose | undefined;
	lastError: string | undefined;
	/**
	The upstream speaks only the other era (the handshake's verdict): why, and the versions it does speak. It is not restarted.
	*/
	otherEra: {reason: string; supported: readonly string[]} | undefined;
	/**
	Failures in a row, for the restart backoff; reset once an attempt ran `stableAfter`.
	*/
	failures: number;
	runningSince: number | undefined;
	/**
	How long to wait before the next attempt, set when an attempt ends.
	*/
	restartDelay: number;
};

/**
The settings the step reads: numbers and names, nothing that acts.
*/
export type MultiplexConfig = {
	/**
	Names the server in logs and errors (`the server`); `title` is the same, capitalized, to start a sentence.
	*/
	name: string;
	title: string;
	restartDelay: number;
	restartMaxDelay: number;
	stableAfter: number;
	initializeTimeout: number;
	maxQueued: number;
	ambiguousRequestTimeout: number;
	settingNames: SettingNames | undefined;
	era: '2025' | 'modern';
};

export type MultiplexState = {
	readonly config: MultiplexConfig;
	lifecycle: Lifecycle;
	lastActivity: number | undefined;
	nextId: number;
	nextInternal: number;
	nextServerRequest: number;
	nextHeld: number;
	sessions: Map<string, SessionState>;
	/**
	Client requests in flight upstream, by upstream id.
	*/
	requests: IdMap<number, ClientRequest>;
	/**
	Server requests sent to sessions, by the id the session sees, and that id by the upstream's.
	*/
	serverRequests: Map<number, ServerRequest>;
	serverRequestsByUpstream: Map<RequestId, number>;
	/**
	The proxy's own requests in flight upstream, by id (`rx-mcp-proxy/N`).
	*/
	internal: Map<string, InternalRequest>;
	/**
	Recent ids of requests that ended without their answer, upstream ids (cancelled, their session closed) and proxy ids of server requests (cancelled by the upstream, or the upstream restarted): their late answers are dropped quietly; any other unknown answer is a stray or a second answer, and is logged as such.
	*/
	retiredRequests: Set<number>;
	retiredServerRequests: Set<number>;
	/**
	Requests waiting while the upstream starts or restarts (at most `maxQueued`).
	*/
	queue: Array<{session: SessionState; message: Request}>;
	held: HeldServerRequest[];
	warnedAmbiguous: boolean;
	/**
	The log level the upstream was set to: the most verbose any session asked for.
	*/
	upstreamLogLevel: string | undefined;
};

/**
How many ids of requests that ended without their answer are remembered, so that their late answers are told from strays.
*/
export const maxRetired = 10_000;

export function createState(config: MultiplexConfig): MultiplexState {
	return {
		config,
		lifecycle: {
			phase: 'starting',
			starts: 0,
			stopping: false,
			running: false,
			attached: false,
			handshake: undefined,
			initResult: undefined,
			lastError: undefined,
			otherEra: undefined,
			failures: 0,
			runningSince: undefined,
			restartDelay: 0,
		},
		lastActivity: undefined,
		nextId: 1,
		nextInternal: 1,
		nextServerRequest: 1,
		nextHeld: 1,
		sessions: new Map(),
		requests: new IdMap(),
		serverRequests: new Map(),
		serverRequestsByUpstream: new Map(),
		internal: new Map(),
		retiredRequests: new Set(),
		retiredServerRequests: new Set(),
		queue: [],
		held: [],
		warnedAmbiguous: false,
		upstreamLogLevel: undefined,
	};
}

export function createSession(id: string): SessionState {
	return {
		id,
		capabilities: undefined,
		ready: false,
		inFlight: new IdMap(),
		serverRequests: new Set(),
		subscriptions: new Set(),
		logLevel: undefined,
		closed: false,
	};
}
