/*
The reconnect machine's data: its state (plain data, changed in place by the step), the events the glue feeds it and the effects it asks the glue to perform. No subscribers, timers, clock or logger here: time comes in events, and everything the world must see or do is an effect.
*/
import type {
	Message, Request, RequestId,
} from '../../types.js';
import {createHandshake, type Handshake} from './handshake.js';

/**
- `open`: a connection is up (or being made without a handshake): client messages go straight to it.
- `connecting`: a connection is replaying the handshake; client messages are held.
- `waiting`: no connection; the next attempt is due at `due` (never, while a sign-in waits for a request).
- `closing`: the operator completed or failed; nothing more happens.
*/
export type Phase = 'open' | 'connecting' | 'waiting' | 'closing';

/**
One subscription to the inner transport, numbered by attempt.
*/
export type Connection = {
	id: number;
	/**
	The remote has answered on this connection.
	*/
	up: boolean;
	/**
	The id of our replayed opening request (`initialize`), until its answer.
	*/
	handshakeId: RequestId | undefined;
	/**
	Client requests sent on this connection and not answered yet, by id.
	*/
	inFlight: Map<RequestId, Request>;
	/**
	Requests of the remote waiting for the client's answer, by the id the client knows them by.
	*/
	remoteRequests: Set<RequestId>;
	/**
	On every connection after the first, the remote's requests reach the client under ids of the proxy's own (see `remoteRequestId`), since a new session numbers its requests afresh (an SDK server starts at 0 again) and the client's late answer to a lost session's request must not answer the new one: the remote's id, by the id the client knows. `undefined` on the first connection, whose ids pass unchanged.
	*/
	remoteIds: Map<RequestId, RequestId> | undefined;
	/**
	The failures in a row before this connection: a session forgotten before it served anything adds to them (the remote is up but of no use).
	*/
	priorFailures: number;
	/**
	Requests we sent on the client's behalf (restored subscriptions, log level): their answers are not the client's.
	*/
	ownRequests: Set<RequestId>;
	/**
	This connection was made at once, without the backoff, because the remote forgot the last session.
	*/
	quick: boolean;
	/**
	The remote has answered a client request on this connection: its session was of use.
	*/
	answered: boolean;
};

export type Queued = {
	message: Message;
	/**
	The number of attempts started when the message arrived: an attempt with a higher number began after it.
	*/
	mark: number;
};

export type ReconnectConfig = {
	initialDelay: number;
	maxQueuedMessages: number;
	handshakeTimeout: number;
};

export type ReconnectState = {
	readonly config: ReconnectConfig;
	phase: Phase;
	connection: Connection | undefined;
	/**
	Client messages held while no connection is open, oldest first (at most `maxQueuedMessages`).
	*/
	queue: Queued[];
	/**
	Connections attempted so far.
	*/
	attempts: number;
	/**
	Failed attempts in a row: the backoff grows with them.
	*/
	failures: number;
	/**
	When the last connection ended.
	*/
	lastAttemptEnd: number;
	/**
	When the scheduled attempt is due, while `waiting`.
	*/
	due: number;
	/**
	Requests of our own sent so far (their ids are numbered).
	*/
	ownIds: number;
	/**
	What the client said that a new session must be told again.
	*/
	handshake: Handshake;
	/**
	Requests of the remote on a lost connection, by the id the client knows: the client's late answers to them are dropped. The newest `maxStaleRemoteRequests` are kept.
	*/
	staleRemoteRequests: Set<RequestId>;
	/**
	The client's messages have ended.
	*/
	clientDone: boolean;
	/**
	The next attempt is made at once because the remote forgot the session.
	*/
	quickNext: boolean;
};

export function createState(config: ReconnectConfig, now: number): ReconnectState {
	return {
		config,
		phase: 'open',
		connection: undefined,
		queue: [],
		attempts: 0,
		failures: 0,
		lastAttemptEnd: now,
		due: 0,
		ownIds: 0,
		handshake: createHandshake(),
		staleRemoteRequests: new Set(),
		clientDone: false,
		quickNext: false,
	};
}

/**
Why a connection ended, as the glue read it from the error (plain data: the step never inspects an error).
*/
export type Loss = {
	/**
	The error the connection failed with; `undefined` when the remote completed.
	*/
	error: unknown;
	/**
	Whether the failure is worth reconnecting after (`shouldRetry`; always after a completion).
	*/
	retry: boolean;
	/**
	The cause, for messages: the error described, or that the remote closed the connection.
	*/
	cause: string;
	/**
	The remote answered 404 for the session (`SessionExpiredError`): it is up but forgot the session.
	*/
	sessionExpired: boolean;
	/**
	Nobody completed a sign-in (`SignInError` among the causes).
	*/
	signIn: boolean;
	/**
	Requests that certainly never reached the remote (the `unsent` of a `ConnectError` or `SessionExpiredError`).
	*/
	unsent: readonly RequestId[];
};

export type TimerName = 'attempt' | 'handshake';

/**
What happens to the machine. Besides the client's and the connection's messages and ends:
- `start`: the operator was subscribed: make the first attempt;
- `connected`: the glue has subscribed to connection `connection` (messages may already have come from it);
- `send-held`: pull the next held message onto the open connection (the glue repeats it until it yields nothing);
- `delay`: the delay asked for with `draw-delay`.
*/
export type ReconnectEvent
	= | {type: 'start'}
		| {type: 'client'; message: Message; now: number}
		| {type: 'client-end'}
		| {type: 'client-error'; error: unknown}
		| {type: 'connected'; connection: number}
		| {type: 'remote'; connection: number; message: Message}
		| {type: 'remote-end'; connection: number; loss: Loss; now: number}
		| {type: 'send-held'; connection: number}
		| {type: 'timer'; timer: TimerName}
		| {type: 'delay'; delay: number; now: number};

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/**
What the glue does for the machine:
- `forward`: the event's message goes on as it is (a client message to the open connection, a remote message to the client);
- `send` to a connection, `deliver` to the client, `answer` the client's request `id` with a JSON-RPC error;
- `connect`: subscribe to the inner transport (then report `connected`); `disconnect`; `end-input`: complete the connection's outgoing messages, so it closes gracefully;
- `flush`: send the held messages (by `send-held` events);
- `draw-delay`: draw the backoff delay after `failures` failures (its jitter is random) and report it as a `delay` event;
- `abort`: fail the connection with a `TransportError` saying `reason` (then report `remote-end`);
- `complete` or `fail` the operator.
*/
export type ReconnectEffect
	= | {type: 'forward'}
		| {type: 'send'; connection: number; message: Message}
		| {type: 'deliver'; message: Message}
		| {type: 'answer'; id: RequestId; code: number; text: string}
		| {type: 'log'; level: LogLevel; text: string}
		| {type: 'connect'; connection: number}
		| {type: 'disconnect'; connection: number}
		| {type: 'end-input'; connection: number}
		| {type: 'flush'; connection: number}
		| {type: 'start-timer'; timer: TimerName; delay: number}
		| {type: 'stop-timer'; timer: TimerName}
		| {type: 'draw-delay'; failures: number}
		| {type: 'abort'; connection: number; reason: string}
		| {type: 'complete'}
		| {type: 'fail'; error: unknown};

/**
How many requests of lost connections are remembered, so that the client's late answers to them are dropped quietly (older ones, if answered, reach the current connection under ids it never sent, and guardRequests drops them).
*/
export const maxStaleRemoteRequests = 1024;

/**
The id under which the client sees request `id` of the remote on connection `connection` (after the first): unique to the connection, so no answer crosses sessions.
*/
export function remoteRequestId(connection: number, id: RequestId): string {
	return `mcp-proxy-${connection}:${typeof id === 'string' ? `s:${id}` : `n:${String(id)}`}`;
}
