import type {ServerResponse} from 'node:http';
import {parseEventId} from '../../event-store.js';
import {Payload, release} from '../../payload.js';
import {SseStream} from '../../sse-writer.js';
import {touch} from '../record.js';
import {attachExchange, sendStandalone} from './exchange.js';
import {resumeTarget} from './route.js';
import type {StreamableRecord} from './state.js';

/*
The GET side of a Streamable HTTP session: the standalone stream (one at a time; what waited for it goes first) and the resumption of a stream after `Last-Event-ID`, which replays what the client missed from the event store and carries on where the decisions of `route.ts` say.
*/

/**
The event a new standalone stream starts with: an id to resume from, no message.
*/
export const primingPayload = new Payload('', 'notification');

/**
Open the standalone stream (GET) on `response`; the caller made sure none is open. A client of protocol version 2025-11-25 or later gets a priming event first: an id to resume from before any message came.
*/
export function openStandalone(record: StreamableRecord, response: ServerResponse, protocolVersion: string): void {
	const stream = ++record.streamCounter;
	const sse = new SseStream(response, record.runtime.keepAlive, record.headers, record);
	if (protocolVersion >= '2025-11-25') {
		sse.write(`id: ${record.store.append('g', stream, primingPayload)}\ndata: \n\n`);
	}

	attachStandalone(record, sse, stream);
}

/**
Resume a stream after `Last-Event-ID` (which `resumeProblem` accepted): replay what it missed, then carry on (the rest of a POST's answer, or the standalone stream).
*/
export function resume(record: StreamableRecord, response: ServerResponse, lastEventId: string): void {
	const key = parseEventId(lastEventId)!;
	if (record.store.droppedAfter(key.sequence)) {
		const {eventStoreLimit, eventStoreBytes, logger} = record.runtime;
		const bounds = `${eventStoreLimit} events, ${eventStoreBytes} bytes`;
		logger.warning(`Session ${record.id}: resumed after event ${lastEventId.slice(0, 40)}; later events were dropped to keep the event store within ${bounds}: replay may be incomplete`);
	}

	const sse = new SseStream(response, record.runtime.keepAlive, record.headers, record);
	for (const event of record.store.after(key)) {
		if (event.payload !== primingPayload) {
			sse.sendPayload(event.payload, {id: event.id, sequence: event.sequence});
		}
	}

	const target = resumeTarget(record, key.kind, key.stream);
	switch (target.type) {
		case 'standalone': {
			if (record.standalone) {
				// The client came back on its old stream: the newer one ends.
				record.standalone.sse.onClose = undefined;
				record.standalone.sse.end();
				record.standalone = undefined;
			}

			attachStandalone(record, sse, key.stream);
			break;
		}

		case 'exchange': {
			const {exchange} = target;
			if (exchange.sse) {
				// The old connection is presumed dead; the newest one wins.
				exchange.sse.onClose = undefined;
				exchange.sse.destroy();
			}

			attachExchange(exchange, sse);
			break;
		}

		case 'finished': {
			sse.end();
			break;
		}
	}
}

function attachStandalone(record: StreamableRecord, sse: SseStream, stream: number): void {
	const standalone = {sse, stream};
	record.standalone = standalone;
	sse.onClose = () => {
		if (record.standalone === standalone) {
			record.standalone = undefined;
			touch(record, Date.now());
		}
	};

	const waiting = record.waitingForStream;
	record.waitingForStream = [];
	record.waitingBytes = 0;
	for (const payload of waiting) {
		sendStandalone(record, standalone, payload);
		release(record, payload);
	}
}
