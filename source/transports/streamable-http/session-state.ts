/*
The Streamable HTTP client's session as a pure step: the session id and negotiated protocol version, the `initialize` under way, the messages held while it is answered and the GET stream opens, and the wind-down after a refusal (http/client-state.ts). `step(state, event)` changes the state in place (it runs for every message; copying would allocate on the hot path) and returns what the glue must do as effects; it performs no I/O, sets no timer and reads no clock.

The era decides the rest: a 2025 session (`'session'`: `initialize`, `Mcp-Session-Id`, a GET stream, resumption) is the only one today. A modern upstream (MCP 2026-07-28, issue 18) has no session, no GET stream and no resumption, and its POSTs carry headers built from each message: that is a new `Era`, a branch in `receive` (no GET stream to open) and in `requestHeaders`.
*/
import {isRequest, isResponse} from '../../wire/message.js';
import type {Message, RequestId} from '../../types.js';
import {
	broken,
	createClientState,
	fail,
	finishRefusal,
	keepUnsent,
	postOutgoing,
	refuse,
	settle,
	type ClientEffect,
	type ClientState,
	type RefusalEnd,
} from '../../http/client-state.js';

/**
The protocol era of the upstream. `'session'`: revisions 2025-03-26 to 2025-11-25.
*/
export type Era = 'session';

export type SessionState = ClientState & {
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
};

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
		| {type: 'refused'; end: RefusalEnd; message?: Message}
		| {type: 'broken'; error: Error}
		| {type: 'failed'; error: Error}
		| {type: 'post-started'}
		| {type: 'post-finished'}
		| {type: 'refusal-grace-elapsed'}
		| {type: 'outgoing-complete'}
		| {type: 'drained'}
		| {type: 'unsubscribed'};

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
	postStarted: {type: 'post-started'},
	postFinished: {type: 'post-finished'},
	getStreamSettled: {type: 'get-stream-settled'},
	getStreamTimeout: {type: 'get-stream-timeout'},
	refusalGraceElapsed: {type: 'refusal-grace-elapsed'},
	outgoingComplete: {type: 'outgoing-complete'},
	drained: {type: 'drained'},
	unsubscribed: {type: 'unsubscribed'},
} as const satisfies Record<string, SessionEvent>;

/**
The event each timer feeds back when it fires.
*/
export const timerEvents: Readonly<Record<SessionTimer, SessionEvent>> = {
	'refusal-grace': sessionEvents.refusalGraceElapsed,
	'get-stream-wait': sessionEvents.getStreamTimeout,
};

export function createSessionState(options: {getStreamTimeout: number; era?: Era}): SessionState {
	return {
		...createClientState(),
		era: options.era ?? 'session',
		getStreamTimeout: options.getStreamTimeout,
		sessionId: undefined,
		protocolVersion: undefined,
		initializeId: undefined,
		awaitingGetStream: false,
	};
}

/**
The headers of one request to the server: the transport's fixed ones, `extra` (accept, content type, `Last-Event-ID`), and what the era asks of every request. A 2025 session sends its id and the negotiated protocol version; a modern upstream will send `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` built from the message posted.
*/
export function requestHeaders(state: SessionState, fixed: Readonly<Record<string, string>>, extra: Record<string, string>): Record<string, string> {
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
			lifecycle(state, event, effects);
			break;
		}
	}

	return effects;
}

type LifecycleEvent = Exclude<SessionEvent, {type: 'send' | 'receive' | 'answer-remote' | 'session-assigned' | 'get-stream-settled' | 'get-stream-timeout'}>;

/**
The events that wind down and end the transport.
*/
function lifecycle(state: SessionState, event: LifecycleEvent, effects: SessionEffect[]): void {
	switch (event.type) {
		case 'refused': {
			refuse(state, event.end, event.message, effects);
			break;
		}

		case 'broken': {
			broken(state, event.error, effects);
			break;
		}

		case 'failed': {
			fail(state, event.error, effects);
			break;
		}

		case 'post-started': {
			state.postsOpen++;
			break;
		}

		case 'post-finished': {
			state.postsOpen--;
			// A refusal waits for this POST's answer to be delivered before the transport ends.
			settle(state, effects);
			break;
		}

		case 'refusal-grace-elapsed': {
			finishRefusal(state, effects);
			break;
		}

		case 'outgoing-complete': {
			// Let the last notifications and responses go out, briefly.
			effects.push({type: 'drain'});
			break;
		}

		case 'drained': {
			if (!state.ended) {
				state.ended = true;
				effects.push({type: 'close', deleteSession: takeSession(state)});
			}

			break;
		}

		case 'unsubscribed': {
			state.ended = true;
			const session = takeSession(state);
			if (session) {
				effects.push({type: 'delete-session', ...session});
			}

			break;
		}
	}
}

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
