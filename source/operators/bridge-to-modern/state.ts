/*
The bridge's state, events and effects, and the small pure helpers its steps share: the `_meta` envelope of a bridged request, the `initialize` result made from a `server/discover` result, and the ids the bridge gives its own messages.
*/
import type {
	Message, Request, RequestId, Response,
} from '../../types.js';
import {
	clientCapabilitiesKey, clientInfoKey, logLevelKey, protocolVersionKey, serverInfoKey,
} from '../../wire/modern.js';
import {knownProtocolVersions, latestProtocolVersion} from '../protocol-versions.js';

export {
	clientCapabilitiesKey, clientInfoKey, logLevelKey, serverInfoKey, subscriptionIdKey,
} from '../../wire/modern.js';

/**
The requests a modern server may answer with `input_required` (mrtr.mdx).
*/
export const inputRequiredMethods: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/**
The kinds of input a modern server may ask for, each a real request to a 2025 client.
*/
export const inputMethods: ReadonlySet<string> = new Set(['elicitation/create', 'sampling/createMessage', 'roots/list']);

/**
Rounds of `input_required` one request may take before it fails (the SDK's legacy shim stops after 8 too).
*/
export const maxInputRounds = 8;

/**
Resources one bridged session may be subscribed to at once (the upstream's listen filter carries them all).
*/
export const maxResourceSubscriptions = 1024;

/**
Requests a client may send before its `initialize` is answered (a 2025 client sends none; they wait, bounded, for the era to be known).
*/
export const maxHeldMessages = 64;

/**
Times in a row a listen that ended unasked (its stream broke, the server ended it) is opened again, each after a pause; an acknowledgement starts the count again.
*/
export const maxListenRestarts = 5;

/**
`deciding`: the client's `initialize` went to the 2025 upstream, whose answer decides. `passthrough`: the upstream speaks 2025; the bridge is out of the way. `probing`: the upstream speaks 2026 only, `server/discover` is on its way. `bridged`: the session is served by the modern upstream. `failed`: the probe failed too; the client got the refusal, and its requests get it too.
*/
export type BridgePhase = 'deciding' | 'passthrough' | 'probing' | 'bridged' | 'failed';

/**
A client request served by the modern upstream: its current upstream id, and the input round it is in.
*/
export type Pending = {
	clientId: RequestId;
	method: string;
	/**
	The params sent upstream in the first round (the client's, with the envelope): every retry starts from them.
	*/
	params: Record<string, unknown>;
	/**
	The id of its request upstream, while one is in flight.
	*/
	upstreamId: string | undefined;
	rounds: number;
	/**
	The round's answers from the client, by key; `waiting` counts those still to come.
	*/
	answers: Record<string, unknown>;
	waiting: number;
	/**
	The ids of this round's input requests to the client.
	*/
	inputIds: string[];
	requestState: string | undefined;
};

export type Listen = {
	id: string;
	acked: boolean;
};

export type BridgeState = {
	phase: BridgePhase;
	/**
	The client's `initialize`, kept until it is answered.
	*/
	initialize: Request | undefined;
	/**
	The error the 2025 upstream refused `initialize` with: the client's answer if the probe fails too.
	*/
	refusal: Response | undefined;
	/**
	The id of the probe, while it is in flight.
	*/
	discoverId: string | undefined;
	held: Message[];
	envelope: Record<string, unknown>;
	logLevel: string | undefined;
	nextId: number;
	byUpstream: Map<string, Pending>;
	byClient: Map<RequestId, Pending>;
	/**
	The bridge's input requests to the client: the request and the key each answers.
	*/
	inputs: Map<string, {pending: Pending; key: string}>;
	/**
	What the upstream's listen stream may carry, from its capabilities.
	*/
	listenFlags: Record<string, boolean>;
	canSubscribe: boolean;
	subscribed: Set<string>;
	/**
	The newest listen opened, and the one whose notifications are delivered (the newest acknowledged).
	*/
	listens: Map<string, Listen>;
	live: string | undefined;
	/**
	`resources/subscribe` requests answered once the listen that carries their resource is acknowledged.
	*/
	subscribesWaiting: Array<{id: RequestId; listen: string}>;
	/**
	Listens that ended unasked since the last acknowledgement.
	*/
	listenRestarts: number;
};

export type BridgeEvent
	= | {type: 'client'; message: Message}
		| {type: 'legacy'; message: Message}
		| {type: 'modern'; message: Message}
		/**
		The pause before a retry that carries only `requestState` is over.
		*/
		| {type: 'retry'; clientId: RequestId}
		/**
		The pause before a listen that ended unasked is opened again is over.
		*/
		| {type: 'relisten'}
		/**
		The upstream is known to speak 2026-07-28 only and the session has no handshake of its own (server mode's stateless requests after `initialize`): it is served by the modern upstream from its first message.
		*/
		| {type: 'assume-modern'}
		/**
		The client's messages ended.
		*/
		| {type: 'client-end'};

export type BridgeEffect
	= | {type: 'to-client'; message: Message}
		| {type: 'to-legacy'; message: Message}
		| {type: 'to-modern'; message: Message}
		/**
		The 2025 upstream is done with: close its input, ignore what it says.
		*/
		| {type: 'end-legacy'}
		| {type: 'open-modern'}
		| {type: 'end-modern'}
		| {type: 'pause'; clientId: RequestId}
		| {type: 'relisten-later'};

// The tables of a session that is not bridged (yet): shared, empty, never written to (only a bridged session's steps write, after `openBridge` gave it tables of its own). Most sessions are never bridged, and each pays nothing for them.
const noTable = new Map<never, never>();
const noSet = new Set<never>();
const noList: never[] = [];

export function createBridgeState(): BridgeState {
	return {
		phase: 'deciding',
		initialize: undefined,
		refusal: undefined,
		discoverId: undefined,
		held: noList,
		envelope: {},
		logLevel: undefined,
		nextId: 0,
		byUpstream: noTable,
		byClient: noTable,
		inputs: noTable,
		listenFlags: {},
		canSubscribe: false,
		subscribed: noSet,
		listens: noTable,
		live: undefined,
		subscribesWaiting: noList,
		listenRestarts: 0,
	};
}

/**
Give a session its own tables, as it starts to be bridged (or to hold messages while the era is decided).
*/
export function openBridge(state: BridgeState): void {
	if (state.byUpstream === noTable) {
		state.byUpstream = new Map();
		state.byClient = new Map();
		state.inputs = new Map();
		state.subscribed = new Set();
		state.listens = new Map();
		state.subscribesWaiting = [];
	}
}

/**
Start holding messages (before `initialize` is answered): the session's own list.
*/
export function holdList(state: BridgeState): Message[] {
	if (state.held === noList) {
		state.held = [];
	}

	return state.held;
}

/**
A new id for a message of the bridge's own (`prefix` says which kind).
*/
export function ownId(state: BridgeState, prefix: string): string {
	state.nextId++;
	return `bridge-${prefix}-${state.nextId}`;
}

/**
The envelope of the bridged session, fixed when it starts: the version, and the client's identity and capabilities from its `initialize`.
*/
export function sessionEnvelope(initialize: Request | undefined): Record<string, unknown> {
	const parameters = (initialize?.params ?? {}) as {clientInfo?: unknown; capabilities?: unknown};
	return {
		[protocolVersionKey]: '2026-07-28',
		[clientInfoKey]: parameters.clientInfo ?? {name: 'unknown', version: '0'},
		[clientCapabilitiesKey]: parameters.capabilities ?? {},
	};
}

/**
`params` with the session's envelope merged into its `_meta` (the client's own `_meta` keys, its `progressToken`, kept), and the level of the client's last `logging/setLevel` when it set one.
*/
export function withEnvelope(state: BridgeState, parameters: Record<string, unknown> | undefined): Record<string, unknown> {
	const meta: Record<string, unknown> = {...(parameters?.['_meta'] as Record<string, unknown> | undefined), ...state.envelope};
	if (state.logLevel !== undefined) {
		meta[logLevelKey] = state.logLevel;
	}

	return {...parameters, _meta: meta};
}

/**
The answer to the client's `initialize`, from the modern upstream's `server/discover` result: the client's protocol version if the proxy knows it (else the newest 2025 one), the server's capabilities, identity and instructions.
*/
export function initializeResult(initialize: Request, discover: Record<string, unknown>): Record<string, unknown> {
	const requested = (initialize.params as {protocolVersion?: unknown} | undefined)?.protocolVersion;
	const protocolVersion = (knownProtocolVersions as readonly unknown[]).includes(requested) ? requested : latestProtocolVersion;
	const {_meta: meta, serverInfo: topServerInfo, instructions} = discover as {_meta?: Record<string, unknown>; serverInfo?: unknown; instructions?: unknown};
	const serverInfo = meta?.[serverInfoKey] ?? topServerInfo ?? {name: 'unknown', version: '0'};
	return {
		protocolVersion,
		capabilities: discover['capabilities'] ?? {},
		serverInfo,
		...(typeof instructions === 'string' ? {instructions} : {}),
	};
}

/**
The listen filter of the upstream's capabilities: the list-changed notifications it advertises.
*/
export function listenFlagsOf(capabilities: unknown): Record<string, boolean> {
	const flags: Record<string, boolean> = {};
	const of = (name: string) => ((capabilities as Record<string, {listChanged?: unknown} | undefined> | undefined)?.[name]?.listChanged === true);
	if (of('tools')) {
		flags['toolsListChanged'] = true;
	}

	if (of('prompts')) {
		flags['promptsListChanged'] = true;
	}

	if (of('resources')) {
		flags['resourcesListChanged'] = true;
	}

	return flags;
}

/**
Send `pending` upstream (again) under a new id.
*/
export function sendUpstream(state: BridgeState, pending: Pending, parameters: Record<string, unknown>): BridgeEffect {
	const id = ownId(state, 'request');
	pending.upstreamId = id;
	state.byUpstream.set(id, pending);
	return {
		type: 'to-modern', message: {
			jsonrpc: '2.0', id, method: pending.method, params: parameters,
		},
	};
}
