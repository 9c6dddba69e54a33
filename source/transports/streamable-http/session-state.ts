/*
The Streamable HTTP client's session as a pure step: the session id and negotiated protocol version, the `initialize` under way, the messages held while it is answered and the GET stream opens, and the wind-down after a refusal (http/client-state.ts). `step(state, event)` changes the state in place (it runs for every message; copying would allocate on the hot path) and returns what the glue must do as effects; it performs no I/O, sets no timer and reads no clock.

Each message says its era. A 2025 message belongs to the session (`initialize`, `Mcp-Session-Id`, a GET stream, resumption). A modern one (MCP 2026-07-28: a `_meta` protocol-version envelope) needs none of it: it is POSTed at once with headers built from it (`requestHeaders`), and its request is remembered until answered, so that a `notifications/cancelled` for it only closes its POST (closing the stream is the cancellation) and its `tools/list` result is screened for invalid `x-mcp-header` annotations, the valid ones kept for the `Mcp-Param-*` of later calls. A 2025 message pays one property read for this.
*/
import {isNotification, isRequest, isResponse} from '../../wire/message.js';
import {
	forwardedHeadersOf, learnDeclarations, modernHeaders, modernVersionOf, type HeaderDeclaration,
} from '../../wire/modern.js';
import type {Message, RequestId} from '../../types.js';
import {
	cancelledRequestId,
	createClientState,
	keepUnsent,
	lifecycle,
	lifecycleEvents,
	postOutgoing,
	type ClientEffect,
	type ClientState,
	type LifecycleEvent,
	type LifecycleHooks,
	type RefusalEnd,
} from '../../http/client-state.js';
import {
	forgetRetry, keepForRetry, refreshed, refreshFor, type HeaderRetryState,
} from './header-retry.js';

/**
The protocol era of the upstream. `'session'`: revisions 2025-03-26 to 2025-11-25.
*/
export type Era = 'session';

export type SessionState = ClientState & HeaderRetryState & {
	readonly era: Era;
	/**
	How long the client's next messages wait for the GET stream to open after the initialize response, in milliseconds.
	*/
	readonly getStreamTimeout: number;
	sessionId: string | undefined;
	protocolVersion: string | undefined;
	/**
	The id of the `initialize` whose answer is awaited.
	*/
	initializeId: RequestId | undefined;
	/**
	Whether the held messages (`held`: held while `initialize` is answered and the GET stream opens) wait for the GET stream, not for the initialize answer.
	*/
	awaitingGetStream: boolean;
	/**
	The modern requests sent and not answered yet, with their method.
	*/
	readonly modernRequests: Map<RequestId, string>;
	/**
	The `x-mcp-header` declarations of the tools the modern `tools/list` results named, by tool name (tools without any are not kept); at most `maxToolHeaders`, the oldest forgotten first. Shared by the sessions of one remote: a client that reconnects does not list the tools again.
	*/
	readonly toolHeaders: ToolHeaders;
};

/**
The `x-mcp-header` declarations of a remote's tools, by tool name.
*/
export type ToolHeaders = Map<string, readonly HeaderDeclaration[]>;

/**
How many tools' `x-mcp-header` declarations the session keeps.
*/
export const maxToolHeaders = 4096;

/**
What the session is told:
- `send`: the client sends a message;
- `receive`: a message arrived from the server (or an error answer made up for one of the client's requests);
- `answer-remote`: a message for the server that bypasses the session's order (the error answer to a request of the server's that could not be read);
- `session-assigned`: the server accepted `initialize`, assigning this session id (or none);
- `get-stream-settled`, `get-stream-timeout`: the GET stream opened or will not, or did not open in time: the held messages may go;
- `refused`: the server certainly did not process `message` (if any), and the session or connection is gone;
- `broken`: a failure that may have reached the server, fatal unless a refusal is under way; `failed`: fatal;
- `post-started`, `post-finished`: a POST opened, and its answer is handled;
- `refusal-grace-elapsed`: a refusal waited long enough for the other POSTs;
- `outgoing-complete`: the client has nothing more to send; `drained` follows once the last POSTs are done or after the close timeout;
- `unsubscribed`: the transport is torn down.
*/
export type SessionEvent
	= | {type: 'send'; message: Message}
		| {type: 'receive'; message: Message}
		| {type: 'answer-remote'; message: Message}
		| {type: 'session-assigned'; sessionId: string | undefined}
		| {type: 'get-stream-settled'}
		| {type: 'get-stream-timeout'}
		| LifecycleEvent;

/**
What the session's glue does: the effects both HTTP transports share (http/client-state.ts), and
- `open-get-stream`: open the standalone GET stream (replacing one already open);
- `delete-session`: send `DELETE` for a session, without waiting;
- `drain`: wait for the answer lane and the POSTs of notifications and answers (at most the close timeout), then feed `drained`;
- `close`: delete this session first (when given), then end every exchange and complete.
*/
export type SessionEffect
	= | ClientEffect<SessionTimer>
		| {type: 'open-get-stream'}
		| {type: 'delete-session'; sessionId: string; protocolVersion: string | undefined}
		| {type: 'drain'}
		| {type: 'close'; deleteSession: {sessionId: string; protocolVersion: string | undefined} | undefined};

export type SessionTimer = 'refusal-grace' | 'get-stream-wait';

/**
Events without data, shared (the hot path allocates none for them).
*/
export const sessionEvents = {
	...lifecycleEvents,
	getStreamSettled: {type: 'get-stream-settled'},
	getStreamTimeout: {type: 'get-stream-timeout'},
} as const satisfies Record<string, SessionEvent>;

/**
The event each timer feeds back when it fires.
*/
export const timerEvents: Readonly<Record<SessionTimer, SessionEvent>> = {
	'refusal-grace': sessionEvents.refusalGraceElapsed,
	'get-stream-wait': sessionEvents.getStreamTimeout,
};

export function createSessionState(options: {getStreamTimeout: number; era?: Era; toolHeaders?: ToolHeaders}): SessionState {
	return {
		...createClientState(),
		era: options.era ?? 'session',
		getStreamTimeout: options.getStreamTimeout,
		sessionId: undefined,
		protocolVersion: undefined,
		initializeId: undefined,
		awaitingGetStream: false,
		modernRequests: new Map(),
		retryableCalls: new Map(),
		refreshes: new Map(),
		refreshCount: 0,
		toolHeaders: options.toolHeaders ?? new Map<string, readonly HeaderDeclaration[]>(),
	};
}

/**
The headers of one request to the server: the transport's fixed ones, `extra` (accept, content type, `Last-Event-ID`), and what the era of `message` (the message POSTed, if any) asks for. A 2025 message carries the session's id and the negotiated protocol version; a modern one `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` built from it, and no session id, after the `Mcp-*` headers it carries to forward (an intermediary's duty, see `forwardedHeadersOf`).
*/
export function requestHeaders(state: SessionState, fixed: Readonly<Record<string, string>>, extra: Record<string, string>, message?: Message): Record<string, string> {
	const version = message === undefined ? undefined : modernVersionOf(message);
	if (version !== undefined) {
		// The Mcp-* headers server mode took in with the message come first: the transport's own and those rebuilt from the body replace them.
		return {
			...forwardedHeadersOf(message!), ...fixed, ...extra, ...modernHeaders(message!, version, state.toolHeaders),
		};
	}

	const result = {...fixed, ...extra};
	if (state.sessionId !== undefined) {
		result['mcp-session-id'] = state.sessionId;
	}

	if (state.protocolVersion !== undefined) {
		result['mcp-protocol-version'] = state.protocolVersion;
	}

	return result;
}

/**
Why the server refused a message for the session `sessionId`: it no longer knows it.
*/
export function expired(sessionId: string): RefusalEnd {
	return {kind: 'expired', text: `The remote server no longer knows session ${sessionId} (HTTP 404)`};
}

export function step(state: SessionState, event: SessionEvent): SessionEffect[] {
	const effects: SessionEffect[] = [];
	switch (event.type) {
		case 'send': {
			send(state, event.message, effects);
			break;
		}

		case 'receive': {
			receive(state, event.message, effects);
			break;
		}

		case 'answer-remote': {
			effects.push({type: 'post', message: event.message, lane: 'answer'});
			break;
		}

		case 'session-assigned': {
			state.sessionId = event.sessionId;
			break;
		}

		case 'get-stream-settled':
		case 'get-stream-timeout': {
			getStreamSettled(state, event.type === 'get-stream-timeout', effects);
			break;
		}

		case 'refused':
		case 'broken':
		case 'failed':
		case 'post-started':
		case 'post-finished':
		case 'refusal-grace-elapsed':
		case 'outgoing-complete':
		case 'drained':
		case 'unsubscribed': {
			lifecycle(state, event, effects, lifecycleHooks);
			break;
		}
	}

	return effects;
}

/**
What Streamable HTTP adds to the shared lifecycle: the session deleted on the way out, once.
*/
const lifecycleHooks: LifecycleHooks<SessionState, SessionEffect> = {
	close: state => ({type: 'close', deleteSession: takeSession(state)}),
	unsubscribed(state, effects) {
		const session = takeSession(state);
		if (session) {
			effects.push({type: 'delete-session', ...session});
		}
	},
};

/**
The session to delete on the way out, once: none when it is gone already.
*/
function takeSession(state: SessionState): {sessionId: string; protocolVersion: string | undefined} | undefined {
	if (state.sessionId === undefined || state.sessionGone) {
		return undefined;
	}

	state.sessionGone = true;
	return {sessionId: state.sessionId, protocolVersion: state.protocolVersion};
}

function send(state: SessionState, message: Message, effects: SessionEffect[]): void {
	if (state.ended) {
		return;
	}

	if (state.refusal) {
		// The transport is about to end: whatever comes now is never sent, so it can be sent again in the next session.
		keepUnsent(state.refusal, message, effects);
		return;
	}

	if (modernVersionOf(message) !== undefined) {
		sendModern(state, message, effects);
		return;
	}

	if (state.modernRequests.size > 0 && cancelsModern(state, message, effects)) {
		return;
	}

	if (state.held) {
		state.held.push(message);
		return;
	}

	if (isRequest(message) && message.method === 'initialize') {
		if (state.sessionId !== undefined) {
			// The client starts over: a new session.
			effects.push({type: 'delete-session', sessionId: state.sessionId, protocolVersion: state.protocolVersion});
			state.sessionId = undefined;
			state.protocolVersion = undefined;
		}

		state.initializeId = message.id;
		state.held = [];
	}

	postOutgoing(message, effects);
}

function receive(state: SessionState, message: Message, effects: SessionEffect[]): void {
	if (state.ended) {
		return;
	}

	if (state.modernRequests.size > 0 && isResponse(message) && message.id !== undefined && message.id !== null && receiveModern(state, message as Message & {id: RequestId}, effects)) {
		return;
	}

	if (state.initializeId === undefined || !isResponse(message) || message.id !== state.initializeId) {
		effects.push({type: 'deliver', message});
		return;
	}

	state.initializeId = undefined;
	const result = 'result' in message ? message.result as {protocolVersion?: unknown} : undefined;
	if (typeof result?.protocolVersion === 'string') {
		state.protocolVersion = result.protocolVersion;
	}

	effects.push({type: 'deliver', message});
	if (result) {
		// The client's next messages (`notifications/initialized` first) wait for the GET stream, so that a request the server sends right after initialization is not lost.
		state.awaitingGetStream = true;
		effects.push({type: 'open-get-stream'}, {type: 'start-timer', timer: 'get-stream-wait', delay: state.getStreamTimeout});
	} else {
		release(state, effects);
	}
}

/**
An answer to a modern request, if it is one: delivered (a `tools/list` screened), or, for a call refused for its headers, kept back while the tools are listed again (`header-retry.ts`); the answer to that listing is not delivered, it sends the call once more. Returns whether the answer was taken.
*/
function receiveModern(state: SessionState, message: Message & {id: RequestId}, effects: SessionEffect[]): boolean {
	const call = refreshed(state, message);
	if (call !== undefined) {
		state.modernRequests.delete(message.id);
		screened(state, message, effects);
		// Unless it was cancelled meanwhile.
		if (state.modernRequests.has(call.id)) {
			effects.push({type: 'log', level: 'debug', text: `Sending \`tools/call\` (${call.id}) again with the tools' declarations listed anew`});
			postOutgoing(call, effects);
		}

		return true;
	}

	const method = state.modernRequests.get(message.id);
	if (method === undefined) {
		return false;
	}

	const refresh = method === 'tools/call' ? refreshFor(state, message) : undefined;
	if (refresh !== undefined) {
		effects.push({type: 'log', level: 'info', text: `The remote server refused \`tools/call\` (${message.id}) for its headers (-32020); listing its tools again, then sending it once more`});
		state.modernRequests.set(refresh.id, refresh.method);
		postOutgoing(refresh, effects);
		return true;
	}

	state.modernRequests.delete(message.id);
	effects.push({type: 'deliver', message: method === 'tools/list' ? screened(state, message, effects) : message});
	return true;
}

function getStreamSettled(state: SessionState, timedOut: boolean, effects: SessionEffect[]): void {
	if (!state.awaitingGetStream) {
		return;
	}

	state.awaitingGetStream = false;
	if (timedOut) {
		effects.push({type: 'log', level: 'warning', text: `The GET stream did not open within ${state.getStreamTimeout} ms; carrying on without waiting for it`});
	} else {
		effects.push({type: 'cancel-timer', timer: 'get-stream-wait'});
	}

	release(state, effects);
}

/**
Send the held messages, in order.
*/
function release(state: SessionState, effects: SessionEffect[]): void {
	const messages = state.held;
	state.held = undefined;
	for (const message of messages ?? []) {
		if (state.ended) {
			return;
		}

		send(state, message, effects);
	}
}

/**
A modern message: no session to wait for, POSTed at once. A request is remembered until answered; a cancellation of one only ends its POST (closing the response stream is the cancellation in 2026-07-28: no `notifications/cancelled` is sent).
*/
function sendModern(state: SessionState, message: Message, effects: SessionEffect[]): void {
	if (isRequest(message)) {
		state.modernRequests.set(message.id, message.method);
		keepForRetry(state, message);
	} else if (cancelsModern(state, message, effects)) {
		return;
	}

	postOutgoing(message, effects);
}

/**
Whether `message` cancels a modern request in flight: then its POST is ended (the request's answer will never come: it is forgotten) and the notification goes no further.
*/
function cancelsModern(state: SessionState, message: Message, effects: SessionEffect[]): boolean {
	const cancelled = isNotification(message) ? cancelledRequestId(message) : undefined;
	if (cancelled === undefined || !state.modernRequests.delete(cancelled)) {
		return false;
	}

	forgetRetry(state, cancelled);

	effects.push({type: 'abort-request', id: cancelled});
	return true;
}

/**
A modern `tools/list` answer as the client may see it: the tools whose `x-mcp-header` annotations are invalid left out (a warning names each), the declarations of the others kept for their calls.
*/
function screened(state: SessionState, message: Message, effects: SessionEffect[]): Message {
	if (!('result' in message)) {
		return message;
	}

	const {result, dropped} = learnDeclarations(state.toolHeaders, message.result, maxToolHeaders);
	for (const {name, reason} of dropped) {
		effects.push({type: 'log', level: 'warning', text: `Left tool '${name}' out of tools/list: invalid x-mcp-header declaration — ${reason}`});
	}

	return result === message.result ? message : {...message, result: result as Record<string, unknown>};
}
