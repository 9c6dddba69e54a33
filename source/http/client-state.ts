/*
What both HTTP client transports (Streamable HTTP and legacy SSE) keep per connection and decide alike, as plain data and pure functions: whether the transport has ended, how many POSTs are open, and the wind-down after the server certainly refused a message (its session gone, or no connection), with the list of messages it never processed. Nothing here performs I/O or reads a clock: decisions come back as effects for the transport's glue. The state is changed in place: it is touched for every message.
*/
import {ConnectError, SessionExpiredError, UnsupportedTransportError} from '../errors.js';
import {isNotification, isRequest} from '../wire/message.js';
import type {Message, RequestId} from '../types.js';

/**
How a client transport whose server certainly refused a message waits for its other POSTs before it ends, in milliseconds.
*/
export const refusalGrace = 5000;

/**
Why the server certainly did not process a message: the connection never opened, or it no longer knows the session (HTTP 404).
*/
export type RefusalEnd
	= | {kind: 'connect'; text: string; cause: unknown}
		| {kind: 'expired'; text: string};

/**
The wind-down under way: the transport ends with the error `end` describes once no other POST is open, or after `refusalGrace`, listing `unsent`.
*/
export type Refusal = {
	readonly end: RefusalEnd;
	unsent: Message[];
};

export type ClientState = {
	ended: boolean;
	/**
	How many POSTs are open, by the transport's own measure (until their answer is handled, or until their answer status arrives): a refusal waits for them, so that the answers still arrive and those refused too are listed.
	*/
	postsOpen: number;
	refusal: Refusal | undefined;
	/**
	Messages held back, not sent yet: when a refusal ends the transport, they are unsent too.
	*/
	held: Message[] | undefined;
	/**
	Whether the server's session is certainly gone (forgotten, unreachable, never made, or deleted already): nothing to clean up on the way out.
	*/
	sessionGone: boolean;
};

/**
What a client transport's glue does, for both transports; `Timer` names the transport's timers.
- `deliver`: hand a message to the client;
- `post`: POST a message, a request on its own, a notification or an answer in the answer lane (a few at a time);
- `abort-request`: end the HTTP exchange of a request still open (it was cancelled);
- `start-timer`, `cancel-timer`: a timer feeds its event back when it fires;
- `log`: a line for the logger;
- `error`: end the transport with this error;
- `drain`: wait for the answer lane and the POSTs closing waits for (at most the close timeout), then feed `drained`.
*/
export type ClientEffect<Timer extends string = 'refusal-grace'>
	= | {type: 'deliver'; message: Message}
		| {type: 'post'; message: Message; lane: 'request' | 'answer'}
		| {type: 'abort-request'; id: RequestId}
		| {type: 'start-timer'; timer: Timer; delay: number}
		| {type: 'cancel-timer'; timer: Timer}
		| {type: 'log'; level: 'debug' | 'info' | 'warning' | 'error'; text: string}
		| {type: 'error'; error: Error}
		| {type: 'drain'};

const clientEffectTypes = new Set<string>(['deliver', 'post', 'abort-request', 'start-timer', 'cancel-timer', 'log', 'error', 'drain']);

/**
Whether an effect is one both transports share (the client runtime performs it), not one of the transport's own.
*/
export function isClientEffect<Timer extends string>(effect: {type: string}): effect is ClientEffect<Timer> {
	return clientEffectTypes.has(effect.type);
}

/**
Where the shared functions put their effects: a transport's own effect list, which also holds effects of its own.
*/
export type ClientEffects = {push(...effects: ClientEffect[]): unknown};

export function createClientState(): ClientState {
	return {
		ended: false, postsOpen: 0, refusal: undefined, held: undefined, sessionGone: false,
	};
}

/**
The request a `notifications/cancelled` cancels, if it is one.
*/
export function cancelledRequestId(message: Message): RequestId | undefined {
	return isNotification(message) && message.method === 'notifications/cancelled'
		? (message.params as {requestId?: RequestId} | undefined)?.requestId
		: undefined;
}

/**
POST a message the transport may send now: requests on their own, the rest in the answer lane; a cancellation also ends its request's exchange (the server was told; the exchange is of no use any more).
*/
export function postOutgoing(message: Message, effects: ClientEffects): void {
	effects.push({type: 'post', message, lane: isRequest(message) ? 'request' : 'answer'});
	const cancelled = cancelledRequestId(message);
	if (cancelled !== undefined) {
		effects.push({type: 'abort-request', id: cancelled});
	}
}

/**
A message sent while the transport winds down: it is never POSTed, so it is unsent and can be sent again in the next session. A cancellation instead takes its request out of the unsent ones and ends the request's exchange if one is open.
*/
export function keepUnsent(refusal: Refusal, message: Message, effects: ClientEffects): void {
	if (isNotification(message) && message.method === 'notifications/cancelled') {
		const cancelled = cancelledRequestId(message);
		if (cancelled !== undefined) {
			effects.push({type: 'abort-request', id: cancelled});
		}

		refusal.unsent = refusal.unsent.filter(entry => !(isRequest(entry) && entry.id === cancelled));
		return;
	}

	refusal.unsent.push(message);
}

/**
End the transport with `error`, once.
*/
export function fail(state: ClientState, error: Error, effects: ClientEffects): void {
	if (state.ended) {
		return;
	}

	if (error instanceof SessionExpiredError || error instanceof ConnectError || error instanceof UnsupportedTransportError) {
		// The server forgot the session, cannot be reached, or does not speak the transport: no session to end.
		state.sessionGone = true;
	}

	state.ended = true;
	effects.push({type: 'error', error});
}

/**
A failure that may have reached the server (the connection broke): it ends the transport, unless a refusal is under way, which ends it with the messages it knows were not processed.
*/
export function broken(state: ClientState, error: Error, effects: ClientEffects): void {
	if (!state.refusal) {
		fail(state, error, effects);
	}
}

/**
The server certainly did not process `message` (if any), and the session or connection is gone: the wind-down starts (or goes on), and ends the transport at once when no POST is open.
*/
export function refuse(state: ClientState, end: RefusalEnd, message: Message | undefined, effects: ClientEffects): void {
	if (state.ended) {
		return;
	}

	if (!state.refusal) {
		state.refusal = {end, unsent: []};
		effects.push({type: 'start-timer', timer: 'refusal-grace', delay: refusalGrace});
	}

	if (message) {
		state.refusal.unsent.push(message);
	}

	settle(state, effects);
}

/**
A refusal ends the transport once no other POST is open.
*/
export function settle(state: ClientState, effects: ClientEffects): void {
	if (state.refusal && state.postsOpen === 0) {
		finishRefusal(state, effects);
	}
}

/**
End the transport for the refusal under way (its grace is over, or no POST is open), with every message the server certainly never processed: those refused, those sent meanwhile, and those held back.
*/
export function finishRefusal(state: ClientState, effects: ClientEffects): void {
	const {refusal} = state;
	if (!refusal || state.ended) {
		return;
	}

	effects.push({type: 'cancel-timer', timer: 'refusal-grace'});
	fail(state, refusalError(refusal.end, [...refusal.unsent, ...state.held ?? []]), effects);
}

function refusalError(end: RefusalEnd, unsent: Message[]): Error {
	return end.kind === 'connect'
		? new ConnectError(end.text, unsent, {cause: end.cause})
		: new SessionExpiredError(end.text, unsent);
}

/**
The events that wind down and end a client transport, alike for both:
- `refused`, `broken`, `failed`: how the server or the connection failed (see `refuse`, `broken`, `fail`);
- `post-started`, `post-finished`: a POST opened and closed (a refusal waits for those open);
- `refusal-grace-elapsed`: the refusal's wait is over;
- `outgoing-complete`: the client's messages ended: drain, then `drained` closes;
- `unsubscribed`: the subscriber left: nothing more is done.
*/
export type LifecycleEvent
	= | {type: 'refused'; end: RefusalEnd; message?: Message}
		| {type: 'broken'; error: Error}
		| {type: 'failed'; error: Error}
		| {type: 'post-started'}
		| {type: 'post-finished'}
		| {type: 'refusal-grace-elapsed'}
		| {type: 'outgoing-complete'}
		| {type: 'drained'}
		| {type: 'unsubscribed'};

export type LifecycleEventType = LifecycleEvent['type'];

/**
The lifecycle events without data, shared (the hot path allocates none for them).
*/
export const lifecycleEvents = {
	postStarted: {type: 'post-started'},
	postFinished: {type: 'post-finished'},
	refusalGraceElapsed: {type: 'refusal-grace-elapsed'},
	outgoingComplete: {type: 'outgoing-complete'},
	drained: {type: 'drained'},
	unsubscribed: {type: 'unsubscribed'},
} as const satisfies Record<string, LifecycleEvent>;

/**
What a transport adds to the shared lifecycle: the effect that closes it once drained, and what it does when the subscriber leaves (Streamable HTTP deletes the session in both).
*/
export type LifecycleHooks<State extends ClientState, Effect> = {
	close(state: State): Effect;
	unsubscribed?(state: State, effects: {push(effect: Effect): unknown}): void;
};

/**
Step a lifecycle event: the wind-down and the end, the same in both transports; `drain` lets the last messages go out before `close`.
*/
export function lifecycle<State extends ClientState, Effect>(
	state: State,
	event: LifecycleEvent,
	effects: ClientEffects & {push(...effects: Effect[]): unknown},
	hooks: LifecycleHooks<State, Effect>,
): void {
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
				effects.push(hooks.close(state));
			}

			break;
		}

		case 'unsubscribed': {
			state.ended = true;
			hooks.unsubscribed?.(state, effects);
			break;
		}
	}
}
