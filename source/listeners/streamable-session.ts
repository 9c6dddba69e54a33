import type {OutgoingHttpHeaders, ServerResponse} from 'node:http';
import type {
	Message, Request, RequestId, Response,
} from '../types.js';
import {errorCodes, LimitError} from '../errors.js';
import {IdMap, shownId} from '../wire/id-map.js';
import {type JsonPieces, jsonText, serializeJson} from '../wire/long-strings.js';
import {stringifyJson} from '../wire/exact-numbers.js';
import type {Logger} from '../logger.js';
import {
	cancelledNotification, errorResponse, isResponse, progressTokenOf,
} from '../wire/message.js';
import {EventStore, parseEventId} from './event-store.js';
import {sendJson} from './http-io.js';
import {Payload} from './payload.js';
import type {QueueBudget} from './queue-budget/index.js';
import {SessionPort, type SessionEndReason} from './session-port.js';
import {type KeepAlive, SseStream} from './sse-writer.js';

export type StreamableSessionOptions = {
	id: string;
	server: string;
	stateless: boolean;
	keepAlive: KeepAlive;
	logger: Logger;
	/**
	How many events are kept for resumption, and how many characters of them.
	*/
	eventStoreLimit: number;
	eventStoreBytes: number;
	/**
	The listener's budget for queued bytes, which this session's messages count in.
	*/
	budget?: QueueBudget<SessionPort>;
	/**
	The error text for requests of a session closed for holding too much (`overloaded`); it names the setting that raises the limit.
	*/
	overloaded?: string;
};

/**
The answer to one POST that carried requests: JSON while nothing but responses came, SSE from the first related message on.
*/
type Exchange = {
	readonly session: StreamableSession;
	readonly stream: number;
	remaining: number;
	readonly batch: boolean;
	state: 'waiting' | 'sse' | 'done';
	/**
	The HTTP response while still undecided (JSON or SSE); `undefined` once the client left.
	*/
	response: ServerResponse | undefined;
	sse: SseStream | undefined;
	/**
	Serialized responses collected while undecided (a batch answers with an array).
	*/
	collected: Array<string | JsonPieces>;
};

type PendingRequest = {
	exchange: Exchange;
	token: string | number | undefined;
	initialize: boolean;
};

/**
How many messages, and how many bytes of them, may wait for a GET stream.
*/
const maxWaitingMessages = 1000;
const maxWaitingBytes = 8 * 1024 * 1024;

const closeReasons: Record<SessionEndReason, string> = {
	deleted: 'The client deleted the session',
	'client-closed': 'The client closed the session',
	'backend-ended': 'The server closed the session before answering',
	unsubscribed: 'The connection to the server was closed before it answered',
	idle: 'The session expired',
	'listener-closed': 'The proxy is shutting down',
	answered: 'The request was answered',
	overloaded: 'The session was closed: its client did not read what it was sent (the `maxQueuedBytes` option)',
	refused: 'The server refused to initialize the session',
	uninitialized: 'The client did not complete initialization in time',
};

/**
A Streamable HTTP session: routes what the backend sends to the client's HTTP responses.

- A response goes to the POST that carried its request, as JSON when nothing came before it, else as the last SSE event of that POST's stream.
- A progress notification goes to the stream of the request whose `progressToken` it carries.
- Anything else goes to the standalone GET stream, else to the newest POST stream still waiting (upgrading it to SSE), else waits (bounded) for a GET stream.

SSE events carry ids `<g|p><stream>-<sequence>` and are kept (bounded) for resumption with `Last-Event-ID`.
*/
export class StreamableSession extends SessionPort {
	/**
	The protocol version the server chose in its initialize result.
	*/
	protocolVersion: string | undefined;

	private readonly options: StreamableSessionOptions;
	private readonly headers: OutgoingHttpHeaders;
	private readonly store: EventStore;
	private readonly pending = new IdMap<RequestId, PendingRequest>();
	private readonly tokens = new IdMap<string | number, PendingRequest>();
	/**
	Exchanges not yet done, oldest first.
	*/
	private readonly exchanges: Exchange[] = [];
	private standalone: {sse: SseStream; stream: number} | undefined;
	private waitingForStream: Payload[] = [];
	private waitingBytes = 0;
	private warnedAboutDrops = false;
	private streamCounter = 0;

	constructor(options: StreamableSessionOptions) {
		super(options.id, options.server, 'streamable-http', options);
		this.options = options;
		this.headers = options.stateless ? {} : {'Mcp-Session-Id': options.id};
		this.store = new EventStore({maxEvents: options.stateless ? 0 : options.eventStoreLimit, maxBytes: options.eventStoreBytes, holder: this});
	}

	get busy(): boolean {
		if (this.standalone) {
			return true;
		}

		return this.exchanges.some(exchange => isAttached(exchange));
	}

	get awaitingAnswer(): boolean {
		return this.exchanges.some(exchange => isAttached(exchange));
	}

	/**
	Whether a request id is waiting for its response.
	*/
	isPending(id: RequestId): boolean {
		return this.pending.has(id);
	}

	/**
	Take a POST that carries `requests`: its response will answer them.
	*/
	openExchange(response: ServerResponse, requests: readonly Request[], batch: boolean): void {
		const exchange: Exchange = {
			session: this,
			stream: ++this.streamCounter,
			remaining: requests.length,
			batch,
			state: 'waiting',
			response,
			sse: undefined,
			collected: [],
		};
		for (const request of requests) {
			const record: PendingRequest = {exchange, token: progressTokenOf(request), initialize: request.method === 'initialize'};
			this.pending.set(request.id, record);
			if (record.token !== undefined) {
				this.tokens.set(record.token, record);
			}
		}

		this.exchanges.push(exchange);
		(response as ExchangeResponse)[exchangeOf] = exchange;
		response.on('close', onExchangeResponseClose);
	}

	/**
	The client left before we answered: nothing can be delivered any more.
	*/
	clientLeft(exchange: Exchange, response: ServerResponse): void {
		if (exchange.state === 'waiting' && exchange.response === response) {
			exchange.response = undefined;
			this.lastActivity = Date.now();
			if (this.session.stateless) {
				this.end('client-closed');
			} else {
				this.abandon(exchange);
			}
		}
	}

	/**
	The client cancelled one of its requests: the backend will not answer it, so its share of the POST ends here.
	*/
	cancel(id: RequestId): void {
		const record = this.pending.get(id);
		if (!record) {
			return;
		}

		this.forgetRequest(id, record);
		const {exchange} = record;
		exchange.remaining--;
		if (exchange.remaining === 0) {
			this.finishExchange(exchange);
		}
	}

	/**
	Open the standalone stream (GET). Returns false when one is already open.
	*/
	openStandalone(response: ServerResponse, protocolVersion: string): boolean {
		if (this.standalone) {
			return false;
		}

		const stream = ++this.streamCounter;
		const sse = new SseStream(response, this.options.keepAlive, this.headers, this);
		if (protocolVersion >= '2025-11-25') {
			// Priming event: an id the client can resume from before any message came.
			sse.write(`id: ${this.store.append('g', stream, primingPayload)}\ndata: \n\n`);
		}

		this.attachStandalone(sse, stream);
		return true;
	}

	/**
	Resume a stream after `Last-Event-ID`: replay what it missed, then carry on (the rest of a POST's answer, or the standalone stream). Returns an error text for a bad id.
	*/
	resume(response: ServerResponse, lastEventId: string): string | undefined {
		const key = parseEventId(lastEventId);
		if (!key || key.stream > this.streamCounter || !this.store.issued(key.sequence)) {
			return `Unknown Last-Event-ID: ${JSON.stringify(lastEventId.slice(0, 100))}`;
		}

		if (this.store.droppedAfter(key.sequence)) {
			const bounds = `${this.options.eventStoreLimit} events, ${this.options.eventStoreBytes} bytes`;
			const event = lastEventId.slice(0, 40);
			this.options.logger.warning(`Session ${this.session.id}: resumed after event ${event}; later events were dropped to keep the event store within ${bounds}: replay may be incomplete`);
		}

		const sse = new SseStream(response, this.options.keepAlive, this.headers, this);
		for (const event of this.store.after(key)) {
			if (event.payload !== primingPayload) {
				sse.sendPayload(event.payload, {id: event.id, sequence: event.sequence});
			}
		}

		if (key.kind === 'g') {
			if (this.standalone) {
				// The client came back on its old stream: the newer one ends.
				this.standalone.sse.onClose = undefined;
				this.standalone.sse.end();
				this.standalone = undefined;
			}

			this.attachStandalone(sse, key.stream);
			return undefined;
		}

		const exchange = this.exchanges.find(each => each.stream === key.stream);
		// A finished answer has nothing more to say; an undecided one never gave out an event id, so its own POST keeps it.
		if (exchange?.state !== 'sse') {
			sse.end();
			return undefined;
		}

		if (exchange.sse) {
			// The old connection is presumed dead; the newest one wins.
			exchange.sse.onClose = undefined;
			exchange.sse.destroy();
		}

		this.attachExchange(exchange, sse);
		return undefined;
	}

	shedOne(): number {
		const waiting = this.waitingForStream.findIndex(payload => payload.sheddable);
		if (waiting !== -1) {
			const [payload] = this.waitingForStream.splice(waiting, 1);
			this.waitingBytes -= payload!.size;
			this.release(payload!);
			return payload!.size;
		}

		for (const stream of this.streams) {
			const frame = stream.shedOldest();
			if (frame) {
				// Its copy for resumption goes too: the client never saw it.
				this.store.remove(frame.sequence);
				return frame.payload!.size;
			}
		}

		return this.store.shedOldest();
	}

	/**
	A response or request reached the client's connection: its copy in the event store is now one that may be shed.
	*/
	written(sequence: number): void {
		this.store.unpin(sequence);
	}

	protected route(message: Message): void {
		if (isResponse(message)) {
			this.routeResponse(message);
			return;
		}

		if ('method' in message && message.method === 'notifications/progress' && this.tokens.size > 0) {
			const token = (message.params as {progressToken?: string | number} | undefined)?.progressToken;
			const record = token === undefined ? undefined : this.tokens.get(token);
			if (record) {
				this.deliverRelated(record.exchange, this.payloadOf(message));
				return;
			}
		}

		this.routeUnrelated(this.payloadOf(message));
	}

	protected close(reason: SessionEndReason): void {
		const text = reason === 'overloaded' && this.options.overloaded !== undefined ? this.options.overloaded : closeReasons[reason];
		for (const [id, record] of this.pending.entries()) {
			if (isAttached(record.exchange)) {
				this.deliverResponse(record.exchange, stringifyJson(errorResponse(id, errorCodes.connectionClosed, text)));
			}
		}

		for (const exchange of this.exchanges) {
			exchange.sse?.end();
			if (exchange.state === 'waiting' && exchange.response) {
				// Nothing owed any more (cancelled requests): an empty stream.
				new SseStream(exchange.response, this.options.keepAlive, this.headers).end();
			}

			exchange.state = 'done';
		}

		this.exchanges.length = 0;
		this.pending.clear();
		this.tokens.clear();
		this.standalone?.sse.end();
		this.standalone = undefined;
		for (const payload of this.waitingForStream) {
			this.release(payload);
		}

		this.waitingForStream = [];
		this.waitingBytes = 0;
		this.store.clear();
	}

	private payloadOf(message: Message): Payload {
		return this.options.budget?.payloadOf(message) ?? new Payload(serializeJson(message), 'id' in message ? 'request' : 'notification');
	}

	/**
	An answer nobody can receive any more: its client left before it began, so no event id was given out to resume it from. Its requests are cancelled at the backend, as if the client had sent `notifications/cancelled` (closing the stream is cancellation in the protocol's 2026 revision), so that nothing waits for them: not the backend, not the proxy's tables. `initialize` is never cancelled; the session's handshake timeout deals with it.
	*/
	private abandon(exchange: Exchange): void {
		// Rare (a client left): a walk over the pending requests, rather than a list kept for every exchange.
		for (const [id, record] of this.pending.entries()) {
			if (record.exchange !== exchange || record.initialize) {
				continue;
			}

			this.options.logger.debug(`Session ${this.session.id}: the client left before the answer to request ${shownId(id)} began; cancelling it`);
			this.cancel(id);
			try {
				this.receive(cancelledNotification(id, 'The client closed its connection before the answer came'));
			} catch (error) {
				if (!(error instanceof LimitError)) {
					throw error;
				}
			}
		}
	}

	private routeResponse(message: Response): void {
		const record = message.id === undefined || message.id === null ? undefined : this.pending.get(message.id);
		if (!record) {
			this.options.logger.debug(`Session ${this.session.id}: dropped a response to unknown request ${stringifyJson(message.id)}`);
			return;
		}

		this.forgetRequest(message.id!, record);
		if (record.initialize && 'result' in message) {
			const version = (message.result as {protocolVersion?: unknown}).protocolVersion;
			if (typeof version === 'string') {
				this.protocolVersion = version;
			}
		}

		// Long strings the child sent stay bytes on the way to a JSON answer.
		this.deliverResponse(record.exchange, serializeJson(message));
	}

	private forgetRequest(id: RequestId, record: PendingRequest): void {
		this.pending.delete(id);
		if (record.token !== undefined && this.tokens.get(record.token) === record) {
			this.tokens.delete(record.token);
		}
	}

	private deliverResponse(exchange: Exchange, data: string | JsonPieces): void {
		exchange.remaining--;
		if (exchange.state === 'waiting') {
			exchange.collected.push(data);
			if (exchange.remaining === 0) {
				this.finishExchange(exchange);
			}

			return;
		}

		if (exchange.state === 'sse') {
			this.writeExchange(exchange, new Payload(data, 'response'));
			if (exchange.remaining === 0) {
				this.finishExchange(exchange);
			}
		}
	}

	private deliverRelated(exchange: Exchange, payload: Payload): void {
		if (exchange.state === 'waiting') {
			if (!exchange.response) {
				this.options.logger.debug(`Session ${this.session.id}: dropped a message for a request whose client left`);
				return;
			}

			this.upgrade(exchange, exchange.response);
		}

		if (exchange.state === 'sse') {
			this.writeExchange(exchange, payload);
		}
	}

	private routeUnrelated(payload: Payload): void {
		if (this.standalone) {
			this.sendStandalone(this.standalone, payload);
			return;
		}

		for (let index = this.exchanges.length - 1; index >= 0; index--) {
			const exchange = this.exchanges[index]!;
			if (isAttached(exchange)) {
				this.deliverRelated(exchange, payload);
				return;
			}
		}

		if (this.session.stateless) {
			this.options.logger.debug(`Stateless request ${this.session.id}: dropped a message that came after its answer`);
			return;
		}

		this.waitingForStream.push(payload);
		this.waitingBytes += payload.size;
		this.hold(payload);
		while (this.waitingForStream.length > maxWaitingMessages || (this.waitingBytes > maxWaitingBytes && this.waitingForStream.length > 1)) {
			const dropped = this.waitingForStream.shift()!;
			this.waitingBytes -= dropped.size;
			this.release(dropped);
			const text = `Session ${this.session.id}: too many messages waited for the client to open a GET stream; dropped the oldest`;
			if (this.warnedAboutDrops) {
				this.options.logger.debug(text);
			} else {
				this.warnedAboutDrops = true;
				this.options.logger.warning(`${text} (further drops are logged at debug level)`);
			}
		}
	}

	/**
	Switch an undecided answer to SSE, writing the responses collected so far first.
	*/
	private upgrade(exchange: Exchange, response: ServerResponse): void {
		exchange.response = undefined;
		const sse = new SseStream(response, this.options.keepAlive, this.headers, this);
		this.attachExchange(exchange, sse);
		const {collected} = exchange;
		exchange.collected = [];
		for (const data of collected) {
			this.writeExchange(exchange, new Payload(data, 'response'));
		}
	}

	private attachExchange(exchange: Exchange, sse: SseStream): void {
		exchange.state = 'sse';
		exchange.sse = sse;
		sse.onClose = ended => {
			if (exchange.sse === sse) {
				exchange.sse = undefined;
				this.lastActivity = Date.now();
				if (!ended && this.session.stateless) {
					this.end('client-closed');
				}
			}
		};
	}

	private attachStandalone(sse: SseStream, stream: number): void {
		const standalone = {sse, stream};
		this.standalone = standalone;
		sse.onClose = () => {
			if (this.standalone === standalone) {
				this.standalone = undefined;
				this.lastActivity = Date.now();
			}
		};

		const waiting = this.waitingForStream;
		this.waitingForStream = [];
		this.waitingBytes = 0;
		for (const payload of waiting) {
			this.sendStandalone(standalone, payload);
			this.release(payload);
		}
	}

	private sendStandalone(standalone: {sse: SseStream; stream: number}, payload: Payload): void {
		const sequence = this.store.nextSequence;
		standalone.sse.sendPayload(payload, {id: this.store.append('g', standalone.stream, payload), sequence});
	}

	private writeExchange(exchange: Exchange, payload: Payload): void {
		if (this.session.stateless) {
			exchange.sse?.sendPayload(payload);
			return;
		}

		// Stored even when the client left, so that it can resume.
		const sequence = this.store.nextSequence;
		const id = this.store.append('p', exchange.stream, payload);
		exchange.sse?.sendPayload(payload, {id, sequence});
	}

	private finishExchange(exchange: Exchange): void {
		if (exchange.state === 'waiting') {
			const {response, collected} = exchange;
			exchange.response = undefined;
			if (response) {
				if (collected.length === 0) {
					new SseStream(response, this.options.keepAlive, this.headers).end();
				} else {
					sendJson(response, 200, exchange.batch ? `[${collected.map(data => jsonText(data)).join(',')}]` : collected[0]!, this.headers);
				}
			}
		} else {
			const {sse} = exchange;
			exchange.sse = undefined;
			sse?.end();
		}

		exchange.state = 'done';
		exchange.collected = [];
		const index = this.exchanges.indexOf(exchange);
		if (index !== -1) {
			this.exchanges.splice(index, 1);
		}

		if (this.session.stateless) {
			this.end('answered');
		}
	}
}

/**
The event a new standalone stream starts with: an id to resume from, no message.
*/
const primingPayload = new Payload('', 'notification');

const exchangeOf = Symbol('exchange');
type ExchangeResponse = ServerResponse & {[exchangeOf]?: Exchange};

// One listener for every POST's response (it finds its exchange on the response): no closure per request.
function onExchangeResponseClose(this: ExchangeResponse): void {
	const exchange = this[exchangeOf];
	if (exchange) {
		this[exchangeOf] = undefined;
		exchange.session.clientLeft(exchange, this);
	}
}

function isAttached(exchange: Exchange): boolean {
	return exchange.state === 'waiting' ? exchange.response !== undefined : exchange.sse !== undefined;
}
