import type {ServerResponse} from 'node:http';
import type {Message} from '../../../types.js';
import {serializeJson} from '../../../wire/long-strings.js';
import {isResponse} from '../../../wire/message.js';
import {Payload} from '../../payload.js';
import {SseStream} from '../../sse-writer.js';
import {endWith, type SessionEndReason, type SessionRuntime} from '../record.js';
import {createLegacyRecord, type LegacyRecord} from './state.js';

/*
A legacy HTTP+SSE session at work: one SSE stream carries everything the backend sends, its first event (`endpoint`) naming where the client POSTs; the session ends when the client closes the stream.
*/

/**
The path clients POST to for a server's legacy SSE session.
*/
export function messagesPath(server: string, id: string): string {
	const base = server === '' ? '/messages/' : `/servers/${encodeURIComponent(server)}/messages/`;
	return `${base}?session_id=${id}`;
}

/**
Open a legacy session on the GET response: its stream, whose first event names the path to POST to.
*/
export function createLegacySession(runtime: SessionRuntime, id: string, server: string, response: ServerResponse): LegacyRecord {
	const record = createLegacyRecord(runtime, id, server);
	record.stream = new SseStream(response, runtime.keepAlive, undefined, record);
	record.stream.onClose = () => {
		endLegacy(record, 'client-closed');
	};

	record.stream.send(messagesPath(server, id), {event: 'endpoint'});
	return record;
}

/**
Send what the backend sends down the stream; a response frees its request's id.
*/
export function routeLegacy(record: LegacyRecord, message: Message): void {
	let payload: Payload;
	if (isResponse(message)) {
		record.pending.delete(message.id!);
		payload = new Payload(serializeJson(message), 'response');
	} else {
		payload = record.runtime.budget.payloadOf(message);
	}

	record.stream.sendPayload(payload, {event: 'message'});
}

/**
End a legacy session (see `endWith`): its stream ends.
*/
export function endLegacy(record: LegacyRecord, reason: SessionEndReason): void {
	endWith(record, reason, closeLegacy);
}

function closeLegacy(record: LegacyRecord): void {
	record.stream.end();
}

/**
A legacy session keeps nothing for resumption, and its notifications the queue budget sheds itself: nothing to let go of here (0).
*/
export function shedLegacy(_record: LegacyRecord): number {
	return 0;
}
