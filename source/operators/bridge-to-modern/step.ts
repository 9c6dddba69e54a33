/*
The bridge machine: `step(state, event)` changes the state in place and returns what the glue must do. Pure: no subscribers, timers or clock. It decides the era from the 2025 upstream's answer to the client's `initialize` (a -32022 naming only modern versions: bridge; anything else: out of the way), answers `initialize` from `server/discover`, and then serves the 2025 client from the modern upstream: each request enveloped and sent under an id of the bridge's, `ping`, `logging/setLevel` and `notifications/initialized` handled here. Input rounds are rounds.ts, subscriptions listen.ts.

Tests: test/operators/bridge-to-modern/step.ts (tables); the glue in test/operators/bridge-to-modern/index.ts.
*/
import type {
	Message, Request, RequestId, Response,
} from '../../types.js';
import {errorCodes} from '../../errors.js';
import {
	errorResponse, isErrorResponse, isNotification, isRequest, isResponse,
} from '../../wire/message.js';
import {modernOnly, modernProtocolVersions} from '../../wire/modern.js';
import {
	changeSubscription, endListens, fromListen, isListenMessage, openListen, relisten,
} from './listen.js';
import {
	cancelPending, inputAnswered, modernAnswered, retryNow,
} from './rounds.js';
import {
	holdList, initializeResult, listenFlagsOf, maxHeldMessages, openBridge, ownId, sendUpstream, sessionEnvelope, withEnvelope,
	type BridgeEffect, type BridgeEvent, type BridgeState, type Pending,
} from './state.js';

const none: readonly BridgeEffect[] = [];

export function step(state: BridgeState, event: BridgeEvent): readonly BridgeEffect[] {
	switch (event.type) {
		case 'client': {
			return fromClient(state, event.message);
		}

		case 'legacy': {
			return fromLegacy(state, event.message);
		}

		case 'modern': {
			return fromModern(state, event.message);
		}

		case 'retry': {
			return retryNow(state, event.clientId);
		}

		case 'relisten': {
			return relisten(state);
		}

		case 'assume-modern': {
			return assumeModern(state);
		}

		case 'client-end': {
			return clientEnded(state);
		}
	}
}

/**
A session without a handshake of its own, of a server known to speak 2026 only: bridged at once, with the envelope of a client that declared nothing (as the SDK's stateless 2025 path serves one), no probe (nothing asks for `initialize`'s answer).
*/
function assumeModern(state: BridgeState): readonly BridgeEffect[] {
	if (state.phase !== 'deciding' || state.initialize !== undefined) {
		return none;
	}

	state.phase = 'bridged';
	openBridge(state);
	state.envelope = sessionEnvelope(undefined);
	return [{type: 'end-legacy'}, {type: 'open-modern'}];
}

function fromClient(state: BridgeState, message: Message): readonly BridgeEffect[] {
	switch (state.phase) {
		case 'passthrough': {
			return [{type: 'to-legacy', message}];
		}

		case 'bridged': {
			return fromBridgedClient(state, message);
		}

		case 'failed': {
			return isRequest(message) ? [{type: 'to-client', message: {...state.refusal!, id: message.id}}] : none;
		}

		case 'deciding':
		case 'probing': {
			if (state.phase === 'deciding' && state.initialize === undefined) {
				// Before an `initialize` (a 2026 client sends none), everything goes to the 2025 upstream, which routes it by its era.
				if (isRequest(message) && message.method === 'initialize') {
					state.initialize = message;
				}

				return [{type: 'to-legacy', message}];
			}

			return hold(state, message);
		}
	}
}

/**
A message sent after `initialize` and before its answer waits for the era to be known (a 2025 client sends nothing then; what it sends anyway is bounded).
*/
function hold(state: BridgeState, message: Message): readonly BridgeEffect[] {
	if (state.held.length < maxHeldMessages) {
		holdList(state).push(message);
		return none;
	}

	if (!isRequest(message)) {
		return none;
	}

	const why = `\`${message.method}\` was sent before \`initialize\` was answered, and ${maxHeldMessages} messages already wait for that answer (a fixed limit)`;
	return [{type: 'to-client', message: errorResponse(message.id, errorCodes.internalError, why)}];
}

function fromLegacy(state: BridgeState, message: Message): readonly BridgeEffect[] {
	if (state.phase === 'passthrough') {
		return [{type: 'to-client', message}];
	}

	if (state.phase !== 'deciding') {
		// The 2025 upstream was left; what it still says is not for the client.
		return none;
	}

	const {initialize} = state;
	if (initialize === undefined || !isResponse(message) || message.id !== initialize.id) {
		return [{type: 'to-client', message}];
	}

	if (isErrorResponse(message) && modernOnly(message.error)?.some(version => modernProtocolVersions.includes(version))) {
		state.phase = 'probing';
		openBridge(state);
		state.refusal = message;
		state.envelope = sessionEnvelope(initialize);
		const discover: Request = {
			jsonrpc: '2.0', id: ownId(state, 'discover'), method: 'server/discover', params: {_meta: state.envelope},
		};
		state.discoverId = discover.id as string;
		return [{type: 'end-legacy'}, {type: 'open-modern'}, {type: 'to-modern', message: discover}];
	}

	state.phase = 'passthrough';
	state.initialize = undefined;
	const effects: BridgeEffect[] = [{type: 'to-client', message}];
	for (const held of state.held.splice(0)) {
		effects.push({type: 'to-legacy', message: held});
	}

	return effects;
}

function fromModern(state: BridgeState, message: Message): readonly BridgeEffect[] {
	if (isResponse(message)) {
		if (state.phase === 'probing' && message.id === state.discoverId) {
			return discovered(state, message);
		}

		const pending = state.byUpstream.get(message.id as string);
		if (pending) {
			return modernAnswered(state, pending, message);
		}
	}

	if (isListenMessage(message)) {
		return fromListen(state, message);
	}

	// Progress and log messages of a request in flight; a stray answer or cancellation is not the client's.
	return isNotification(message) && message.method !== 'notifications/cancelled' ? [{type: 'to-client', message}] : none;
}

/**
The probe's answer: the client's `initialize` is answered from it and the session is bridged, or, when it is not a modern server's answer, the client gets the 2025 upstream's refusal.
*/
function discovered(state: BridgeState, message: Response): readonly BridgeEffect[] {
	const initialize = state.initialize!;
	state.initialize = undefined;
	const result = isErrorResponse(message) ? undefined : (message as {result: Record<string, unknown>}).result;
	const versions = result?.['supportedVersions'];
	if (!result || !Array.isArray(versions) || !versions.some(version => modernProtocolVersions.includes(version as string))) {
		state.phase = 'failed';
		return [{type: 'to-client', message: {...state.refusal!, id: initialize.id}}, {type: 'end-modern'}];
	}

	state.phase = 'bridged';
	const capabilities = result['capabilities'] as {resources?: {subscribe?: unknown}} | undefined;
	state.listenFlags = listenFlagsOf(capabilities);
	state.canSubscribe = capabilities?.resources?.subscribe === true;
	const effects: BridgeEffect[] = [{type: 'to-client', message: {jsonrpc: '2.0', id: initialize.id, result: initializeResult(initialize, result)}}];
	openListen(state, effects);
	for (const held of state.held.splice(0)) {
		effects.push(...fromBridgedClient(state, held));
	}

	return effects;
}

function fromBridgedClient(state: BridgeState, message: Message): readonly BridgeEffect[] {
	if (isRequest(message)) {
		return bridgedRequest(state, message);
	}

	if (isResponse(message)) {
		return inputAnswered(state, message);
	}

	if (message.method === 'notifications/cancelled') {
		const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
		const pending = requestId === undefined ? undefined : state.byClient.get(requestId);
		return pending ? cancelPending(state, pending, 'The client cancelled the request') : none;
	}

	// `notifications/initialized` and the other 2025 notifications have no 2026 counterpart.
	return none;
}

function bridgedRequest(state: BridgeState, message: Request): readonly BridgeEffect[] {
	switch (message.method) {
		case 'ping': {
			return [{type: 'to-client', message: {jsonrpc: '2.0', id: message.id, result: {}}}];
		}

		case 'logging/setLevel': {
			const level = (message.params as {level?: unknown} | undefined)?.level;
			if (typeof level !== 'string') {
				return [{type: 'to-client', message: errorResponse(message.id, errorCodes.invalidParams, '`logging/setLevel` needs a `level`')}];
			}

			state.logLevel = level;
			return [{type: 'to-client', message: {jsonrpc: '2.0', id: message.id, result: {}}}];
		}

		case 'resources/subscribe':
		case 'resources/unsubscribe': {
			return changeSubscription(state, message);
		}

		default: {
			if (state.byClient.has(message.id)) {
				return [{type: 'to-client', message: errorResponse(message.id, errorCodes.invalidRequest, `Request id ${JSON.stringify(message.id)} is already in use by a request in flight`)}];
			}

			const pending: Pending = {
				clientId: message.id,
				method: message.method,
				params: withEnvelope(state, message.params),
				upstreamId: undefined,
				rounds: 0,
				answers: {},
				waiting: 0,
				inputIds: [],
				requestState: undefined,
			};
			state.byClient.set(message.id, pending);
			return [sendUpstream(state, pending, pending.params)];
		}
	}
}

/**
The client's messages ended: the requests waiting on it are answered (it will send no more input), the listens end, the modern upstream's input closes once; its answers in flight still come.
*/
function clientEnded(state: BridgeState): readonly BridgeEffect[] {
	if (state.phase !== 'bridged' && state.phase !== 'probing') {
		return none;
	}

	const effects: BridgeEffect[] = [];
	for (const pending of state.byClient.values()) {
		if (pending.upstreamId === undefined) {
			const why = `The client's messages ended while \`${pending.method}\` waited for its input`;
			effects.push(...cancelPending(state, pending, 'The client left'), {type: 'to-client', message: errorResponse(pending.clientId, errorCodes.connectionClosed, why)});
		}
	}

	endListens(state, effects);
	effects.push({type: 'end-modern'});
	return effects;
}
