import type {ServerResponse} from 'node:http';
import type {Message, Request, RequestId} from '../../../types.js';
import {stringifyJson} from '../../../wire/exact-numbers.js';
import {isResponse, progressTokenOf} from '../../../wire/message.js';
import {parseEventId} from '../../event-store.js';
import {
	isAttached, type Exchange, type PendingRequest, type StreamableRecord,
} from './state.js';

/*
The routing decisions of a Streamable HTTP session, pure: which exchange or stream a message from the backend goes to, when an exchange is finished, what is dropped, which requests a client that left abandons, where a resumed stream continues. Each changes the session's bookkeeping in place (requests forgotten once answered, an exchange's count of answers owed) and returns what is to be written where, as a small plain object; the glue (`exchange.ts`, `streams.ts`) writes it. No sockets are touched here, no clock is read, nothing is logged.

- A response goes to the POST that carried its request, as JSON when nothing came before it, else as the last SSE event of that POST's stream.
- A progress notification goes to the stream of the request whose `progressToken` it carries.
- A log message (`notifications/message`) goes to the newest POST still able to reach its client, else where anything else goes: a server logs while it works on a request, and the 2025 revisions give a log no request id (a stdio child's, or a shared one's, cannot say which), so this keeps it ahead of that request's response, as the SDK's server does by sending it on that request's stream. On the GET stream it would race the response, and a client that reads the logs a call produced when the call returns would miss them.
- Anything else goes to the standalone GET stream, else to the newest POST still able to reach its client (upgrading it to SSE), else waits (bounded) for a GET stream; a stateless request has no later stream, so it is dropped.
*/

/**
Where a message from the backend goes.

- `collect`: a response for an undecided answer, kept until the answer is sent as JSON (`finish`: now).
- `exchange`: an SSE event on an exchange's stream (`upgrade`: switch the undecided answer to SSE first; `finish`: it was the last response owed).
- `standalone`: an event on the GET stream. `wait`: kept for the next GET stream. `drop`: nowhere (`why` is logged at debug level). `none`: nothing to do.
*/
export type Delivery
	= | {readonly type: 'collect'; readonly exchange: Exchange; readonly finish: boolean}
		| {readonly type: 'exchange'; readonly exchange: Exchange; readonly upgrade: boolean; readonly finish: boolean}
		| {readonly type: 'standalone' | 'wait' | 'none'}
		| {readonly type: 'drop'; readonly why: string};

const toStandalone: Delivery = Object.freeze({type: 'standalone'});
const toWait: Delivery = Object.freeze({type: 'wait'});
const nowhere: Delivery = Object.freeze({type: 'none'});

/**
How many messages, and how many bytes of them, may wait for a GET stream.
*/
export const maxWaitingMessages = 1000;
export const maxWaitingBytes = 8 * 1024 * 1024;

/**
Take a POST that carries `requests`: a new exchange owes them their answers, and each is pending (by id, and by progress token when it has one).
*/
export function registerExchange(record: StreamableRecord, response: ServerResponse, requests: readonly Request[], batch: boolean): Exchange {
	const exchange: Exchange = {
		record,
		stream: ++record.streamCounter,
		remaining: requests.length,
		batch,
		phase: 'waiting',
		response,
		sse: undefined,
		collected: [],
		collectedHold: undefined,
		status: 200,
	};
	for (const request of requests) {
		const pending: PendingRequest = {exchange, token: progressTokenOf(request), initialize: request.method === 'initialize'};
		record.pending.set(request.id, pending);
		if (pending.token !== undefined) {
			record.tokens.set(pending.token, pending);
		}
	}

	record.exchanges.push(exchange);
	return exchange;
}

/**
Where a message from the backend goes; a response's request is no longer pending, and the version an `initialize` result chose is noted.
*/
export function routeMessage(record: StreamableRecord, message: Message): Delivery {
	if (isResponse(message)) {
		const pending = message.id === undefined || message.id === null ? undefined : record.pending.get(message.id);
		if (!pending) {
			return {type: 'drop', why: `Session ${record.id}: dropped a response to unknown request ${stringifyJson(message.id)}`};
		}

		forgetRequest(record, message.id!, pending);
		if (pending.initialize && 'result' in message) {
			const version = (message.result as {protocolVersion?: unknown}).protocolVersion;
			if (typeof version === 'string') {
				record.protocolVersion = version;
			}
		}

		return answered(pending.exchange);
	}

	if ('method' in message && message.method === 'notifications/progress' && record.tokens.size > 0) {
		const token = (message.params as {progressToken?: string | number} | undefined)?.progressToken;
		const pending = token === undefined ? undefined : record.tokens.get(token);
		if (pending) {
			return related(pending.exchange);
		}
	}

	if ('method' in message && message.method === 'notifications/message' && record.exchanges.length > 0) {
		const exchange = newestAttached(record);
		if (exchange) {
			return related(exchange);
		}
	}

	return unrelated(record);
}

/**
One of an exchange's requests got its response (`collect` or `exchange` says where it goes), or is answered by the proxy.
*/
export function answered(exchange: Exchange): Delivery {
	exchange.remaining--;
	if (exchange.phase === 'waiting') {
		return {type: 'collect', exchange, finish: exchange.remaining === 0};
	}

	if (exchange.phase === 'sse') {
		return {
			type: 'exchange', exchange, upgrade: false, finish: exchange.remaining === 0,
		};
	}

	return nowhere;
}

/**
A message that belongs to an exchange's stream (progress of one of its requests, or a message that found no better stream).
*/
function related(exchange: Exchange): Delivery {
	if (exchange.phase === 'waiting') {
		if (!exchange.response) {
			return {type: 'drop', why: `Session ${exchange.record.id}: dropped a message for a request whose client left`};
		}

		return {
			type: 'exchange', exchange, upgrade: true, finish: false,
		};
	}

	return exchange.phase === 'sse'
		? {
			type: 'exchange', exchange, upgrade: false, finish: false,
		}
		: nowhere;
}

/**
The newest exchange whose answer can still reach its client.
*/
function newestAttached(record: StreamableRecord): Exchange | undefined {
	for (let index = record.exchanges.length - 1; index >= 0; index--) {
		const exchange = record.exchanges[index]!;
		if (isAttached(exchange)) {
			return exchange;
		}
	}

	return undefined;
}

function unrelated(record: StreamableRecord): Delivery {
	if (record.standalone) {
		return toStandalone;
	}

	const exchange = newestAttached(record);
	if (exchange) {
		return related(exchange);
	}

	if (record.stateless) {
		return {type: 'drop', why: `Stateless request ${record.id}: dropped a message that came after its answer`};
	}

	return toWait;
}

/**
The client cancelled one of its requests: the backend will not answer it, so its share of the POST ends here. Returns its exchange when nothing more is owed on it (the glue finishes it), else `undefined`.
*/
export function cancelRequest(record: StreamableRecord, id: RequestId): Exchange | undefined {
	const pending = record.pending.get(id);
	if (!pending) {
		return undefined;
	}

	forgetRequest(record, id, pending);
	const {exchange} = pending;
	exchange.remaining--;
	return exchange.remaining === 0 ? exchange : undefined;
}

/**
An exchange is done: it leaves the session's list. Returns what its answer still has to say: the undecided response and what was collected for it, or the SSE stream to end.
*/
export function retireExchange(exchange: Exchange): {response: ServerResponse | undefined; collected: Exchange['collected']; sse: Exchange['sse']} {
	const {response, collected, sse} = exchange;
	const wasWaiting = exchange.phase === 'waiting';
	exchange.response = undefined;
	exchange.sse = undefined;
	exchange.phase = 'done';
	exchange.collected = [];
	const {exchanges} = exchange.record;
	const index = exchanges.indexOf(exchange);
	if (index !== -1) {
		exchanges.splice(index, 1);
	}

	return wasWaiting ? {response, collected, sse: undefined} : {response: undefined, collected, sse};
}

/**
The requests of an exchange whose client left before its answer began: nobody can receive their answers, so they are to be cancelled at the backend. `initialize` is never cancelled (the session's handshake timeout deals with it).
*/
export function abandonedRequests(record: StreamableRecord, exchange: Exchange): RequestId[] {
	// Rare (a client left): a walk over the pending requests, rather than a list kept for every exchange.
	const ids: RequestId[] = [];
	for (const [id, pending] of record.pending.entries()) {
		if (pending.exchange === exchange && !pending.initialize) {
			ids.push(id);
		}
	}

	return ids;
}

/**
Whether the messages waiting for a GET stream are over their bounds (count, or bytes while more than one waits): the oldest is to be dropped.
*/
export function waitingOverflows(record: StreamableRecord): boolean {
	return record.waitingForStream.length > maxWaitingMessages || (record.waitingBytes > maxWaitingBytes && record.waitingForStream.length > 1);
}

/**
Why a `Last-Event-ID` cannot be resumed from (an error text for a 400), or `undefined` when it can.
*/
export function resumeProblem(record: StreamableRecord, lastEventId: string): string | undefined {
	const key = parseEventId(lastEventId);
	if (!key || key.stream > record.streamCounter || !record.store.issued(key.sequence)) {
		return `Unknown Last-Event-ID: ${JSON.stringify(lastEventId.slice(0, 100))}`;
	}

	return undefined;
}

/**
Where a resumed stream carries on after its replay: the standalone stream, an exchange still answering as SSE, or nowhere (a finished answer has nothing more to say; an undecided one never gave out an event id, so its own POST keeps it).
*/
export function resumeTarget(record: StreamableRecord, kind: 'g' | 'p', stream: number): {type: 'standalone'} | {type: 'exchange'; exchange: Exchange} | {type: 'finished'} {
	if (kind === 'g') {
		return {type: 'standalone'};
	}

	const exchange = record.exchanges.find(each => each.stream === stream);
	return exchange?.phase === 'sse' ? {type: 'exchange', exchange} : {type: 'finished'};
}

function forgetRequest(record: StreamableRecord, id: RequestId, pending: PendingRequest): void {
	record.pending.delete(id);
	if (pending.token !== undefined && record.tokens.get(pending.token) === pending) {
		record.tokens.delete(pending.token);
	}
}
