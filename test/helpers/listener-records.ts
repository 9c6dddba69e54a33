import type {ServerResponse} from 'node:http';
import {createLogger} from '../../source/logger.js';
import {createQueueBudget} from '../../source/listeners/queue-budget/index.js';
import {
	closeReasons, createRuntime, cutSession, openStreamable, shedOne, type SessionEndReason, type SessionRecord, type SessionRuntime,
} from '../../source/listeners/sessions/index.js';
import {createLegacyRecord, type LegacyRecord} from '../../source/listeners/sessions/legacy/state.js';
import {createStreamableRecord, type StreamableRecord} from '../../source/listeners/sessions/streamable/state.js';
import {KeepAlive, type SseStream} from '../../source/listeners/sse-writer.js';

/*
Session records for the listener's step tests: real records, built without a socket. Handles (an HTTP response, an SSE stream) are stand-ins the pure steps only look at.
*/

export const quiet = createLogger({level: 'silent'});

/**
A runtime as a listener makes it; `ended` reports to `onEnded` (a session table, say).
*/
export function testRuntime(onEnded: (record: SessionRecord, reason: SessionEndReason) => void = () => undefined): SessionRuntime {
	return createRuntime({
		logger: quiet,
		keepAlive: new KeepAlive(0),
		budget: createQueueBudget<SessionRecord>({
			limit: 1024 * 1024, logger: quiet, shedOne, cut: cutSession,
		}),
		eventStoreLimit: 100,
		eventStoreBytes: 1024 * 1024,
		toolDeclarations: new Map(),
		closeReasons: closeReasons(undefined),
		ended(record, reason) {
			onEnded(record as SessionRecord, reason);
		},
	});
}

export function streamable(id: string, options: {server?: string; stateless?: boolean; runtime?: SessionRuntime} = {}): StreamableRecord {
	return createStreamableRecord(options.runtime ?? testRuntime(), id, options.server ?? '', options.stateless ?? false);
}

/**
A Streamable HTTP session with its transport, as the listener opens it.
*/
export function openedStreamable(runtime: SessionRuntime, id: string): StreamableRecord {
	return openStreamable(runtime, id, '', false);
}

/**
A legacy session whose stream is a stand-in, open or not.
*/
export function legacy(id: string, options: {open?: boolean; server?: string} = {}): LegacyRecord {
	const record = createLegacyRecord(testRuntime(), id, options.server ?? '');
	record.stream = {isOpen: options.open ?? true} as unknown as SseStream;
	return record;
}

/**
A stand-in for an HTTP response or an SSE stream: the steps only look at whether one is there.
*/
export function handle<T extends ServerResponse | SseStream>(name: string): T {
	return {name} as unknown as T;
}
