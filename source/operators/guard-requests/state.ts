/*
The request accounting of `guardRequests` as data: the client's requests waiting for the peer's answer (with their deadlines and progress tokens), the ids retired after a timeout or a cancellation, and the peer's requests waiting for the client's answer. Plain data, changed in place by the step; the events the glue feeds it and the effects it returns. Tested with the step (test/operators/guard-requests/step.ts).
*/
import type {Message, RequestId} from '../../types.js';
import {IdMap} from '../../wire/id-map.js';

/**
How many retired ids (timed out, cancelled) are remembered, so their late answers are dropped quietly.
*/
export const maxRemembered = 10_000;

/**
How many of the peer's requests may wait for the client's answer; beyond that, the oldest is forgotten (its answer, if it ever comes, is dropped).
*/
export const maxPeerRequests = 100_000;

export type GuardConfig = {
	/**
	Milliseconds a request may wait for its answer; `0` waits forever.
	*/
	timeout: number;
	resetTimeoutOnProgress: boolean;
	/**
	Names the peer in messages.
	*/
	peerName: string;
};

export type Pending = {
	method: string;
	deadline: number;
	token: string | number | undefined;
};

export type GuardState = {
	readonly config: GuardConfig;
	/**
	The client's requests waiting for the peer's answer.
	*/
	pending: IdMap<RequestId, Pending>;
	/**
	The request each progress token belongs to.
	*/
	tokens: IdMap<string | number, RequestId>;
	/**
	The client's requests that timed out or that it cancelled: the peer's late answer is dropped without a warning.
	*/
	expired: Set<RequestId>;
	/**
	The peer's requests waiting for the client's answer.
	*/
	peerRequests: Set<RequestId>;
	/**
	The peer's requests it cancelled since: the client's late answer still goes through.
	*/
	peerCancelled: Set<RequestId>;
	warnedFull: boolean;
	/**
	A sweep for timed-out requests is scheduled.
	*/
	sweeping: boolean;
};

export function createGuardState(config: GuardConfig): GuardState {
	return {
		config,
		pending: new IdMap(),
		tokens: new IdMap(),
		expired: new Set(),
		peerRequests: new Set(),
		peerCancelled: new Set(),
		warnedFull: false,
		sweeping: false,
	};
}

/**
- `client`: a message from the client to the peer; `peer`: one from the peer to the client (`now` matters only with a timeout);
- `sweep`: the sweep timer fired;
- `peer-end`: the peer's messages ended: it closed (`failure` undefined) or failed.
*/
export type GuardEvent
	= | {type: 'client'; message: Message; now: number}
		| {type: 'peer'; message: Message; now: number}
		| {type: 'sweep'; now: number}
		| {type: 'peer-end'; failure: {code: number; description: string} | undefined};

/**
- `forward`: the event's message goes on (without it, the message is dropped);
- `answer` the client's request `id` with a JSON-RPC error; `send` a message to the peer;
- `log` a warning; `start-timer`: sweep after `delay` milliseconds.
*/
export type GuardEffect
	= | {type: 'forward'}
		| {type: 'answer'; id: RequestId; code: number; text: string}
		| {type: 'send'; message: Message}
		| {type: 'log'; level: 'warning'; text: string}
		| {type: 'start-timer'; delay: number};
