import type {Message, RequestId} from '../../../types.js';
import {IdMap} from '../../../wire/id-map.js';
import {isNotification, isRequest} from '../../../wire/message.js';
import type {SseStream} from '../../sse-writer.js';
import {baseRecord, type SessionBase, type SessionRuntime} from '../record.js';

/*
The state of a legacy HTTP+SSE session (protocol 2024-11-05), as a plain record: its one SSE stream, and the client's requests still waiting for their answer (an id may not be used again until answered or cancelled). The stream is a handle the facts here only look at.
*/

export type LegacyRecord = SessionBase & {
	readonly kind: 'sse';
	/**
	The stream that carries everything the backend sends; set once, as the session opens.
	*/
	stream: SseStream;
	readonly pending: IdMap<RequestId, true>;
};

/**
A new legacy session's record, without its stream yet (`legacy/index.ts` opens it). Its `session.transport` is added by `sessions/index.ts`.
*/
export function createLegacyRecord(runtime: SessionRuntime, id: string, server: string): LegacyRecord {
	// Object.assign, not a spread: a spread's result here got a map of its own per record (no transition tree), which cost memory per session and made every access to it megamorphic.
	return Object.assign(baseRecord(runtime, {
		id, server, face: 'sse', stateless: false, era: '2025', transport: notOpen,
	}), {
		kind: 'sse' as const,
		stream: undefined as unknown as SseStream,
		pending: new IdMap<RequestId, true>(),
	});
}

function notOpen(): never {
	throw new Error('The transport of this session is not open yet');
}

/**
Note a client's request (now pending) or cancellation (no longer pending) taken for the backend.
*/
export function track(record: LegacyRecord, message: Message): void {
	if (isRequest(message)) {
		record.pending.set(message.id, true);
	} else if (isNotification(message) && message.method === 'notifications/cancelled') {
		const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
		if (requestId !== undefined) {
			record.pending.delete(requestId);
		}
	}
}

/**
Whether its stream is open: an open legacy session is never idle.
*/
export function legacyBusy(record: LegacyRecord): boolean {
	return record.stream.isOpen;
}

/**
Whether a request of the client's still waits for its answer.
*/
export function legacyAwaitsAnswer(record: LegacyRecord): boolean {
	return record.pending.size > 0;
}
