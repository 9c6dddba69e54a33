/*
The standalone GET stream of a session: the server's own requests and notifications. Opened once the session is initialized and reopened whenever it ends (with `Last-Event-ID`, after a delay from the one backoff), given up on a 405 (the server has none) or an error status that says trying again is useless; a 404 means the server forgot the session.
*/
import {
	defer, EMPTY, ignoreElements, type Observable, type ObservableInput, repeat, tap, timer, using,
} from 'rxjs';
import {exponentialBackoff} from '../../backoff.js';
import {describeFetchError} from '../../http/connect-errors.js';
import {contentType, previewText, readStart} from '../../http/body.js';
import {oversizeEventReply} from '../../http/error-replies.js';
import {AbortScope} from '../../http/abort-scope.js';
import type {OversizeEvent} from '../../wire/sse-reader.js';
import {fetchOrFail, type ExchangeContext} from './context.js';
import {readStream, type StreamOutcome} from './event-stream.js';
import {defaultRetry} from './resume.js';
import {expired, requestHeaders, sessionEvents} from './session-state.js';

/**
Where the GET stream got to: the last event id, the server's `retry:`, and how many times in a row it failed or ended empty.
*/
export type GetStreamCursor = {
	lastEventId: string | undefined;
	retry: number;
	failures: number;
};

export function createGetStreamCursor(): GetStreamCursor {
	return {lastEventId: undefined, retry: defaultRetry, failures: 0};
}

const maxReopenDelay = 30_000;
const maxRefusals = 5;

function reopenDelay(base: number, failures: number): number {
	return exponentialBackoff({initialDelay: Math.min(base, maxReopenDelay), maxDelay: maxReopenDelay, maxDoublings: 5})(failures);
}

/**
The server refused the GET stream with `status` (not 404 or 405): the delay before trying again, or `undefined` when trying again is useless (a status that will not change, or too many refusals in a row).
*/
export function afterRefusal(cursor: GetStreamCursor, status: number): number | undefined {
	cursor.failures++;
	const again = (status >= 500 || status === 409 || status === 429) && cursor.failures <= maxRefusals;
	return again ? reopenDelay(cursor.retry, cursor.failures) : undefined;
}

/**
The GET stream ended (or broke) with `outcome`: the delay before reopening it. A stream that carried events resets the backoff.
*/
export function afterEnd(cursor: GetStreamCursor, outcome: Pick<StreamOutcome, 'lastEventId' | 'retry' | 'events'>): number {
	cursor.lastEventId = outcome.lastEventId ?? cursor.lastEventId;
	cursor.retry = outcome.retry ?? cursor.retry;
	cursor.failures = outcome.events > 0 ? 0 : cursor.failures + 1;
	return reopenDelay(Math.max(100, cursor.retry), cursor.failures);
}

/**
Open the GET stream once and read it to its end. Resolves to the delay before opening it again, or `undefined` to stop.
*/
async function openOnce(context: ExchangeContext, cursor: GetStreamCursor, signal: AbortSignal, onOversize: (event: OversizeEvent) => void): Promise<number | undefined> {
	const {state, logger} = context;
	if (state.ended) {
		return undefined;
	}

	const extra: Record<string, string> = {accept: 'text/event-stream'};
	if (cursor.lastEventId !== undefined) {
		extra['last-event-id'] = cursor.lastEventId;
	}

	const response = await fetchOrFail(context, {method: 'GET', headers: requestHeaders(state, context.fixedHeaders, extra)}, {signal});
	if (!response || response.status === 405 || (response.status === 404 && state.sessionId !== undefined)) {
		void response?.body?.cancel();
		if (response?.status === 405) {
			logger.debug('The remote server offers no GET stream (HTTP 405)');
		} else if (response) {
			context.dispatch({type: 'refused', end: expired(state.sessionId!)});
		}

		context.dispatch(sessionEvents.getStreamSettled);
		return undefined;
	}

	if (!response.ok || !contentType(response).includes('text/event-stream') || !response.body) {
		const delay = afterRefusal(cursor, response.status);
		const body = await readStart(response, 1024);
		context.dispatch(sessionEvents.getStreamSettled);
		const consequence = delay === undefined ? '; its requests and notifications outside of responses will not arrive' : '; trying again';
		logger.warning(`The remote server refused the GET stream for server-initiated messages (HTTP ${response.status}${body ? `: ${previewText(body)}` : ''})${consequence}`);
		return delay;
	}

	context.dispatch(sessionEvents.getStreamSettled);
	const outcome = await readStream(context, response.body, 'the GET stream', {onOversize});
	if (state.ended) {
		return undefined;
	}

	const delay = afterEnd(cursor, outcome);
	logger.debug(`The GET stream ended${outcome.error ? ` (${describeFetchError(outcome.error, context.settingNames)})` : ''}; reopening it`);
	return delay;
}

/**
Run `open` (a stream's whole life, resolving to the delay before the next one, or `undefined` to stop) again and again, each time after the delay it gave.
*/
export function reopening(open: () => ObservableInput<number | undefined>): Observable<never> {
	let next: number | undefined;
	return defer(open).pipe(
		tap(delay => {
			next = delay;
		}),
		repeat({delay: () => (next === undefined ? EMPTY : timer(next))}),
		ignoreElements(),
	);
}

/**
The GET stream for as long as it is subscribed: opened, read, reopened after each end. Everything it receives goes to the session through `context.dispatch`; unsubscribing closes it.
*/
export function getStream(context: ExchangeContext): Observable<never> {
	const cursor = createGetStreamCursor();
	/**
	An event over the limit, skipped: the request of the remote's or the answer it was is answered with an error, when its id can be told.
	*/
	const onOversize = (event: OversizeEvent) => {
		const {log, toRemote, toClient} = oversizeEventReply(event, context.maxMessageBytes, 'the GET stream', context.settingNames);
		context.logger.error(log);
		if (toRemote) {
			context.dispatch({type: 'answer-remote', message: toRemote});
		} else if (toClient) {
			context.dispatch({type: 'receive', message: toClient});
		}
	};

	return using(() => new AbortScope(context.signal), scope => reopening(async () => openOnce(context, cursor, (scope as AbortScope).signal, onOversize)));
}
