/*
The legacy SSE client's session as a pure step: the endpoint to POST to (from the server's `endpoint` event), the messages held until it arrives, and the wind-down after a refusal (http/client-state.ts). `step(state, event)` changes the state in place (it runs for every message) and returns what the glue must do as effects; it performs no I/O, sets no timer and reads no clock.
*/
import {ProtocolError} from '../../errors.js';
import type {Message} from '../../types.js';
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
import {resolveEndpoint} from './endpoint.js';

export type SseState = ClientState & {
	/**
	The SSE URL: endpoints resolve against it and stay within its origin.
	*/
	readonly url: URL;
	/**
	How long the server has to send its `endpoint` event once the stream is open, in milliseconds.
	*/
	readonly endpointTimeout: number;
	endpoint: URL | undefined;
	/**
	Messages held until the endpoint is known.
	*/
	held: Message[];
};

/**
What the session is told:
- `send`, `receive`: a message from the client, from the server;
- `stream-opened`: the event stream is open, the endpoint event is awaited; `endpoint`: it came; `endpoint-timeout`: it did not in time;
- `stream-ended`: the server ended the event stream;
- `refused`, `broken`, `failed`: as for Streamable HTTP (http/client-state.ts);
- `post-started`, `post-answered`: a POST opened, and has its answer status (or failed without one);
- `refusal-grace-elapsed`, `outgoing-complete`, `drained`, `unsubscribed`: the wind-down and the end.
*/
export type SseEvent
	= | {type: 'send'; message: Message}
		| {type: 'receive'; message: Message}
		| {type: 'stream-opened'}
		| {type: 'endpoint'; data: string}
		| {type: 'endpoint-timeout'}
		| {type: 'stream-ended'}
		| {type: 'refused'; end: RefusalEnd; message?: Message}
		| {type: 'broken'; error: Error}
		| {type: 'failed'; error: Error}
		| {type: 'post-started'}
		| {type: 'post-answered'}
		| {type: 'refusal-grace-elapsed'}
		| {type: 'outgoing-complete'}
		| {type: 'drained'}
		| {type: 'unsubscribed'};

/**
What the session's glue does: the effects both HTTP transports share (http/client-state.ts), and
- `drain`: wait for the answer lane and the POSTs of notifications and answers (at most the close timeout), then feed `drained`;
- `close`: end every exchange, then complete; `complete`: complete (the server ended the session).
*/
export type SseEffect
	= | ClientEffect<SseTimer>
		| {type: 'drain'}
		| {type: 'close'}
		| {type: 'complete'};

export type SseTimer = 'refusal-grace' | 'endpoint-wait';

/**
Events without data, shared (the hot path allocates none for them).
*/
export const sseEvents = {
	streamOpened: {type: 'stream-opened'},
	endpointTimeout: {type: 'endpoint-timeout'},
	streamEnded: {type: 'stream-ended'},
	postStarted: {type: 'post-started'},
	postAnswered: {type: 'post-answered'},
	refusalGraceElapsed: {type: 'refusal-grace-elapsed'},
	outgoingComplete: {type: 'outgoing-complete'},
	drained: {type: 'drained'},
	unsubscribed: {type: 'unsubscribed'},
} as const satisfies Record<string, SseEvent>;

/**
The event each timer feeds back when it fires.
*/
export const timerEvents: Readonly<Record<SseTimer, SseEvent>> = {
	'refusal-grace': sseEvents.refusalGraceElapsed,
	'endpoint-wait': sseEvents.endpointTimeout,
};

export function createSseState(options: {url: URL; endpointTimeout: number}): SseState {
	return {
		...createClientState(), url: options.url, endpointTimeout: options.endpointTimeout, endpoint: undefined, held: [],
	};
}

export function step(state: SseState, event: SseEvent): SseEffect[] {
	const effects: SseEffect[] = [];
	switch (event.type) {
		case 'send': {
			send(state, event.message, effects);
			break;
		}

		case 'receive': {
			if (!state.ended) {
				effects.push({type: 'deliver', message: event.message});
			}

			break;
		}

		case 'stream-opened': {
			effects.push({type: 'start-timer', timer: 'endpoint-wait', delay: state.endpointTimeout});
			break;
		}

		case 'endpoint': {
			onEndpoint(state, event.data, effects);
			break;
		}

		case 'endpoint-timeout': {
			if (!state.endpoint) {
				fail(state, new ProtocolError(`The remote server sent no endpoint event within ${state.endpointTimeout} ms: is ${state.url.href} a legacy SSE endpoint?`), effects);
			}

			break;
		}

		case 'stream-ended': {
			// A refusal under way ends the transport with the messages it knows were not processed.
			if (!state.ended && !state.refusal) {
				state.ended = true;
				effects.push({type: 'log', level: 'debug', text: 'The remote server ended the SSE stream'}, {type: 'complete'});
			}

			break;
		}

		case 'refused':
		case 'broken':
		case 'failed':
		case 'post-started':
		case 'post-answered':
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

type LifecycleEvent = Exclude<SseEvent, {type: 'send' | 'receive' | 'stream-opened' | 'endpoint' | 'endpoint-timeout' | 'stream-ended'}>;

/**
The events that wind down and end the transport.
*/
function lifecycle(state: SseState, event: LifecycleEvent, effects: SseEffect[]): void {
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

		case 'post-answered': {
			state.postsOpen--;
			settle(state, effects);
			break;
		}

		case 'refusal-grace-elapsed': {
			finishRefusal(state, effects);
			break;
		}

		case 'outgoing-complete': {
			effects.push({type: 'drain'});
			break;
		}

		case 'drained': {
			if (!state.ended) {
				state.ended = true;
				effects.push({type: 'close'});
			}

			break;
		}

		case 'unsubscribed': {
			state.ended = true;
			break;
		}
	}
}

function send(state: SseState, message: Message, effects: SseEffect[]): void {
	if (state.ended) {
		return;
	}

	if (state.refusal) {
		// The transport is about to end: whatever comes now is never sent, so it can be sent again in the next session.
		keepUnsent(state.refusal, message, effects);
		return;
	}

	if (!state.endpoint) {
		state.held.push(message);
		return;
	}

	postOutgoing(message, effects);
}

function onEndpoint(state: SseState, data: string, effects: SseEffect[]): void {
	if (state.ended) {
		return;
	}

	const target = resolveEndpoint(data, state.url);
	if (target instanceof Error) {
		fail(state, target, effects);
		return;
	}

	const first = state.endpoint === undefined;
	state.endpoint = target;
	if (first) {
		effects.push({type: 'cancel-timer', timer: 'endpoint-wait'}, {type: 'log', level: 'debug', text: `Legacy SSE session: posting to ${target.pathname}`});
		const messages = state.held;
		state.held = [];
		for (const message of messages) {
			send(state, message, effects);
		}
	}
}
