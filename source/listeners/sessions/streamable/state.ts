import type {OutgoingHttpHeaders, ServerResponse} from 'node:http';
import type {RequestId} from '../../../types.js';
import {IdMap} from '../../../wire/id-map.js';
import type {JsonPieces} from '../../../wire/long-strings.js';
import {EventStore} from '../../event-store.js';
import type {Counted, Payload} from '../../payload.js';
import type {SseStream} from '../../sse-writer.js';
import {baseRecord, type SessionBase, type SessionRuntime} from '../record.js';

/*
The state of a Streamable HTTP session, as plain records: the answers to its POSTs still owed (exchanges), its requests waiting for their responses, by id and by progress token, its standalone GET stream, the messages waiting for one, and its event store. An exchange's HTTP response and SSE stream are held as handles that the routing decisions (`route.ts`) only look at, never use: whether they are there is the state; writing to them is the glue's (`exchange.ts`, `streams.ts`).
*/

/**
The answer to one POST that carried requests: undecided (`waiting`) while nothing but responses came, SSE from the first related message on, `done` once every request was answered or cancelled. A sessionless request (the protocol's 2026 revision) would be one exchange of a stateless record.
*/
export type Exchange = {
	readonly record: StreamableRecord;
	/**
	Its stream's number in the session, which its event ids carry.
	*/
	readonly stream: number;
	/**
	Requests still to be answered.
	*/
	remaining: number;
	readonly batch: boolean;
	phase: 'waiting' | 'sse' | 'done';
	/**
	The HTTP response while undecided; `undefined` once the client left (or once it became SSE).
	*/
	response: ServerResponse | undefined;
	/**
	The SSE stream once decided; `undefined` while its client is away (it may resume).
	*/
	sse: SseStream | undefined;
	/**
	Serialized responses collected while undecided (a batch answers with an array).
	*/
	collected: Array<string | JsonPieces>;
	/**
	The bytes of `collected` while they wait for the rest of a batch, held by the session in the queue budget.
	*/
	collectedHold: Counted | undefined;
	/**
	The HTTP status of a JSON answer: 200, but a modern request's error answers 404 or 400 as its code says (`modernStatus`).
	*/
	status: number;
};

export type PendingRequest = {
	readonly exchange: Exchange;
	readonly token: string | number | undefined;
	readonly initialize: boolean;
};

export type Standalone = {
	readonly sse: SseStream;
	readonly stream: number;
};

export type StreamableRecord = SessionBase & {
	readonly kind: 'streamable';
	readonly stateless: boolean;
	/**
	The protocol version the server chose in its initialize result.
	*/
	protocolVersion: string | undefined;
	/**
	The headers of every answer: `Mcp-Session-Id`, unless stateless.
	*/
	readonly headers: OutgoingHttpHeaders;
	readonly store: EventStore;
	readonly pending: IdMap<RequestId, PendingRequest>;
	readonly tokens: IdMap<string | number, PendingRequest>;
	/**
	Exchanges not yet done, oldest first.
	*/
	readonly exchanges: Exchange[];
	standalone: Standalone | undefined;
	/**
	Messages with no stream to go to, waiting for a GET stream (bounded), and their bytes.
	*/
	waitingForStream: Payload[];
	waitingBytes: number;
	warnedAboutDrops: boolean;
	/**
	The id of a modern request's `tools/list`: its answer teaches the server's tool declarations (`learnToolDeclarations`).
	*/
	toolsList: RequestId | undefined;
	/**
	The number of the session's newest stream.
	*/
	streamCounter: number;
};

/**
A new Streamable HTTP session's record: a session, a stateless request (`true`), or a request of the 2026 revision (`'modern'`, stateless too). Its `session.transport` is added by `sessions/index.ts`.
*/
export function createStreamableRecord(runtime: SessionRuntime, id: string, server: string, statelessOrModern: boolean | 'modern'): StreamableRecord {
	const stateless = statelessOrModern !== false;
	const era = statelessOrModern === 'modern' ? 'modern' : '2025';
	const base = baseRecord(runtime, {
		id, server, face: 'streamable-http', stateless, era, transport: notOpen,
	});
	// Object.assign, not a spread: a spread's result here got a map of its own per record (no transition tree), which cost memory per session and made every access to it megamorphic.
	const record: StreamableRecord = Object.assign(base, {
		kind: 'streamable' as const,
		stateless,
		protocolVersion: undefined,
		headers: era === 'modern' ? modernHeaders : (stateless ? {} : {'Mcp-Session-Id': id}),
		store: undefined as unknown as EventStore,
		pending: new IdMap<RequestId, PendingRequest>(),
		tokens: new IdMap<string | number, PendingRequest>(),
		exchanges: [],
		standalone: undefined,
		waitingForStream: [],
		waitingBytes: 0,
		warnedAboutDrops: false,
		toolsList: undefined,
		streamCounter: 0,
	});
	(record as {store: EventStore}).store = new EventStore({maxEvents: stateless ? 0 : runtime.eventStoreLimit, maxBytes: runtime.eventStoreBytes, holder: record});
	return record;
}

/**
The headers of every answer to a modern request: no session id; proxies must not buffer its stream (the spec's SHOULD).
*/
const modernHeaders = Object.freeze({'X-Accel-Buffering': 'no'});

function notOpen(): never {
	throw new Error('The transport of this session is not open yet');
}

/**
Whether an exchange can still reach its client: its undecided response or its SSE stream is there.
*/
export function isAttached(exchange: Exchange): boolean {
	return exchange.phase === 'waiting' ? exchange.response !== undefined : exchange.sse !== undefined;
}

/**
Whether a request of the client's still waits for its answer, with the client there to take it.
*/
export function streamableAwaitsAnswer(record: StreamableRecord): boolean {
	return record.exchanges.some(exchange => isAttached(exchange));
}

/**
Whether the session has a live HTTP stream or a request waiting for its answer: such a session is not idle.
*/
export function streamableBusy(record: StreamableRecord): boolean {
	return record.standalone !== undefined || streamableAwaitsAnswer(record);
}
