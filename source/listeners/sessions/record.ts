import {Channel} from '../../channel.js';
import {LimitError} from '../../errors.js';
import type {Logger} from '../../logger.js';
import type {Message, RequestId, Transport} from '../../types.js';
import {isRequest} from '../../wire/message.js';
import type {ToolDeclarations} from '../../wire/modern.js';
import type {QueueBudget} from '../queue-budget/index.js';
import type {HeldAnswer} from '../json-answer.js';
import type {KeepAlive, SseStream, StreamOwner} from '../sse-writer.js';

/*
What every client session of the listener is, whichever its face: the public `Session` its subscriber gets, and the record the listener keeps for it, plain state changed by the functions here and by its face's (`streamable/`, `legacy/`): its activity and handshake, what it holds for its client, its streams, the client's messages on their way to the backend through a `Channel`, and the common part of its end.
*/

/**
A client session accepted by the HTTP listener.
*/
export type Session = {
	/**
	Random, cryptographically strong, visible ASCII: the `Mcp-Session-Id` for Streamable HTTP, the `session_id` for legacy SSE, a fresh id per request when stateless.
	*/
	id: string;
	/**
	The named server this session is for; `''` for the default server (`/mcp`, `/sse`, `/messages/`).
	*/
	server: string;
	face: 'streamable-http' | 'sse';
	/**
	Whether this is a stateless Streamable HTTP request (one request, no session).
	*/
	stateless: boolean;
	/**
	`modern`: one request of the protocol's 2026-07-28 revision (stateless, no session; its server must speak that revision). `2025`: a session of the earlier revisions, or a stateless request of them.
	*/
	era: '2025' | 'modern';
	/**
	Messages from the HTTP client come out of it; messages given to it go to the client.
	*/
	transport: Transport;
};

/**
Why a session ended. `refused`: the backend answered its `initialize` with an error. `uninitialized`: its client did not complete initialization in time, or its half-open session made room for another. `overloaded`: it held more than the queue budget in messages that cannot be shed.
*/
export type SessionEndReason = 'deleted' | 'client-closed' | 'backend-ended' | 'unsubscribed' | 'idle' | 'listener-closed' | 'answered' | 'refused' | 'uninitialized' | 'overloaded';

/**
What the sessions of one listener share: where they log, their keep-alive timer, the queue budget, the event store's bounds, the error texts of an end, and two hooks: `end` ends a session whatever its face (so that a face never imports the other), `ended` tells the session table.
*/
export type SessionRuntime = {
	readonly logger: Logger;
	readonly keepAlive: KeepAlive;
	readonly budget: QueueBudget<SessionBase>;
	/**
	How many events each Streamable HTTP session keeps for resumption, and how many bytes of them.
	*/
	readonly eventStoreLimit: number;
	readonly eventStoreBytes: number;
	/**
	The `x-mcp-header` declarations of each served server's tools, learnt from the modern `tools/list` answers that pass (at most `maxToolDeclarations` tools per server): what a modern `tools/call`'s `Mcp-Param-*` headers are checked against.
	*/
	readonly toolDeclarations: Map<string, ToolDeclarations>;
	/**
	The error text requests still waiting get when their session ends, by reason.
	*/
	readonly closeReasons: Readonly<Record<SessionEndReason, string>>;
	end(record: SessionBase, reason: SessionEndReason): void;
	ended(record: SessionBase, reason: SessionEndReason): void;
};

/**
The part of a session's record that does not depend on its face.
*/
export type SessionBase = StreamOwner & {
	readonly session: Session;
	readonly server: string;
	readonly runtime: SessionRuntime;
	/**
	When the client last did something; the idle reaper reads it.
	*/
	lastActivity: number;
	ended: boolean;
	/**
	The client's address, which the table counts sessions by.
	*/
	client: string;
	/**
	Whether the client completed initialization: it sent something after its `initialize` (`notifications/initialized`, as the protocol asks, or any other message). A stateless request has nothing to complete. Until then the session is half-open, and the table ends it soon if the client goes quiet.
	*/
	initialized: boolean;
	/**
	The id of its `initialize`, whose error answer ends the session.
	*/
	initializeId: RequestId | undefined;
	readonly streams: Set<SseStream>;
	/**
	JSON answers written and still waiting for their connection (see `json-answer.ts`).
	*/
	readonly answers: Set<HeldAnswer>;
	/**
	The client's messages to the backend, held until the transport is subscribed.
	*/
	channel: Channel<Message>;
	/**
	Whether the transport was subscribed (it may be, once), and how many client messages wait for it until then.
	*/
	subscribed: boolean;
	waiting: number;
};

/**
How many client messages may wait for the session's transport to be subscribed.
*/
const maxWaitingMessages = 1000;

/**
The face-independent fields of a new record. The face adds its own, and `sessions/index.ts` the transport.
*/
export function baseRecord(runtime: SessionRuntime, session: Session): SessionBase {
	return {
		id: session.id,
		session,
		server: session.server,
		runtime,
		budget: runtime.budget,
		heldBytes: 0,
		lastActivity: Date.now(),
		ended: false,
		client: '',
		initialized: session.stateless,
		initializeId: undefined,
		streams: new Set(),
		answers: new Set(),
		channel: new Channel<Message>(),
		subscribed: false,
		waiting: 0,
	};
}

/**
The client did something: its session is not idle.
*/
export function touch(record: SessionBase, now: number): void {
	record.lastActivity = now;
}

/**
Hand a message from the HTTP client to the backend. Throws a `LimitError` when too many wait for the transport to be subscribed.
*/
export function receive(record: SessionBase, message: Message): void {
	if (record.ended) {
		return;
	}

	if (!record.initialized) {
		if (isRequest(message) && message.method === 'initialize') {
			record.initializeId = message.id;
		} else {
			record.initialized = true;
		}
	}

	if (!record.subscribed) {
		if (record.waiting >= maxWaitingMessages) {
			throw new LimitError(`Session ${record.id}: ${maxWaitingMessages} messages are waiting for the backend`);
		}

		record.waiting++;
	}

	record.channel.next(message);
}

/**
End a session: `close` (its face's) closes its streams and answers what waits, then the budget and the table forget it (a stream still draining, or an answer waiting for its connection, keeps it in the budget until it is gone), and the client's messages complete, so the backend closes gracefully. Nothing happens the second time.
*/
export function endWith<R extends SessionBase>(record: R, reason: SessionEndReason, close: (record: R, reason: SessionEndReason) => void): void {
	if (record.ended) {
		return;
	}

	record.ended = true;
	close(record, reason);
	if (record.streams.size === 0 && record.answers.size === 0) {
		record.budget?.delete(record);
	}

	record.runtime.ended(record, reason);
	if (!record.subscribed) {
		// Nobody took what the client sent: it goes with the session, and a late subscriber finds it ended.
		record.channel = new Channel<Message>();
	}

	record.channel.complete();
}
