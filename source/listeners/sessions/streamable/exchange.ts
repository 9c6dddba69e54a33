import type {ServerResponse} from 'node:http';
import {LimitError} from '../../../errors.js';
import type {Message, Request, RequestId} from '../../../types.js';
import {shownId} from '../../../wire/id-map.js';
import {jsonText, serializeJson, type JsonPieces} from '../../../wire/long-strings.js';
import {cancelledNotification, isResponse} from '../../../wire/message.js';
import {learnDeclarations} from '../../../wire/modern.js';
import {modernStatus} from '../../checks/modern.js';
import {sendJson} from '../../http-io.js';
import {holdAnswer} from '../../json-answer.js';
import {
	hold, Payload, release, type Counted,
} from '../../payload.js';
import {SseStream} from '../../sse-writer.js';
import {receive, touch} from '../record.js';
import {
	abandonedRequests,
	cancelRequest,
	registerExchange,
	retireExchange,
	routeMessage,
	waitingOverflows,
	type Delivery,
} from './route.js';
import type {Exchange, Standalone, StreamableRecord} from './state.js';

/*
The writing side of a Streamable HTTP session: it does what the routing decisions of `route.ts` say, on the HTTP responses and SSE streams of the session's exchanges and its GET stream, and keeps copies in the event store for resumption.
*/

/**
How many tools' `x-mcp-header` declarations the listener keeps per served server.
*/
export const maxToolDeclarations = 4096;

/**
A modern `tools/list` answered: what its tools declare is what later calls' `Mcp-Param-*` headers are checked against (per served server, bounded).
*/
function learnToolDeclarations(record: StreamableRecord, message: Message): void {
	record.toolsList = undefined;
	if (!('result' in message)) {
		return;
	}

	const {toolDeclarations} = record.runtime;
	let declarations = toolDeclarations.get(record.server);
	if (declarations === undefined) {
		declarations = new Map();
		toolDeclarations.set(record.server, declarations);
	}

	learnDeclarations(declarations, message.result, maxToolDeclarations);
}

/**
Take a POST that carries `requests`: its response will answer them.
*/
export function openExchange(record: StreamableRecord, response: ServerResponse, requests: readonly Request[], batch: boolean): void {
	const exchange = registerExchange(record, response, requests, batch);
	(response as ExchangeResponse)[exchangeOf] = exchange;
	response.on('close', onExchangeResponseClose);
}

/**
Deliver a message from the backend to the client, where `routeMessage` says.
*/
export function deliverFromBackend(record: StreamableRecord, message: Message): void {
	if (record.toolsList !== undefined && isResponse(message) && message.id === record.toolsList) {
		learnToolDeclarations(record, message);
	}

	const delivery = routeMessage(record, message);
	switch (delivery.type) {
		case 'collect': {
			if (record.session.era === 'modern') {
				delivery.exchange.status = modernStatus(message);
			}

			// Long strings the child sent stay bytes on the way to a JSON answer.
			deliverAnswer(delivery, serializeJson(message));
			break;
		}

		case 'exchange': {
			if (isResponse(message)) {
				deliverAnswer(delivery, serializeJson(message));
			} else {
				writeRelated(delivery.exchange, delivery.upgrade, payloadOf(record, message));
			}

			break;
		}

		case 'standalone': {
			sendStandalone(record, record.standalone!, payloadOf(record, message));
			break;
		}

		case 'wait': {
			waitForStream(record, payloadOf(record, message));
			break;
		}

		case 'drop': {
			record.runtime.logger.debug(delivery.why);
			break;
		}

		case 'none': {
			break;
		}
	}
}

/**
Deliver the serialized response (or error) for one of an exchange's requests, where `answered` decided.
*/
export function deliverAnswer(delivery: Delivery, data: string | JsonPieces): void {
	if (delivery.type === 'collect') {
		delivery.exchange.collected.push(data);
		if (delivery.finish) {
			finishExchange(delivery.exchange);
		} else {
			holdCollected(delivery.exchange, typeof data === 'string' ? data.length : data.maxByteLength());
		}
	} else if (delivery.type === 'exchange') {
		writeExchange(delivery.exchange, new Payload(data, 'response'));
		if (delivery.finish) {
			finishExchange(delivery.exchange);
		}
	}
}

/**
The client cancelled one of its requests: its share of the POST ends here.
*/
export function cancel(record: StreamableRecord, id: RequestId): void {
	const finished = cancelRequest(record, id);
	if (finished) {
		finishExchange(finished);
	}
}

/**
Switch an undecided answer to SSE on `sse`, or carry on an answer on the stream that resumed it.
*/
export function attachExchange(exchange: Exchange, sse: SseStream): void {
	exchange.phase = 'sse';
	exchange.sse = sse;
	sse.onClose = ended => {
		if (exchange.sse === sse) {
			exchange.sse = undefined;
			const {record} = exchange;
			touch(record, Date.now());
			if (!ended && record.stateless) {
				record.runtime.end(record, 'client-closed');
			}
		}
	};
}

/**
Write an event for the session's standalone stream, keeping its copy for resumption.
*/
export function sendStandalone(record: StreamableRecord, standalone: Standalone, payload: Payload): void {
	const sequence = record.store.nextSequence;
	standalone.sse.sendPayload(payload, {id: record.store.append('g', standalone.stream, payload), sequence});
}

/**
An exchange owes nothing more: its answer is sent (JSON, or an empty stream when every request was cancelled) or its stream ends. A stateless request ends with it.
*/
export function finishExchange(exchange: Exchange): void {
	const {record} = exchange;
	releaseCollected(exchange);
	const {response, collected, sse} = retireExchange(exchange);
	if (response) {
		if (collected.length === 0) {
			new SseStream(response, record.runtime.keepAlive, record.headers).end();
		} else {
			// The one place the status of a JSON answer is chosen (the 2026 revision maps some errors to 4xx).
			const size = sendJson(response, exchange.status, exchange.batch ? `[${collected.map(data => jsonText(data)).join(',')}]` : collected[0]!, record.headers);
			// Counted in the queue budget until the client has read it.
			holdAnswer(record, response, size);
		}
	}

	sse?.end();
	if (record.stateless) {
		record.runtime.end(record, 'answered');
	}
}

/**
A batch's answers wait for the rest of it: the session holds their bytes (one count, grown with each).
*/
function holdCollected(exchange: Exchange, size: number): void {
	const {record} = exchange;
	const next: Counted = {size: (exchange.collectedHold?.size ?? 0) + size, sheddable: false, holders: 0};
	releaseCollected(exchange);
	hold(record, next);
	exchange.collectedHold = next;
}

/**
What an exchange collected leaves the queue budget (it is sent, becomes SSE, or goes with its session).
*/
export function releaseCollected(exchange: Exchange): void {
	if (exchange.collectedHold !== undefined) {
		release(exchange.record, exchange.collectedHold);
		exchange.collectedHold = undefined;
	}
}

function payloadOf(record: StreamableRecord, message: Message): Payload {
	return record.runtime.budget.payloadOf(message);
}

function writeRelated(exchange: Exchange, upgrade: boolean, payload: Payload): void {
	if (upgrade) {
		const {response, collected} = exchange;
		releaseCollected(exchange);
		exchange.response = undefined;
		attachExchange(exchange, new SseStream(response!, exchange.record.runtime.keepAlive, exchange.record.headers, exchange.record));
		exchange.collected = [];
		for (const data of collected) {
			writeExchange(exchange, new Payload(data, 'response'));
		}
	}

	writeExchange(exchange, payload);
}

function writeExchange(exchange: Exchange, payload: Payload): void {
	const {record} = exchange;
	if (record.stateless) {
		exchange.sse?.sendPayload(payload);
		return;
	}

	// Stored even when the client left, so that it can resume.
	const sequence = record.store.nextSequence;
	const id = record.store.append('p', exchange.stream, payload);
	exchange.sse?.sendPayload(payload, {id, sequence});
}

function waitForStream(record: StreamableRecord, payload: Payload): void {
	record.waitingForStream.push(payload);
	record.waitingBytes += payload.size;
	payload.queuedBy = record.id;
	hold(record, payload);
	while (waitingOverflows(record)) {
		const dropped = record.waitingForStream.shift()!;
		record.waitingBytes -= dropped.size;
		release(record, dropped);
		const text = `Session ${record.id}: too many messages waited for the client to open a GET stream; dropped the oldest`;
		if (record.warnedAboutDrops) {
			record.runtime.logger.debug(text);
		} else {
			record.warnedAboutDrops = true;
			record.runtime.logger.warning(`${text} (further drops are logged at debug level)`);
		}
	}
}

/**
The client left before we answered: nothing can be delivered any more. Stateless, the request ends; otherwise its requests are cancelled at the backend, as if the client had sent `notifications/cancelled` (closing the stream is cancellation in the protocol's 2026 revision), so that nothing waits for them: not the backend, not the proxy's tables.
*/
function clientLeft(exchange: Exchange, response: ServerResponse): void {
	if (exchange.phase !== 'waiting' || exchange.response !== response) {
		return;
	}

	const {record} = exchange;
	exchange.response = undefined;
	touch(record, Date.now());
	if (record.stateless) {
		record.runtime.end(record, 'client-closed');
		return;
	}

	for (const id of abandonedRequests(record, exchange)) {
		record.runtime.logger.debug(`Session ${record.id}: the client left before the answer to request ${shownId(id)} began; cancelling it`);
		cancel(record, id);
		try {
			receive(record, cancelledNotification(id, 'The client closed its connection before the answer came'));
		} catch (error) {
			if (!(error instanceof LimitError)) {
				throw error;
			}
		}
	}
}

const exchangeOf = Symbol('exchange');
type ExchangeResponse = ServerResponse & {[exchangeOf]?: Exchange};

// One listener for every POST's response (it finds its exchange on the response): no closure per request.
function onExchangeResponseClose(this: ExchangeResponse): void {
	const exchange = this[exchangeOf];
	if (exchange) {
		this[exchangeOf] = undefined;
		clientLeft(exchange, this);
	}
}
