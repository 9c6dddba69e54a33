/*
What goes into the multiplexer's step and what comes out: events (a client's message, the upstream's, an attempt starting or ending, a timer firing, `close()`) and effects (deliver to a session, send upstream, end a session, start or cancel a timer, end the attempt, log). Effects are small plain objects the glue (index.ts) performs in order; the helpers here push the common ones.
*/
import type {Message, Notification, Request} from '../../types.js';
import type {
	InternalRequest, Loose, MultiplexState, SessionState, TimerKey,
} from './state.js';

export type MultiplexEvent
	= | {type: 'client-message'; session: SessionState; message: Message; now: number}
		| {type: 'upstream-message'; message: Message; now: number}
		/**
		A session was subscribed (its transport connected).
		*/
		| {type: 'session-opened'; session: SessionState}
		/**
		A session's messages ended, failed, or it was unsubscribed.
		*/
		| {type: 'session-closed'; session: SessionState}
		/**
		`run$` subscribed to the upstream transport (once more).
		*/
		| {type: 'attempt-started'}
		/**
		The attempt ended: the upstream completed (`error` undefined) or failed.
		*/
		| {type: 'upstream-ended'; error: unknown; now: number}
		/**
		`run$` was unsubscribed or completed.
		*/
		| {type: 'run-ended'}
		| {type: 'timeout'; key: TimerKey}
		| {type: 'close'};

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export type Effect
	= | {type: 'deliver'; session: SessionState; message: Message}
		| {type: 'send'; message: Message}
		/**
		Complete a session's messages (the multiplexer stopped).
		*/
		| {type: 'end-session'; session: SessionState}
		| {type: 'set-timer'; key: TimerKey; delay: number}
		| {type: 'cancel-timer'; key: TimerKey}
		/**
		Complete the upstream's outgoing messages: it closes gracefully, and the attempt ends when it has.
		*/
		| {type: 'close-upstream'}
		/**
		End the attempt now with `error` (its handshake failed): the upstream is unsubscribed and `upstream-ended` follows.
		*/
		| {type: 'abort-upstream'; error: Error}
		/**
		The multiplexer stopped for good: `run$` completes.
		*/
		| {type: 'stopped'}
		| {type: 'log'; level: LogLevel; text: string};

/**
Deliver `message` to `session` unless it closed.
*/
export function deliver(out: Effect[], session: SessionState, message: Message): void {
	if (!session.closed) {
		out.push({type: 'deliver', session, message});
	}
}

export function send(out: Effect[], message: Message): void {
	out.push({type: 'send', message});
}

export function log(out: Effect[], level: LogLevel, text: string): void {
	out.push({type: 'log', level, text});
}

/**
Deliver a notification to every session that answered its `initialize`.
*/
export function broadcast(state: MultiplexState, out: Effect[], notification: Notification): void {
	for (const session of state.sessions.values()) {
		if (session.ready) {
			deliver(out, session, notification);
		}
	}
}

/**
A new id for a request of the proxy's own, remembered with why it was sent: its answer is handled by `kind`.
*/
export function internalId(state: MultiplexState, kind: InternalRequest): string {
	const id = `rx-mcp-proxy/${state.nextInternal++}`;
	state.internal.set(id, kind);
	return id;
}

export function parametersOf(message: Request | Notification): Loose {
	return (message.params ?? {});
}
