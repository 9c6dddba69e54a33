import {legacyAwaitsAnswer, legacyBusy, type LegacyRecord} from './legacy/state.js';
import {streamableAwaitsAnswer, streamableBusy, type StreamableRecord} from './streamable/state.js';

/*
What the session table asks of a session, whatever its face, answered from its record alone (pure): is it busy, does it wait for an answer.
*/

/**
A session's record, of either face.
*/
export type SessionRecord = StreamableRecord | LegacyRecord;

/**
Whether the session has a live HTTP stream or a request waiting for its answer: such a session is not idle.
*/
export function isBusy(record: SessionRecord): boolean {
	return record.kind === 'streamable' ? streamableBusy(record) : legacyBusy(record);
}

/**
Whether a request of the client's still waits for its answer, with the client there to take it: a half-open session doing so is not abandoned (a shared server may take a while to start).
*/
export function isAwaitingAnswer(record: SessionRecord): boolean {
	return record.kind === 'streamable' ? streamableAwaitsAnswer(record) : legacyAwaitsAnswer(record);
}
