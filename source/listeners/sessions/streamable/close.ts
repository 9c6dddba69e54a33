import {errorCodes} from '../../../errors.js';
import {stringifyJson} from '../../../wire/exact-numbers.js';
import {errorResponse} from '../../../wire/message.js';
import {release} from '../../payload.js';
import {SseStream} from '../../sse-writer.js';
import {endWith, type SessionEndReason} from '../record.js';
import {deliverAnswer, releaseCollected} from './exchange.js';
import {answered} from './route.js';
import {isAttached, type StreamableRecord} from './state.js';

/*
The end of a Streamable HTTP session and its shedding: requests still waiting get a JSON-RPC error where their client still listens, every stream ends, what waited is let go; and the queue budget's way to take back its oldest notification.
*/

/**
End a Streamable HTTP session (see `endWith`).
*/
export function endStreamable(record: StreamableRecord, reason: SessionEndReason): void {
	endWith(record, reason, closeStreamable);
}

function closeStreamable(record: StreamableRecord, reason: SessionEndReason): void {
	const text = record.runtime.closeReasons[reason];
	for (const [id, pending] of record.pending.entries()) {
		if (isAttached(pending.exchange)) {
			deliverAnswer(answered(pending.exchange), stringifyJson(errorResponse(id, errorCodes.connectionClosed, text)));
		}
	}

	for (const exchange of record.exchanges) {
		releaseCollected(exchange);
		exchange.sse?.end();
		if (exchange.phase === 'waiting' && exchange.response) {
			// Nothing owed any more (cancelled requests): an empty stream.
			new SseStream(exchange.response, record.runtime.keepAlive, record.headers).end();
		}

		exchange.phase = 'done';
	}

	record.exchanges.length = 0;
	record.pending.clear();
	record.tokens.clear();
	record.standalone?.sse.end();
	record.standalone = undefined;
	for (const payload of record.waitingForStream) {
		release(record, payload);
	}

	record.waitingForStream = [];
	record.waitingBytes = 0;
	record.store.clear();
}

/**
Let go of the session's oldest copy kept for resumption of a response or request already written (notifications the queue budget sheds itself, everywhere at once). Returns its size, 0 when it holds none.
*/
export function shedStreamable(record: StreamableRecord): number {
	return record.store.shedOldest();
}
