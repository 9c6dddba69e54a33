/*
Resuming a response stream that ended before its response: GET with `Last-Event-ID`, each attempt after the server's `retry:` (1 s by default), at most `maxResumeAttempts` of them, until one answers the request or cannot resume.
*/
import {
	concatMap, defer, first, fromEvent, lastValueFrom, NEVER, type Observable, repeat, takeUntil, timer,
} from 'rxjs';
import {MessageTooLargeError, errorCodes} from '../../errors.js';
import type {Request} from '../../types.js';
import {contentType} from '../../http/body.js';
import {answerFailed, fetchOrFail, type ExchangeContext} from './context.js';
import {readStream} from './event-stream.js';
import {expired, requestHeaders} from './session-state.js';

/**
The wait before resuming or reopening a stream when the server gave no `retry:`, in milliseconds.
*/
export const defaultRetry = 1000;

/**
How one attempt went: `'answered'` (the request is taken care of: answered, given an error answer, or nobody waits for it any more), `'gave-up'` (the server cannot resume it), `'again'` (the stream broke again before the answer).
*/
export type ResumeVerdict = 'answered' | 'gave-up' | 'again';

/**
Run `attempt$` after `wait()` milliseconds, again and again while it says `'again'`, at most `maxAttempts` times, until `stop$`. Emits the first other verdict, or `'exhausted'`.
*/
export type ResumeAttemptsOptions = {
	maxAttempts: number;
	wait: () => number;
	stop$?: Observable<unknown>;
};

export function resumeAttempts(attempt$: Observable<ResumeVerdict>, options: ResumeAttemptsOptions): Observable<ResumeVerdict | 'exhausted'> {
	const {maxAttempts, wait, stop$ = NEVER} = options;
	return defer(() => timer(wait()).pipe(concatMap(() => attempt$))).pipe(
		repeat(maxAttempts),
		takeUntil(stop$),
		first(verdict => verdict !== 'again', 'exhausted' as const),
	);
}

type Cursor = {lastEventId: string; wait: number};

async function resumeOnce(context: ExchangeContext, request: Request, cursor: Cursor, signal: AbortSignal): Promise<ResumeVerdict> {
	const {state, logger} = context;
	const {method} = request;
	if (state.ended) {
		return 'answered';
	}

	const headers = requestHeaders(state, context.fixedHeaders, {accept: 'text/event-stream', 'last-event-id': cursor.lastEventId});
	const response = await fetchOrFail(context, {method: 'GET', headers}, {signal, answering: request});
	if (!response) {
		return 'answered';
	}

	if (response.status === 404 && state.sessionId !== undefined) {
		void response.body?.cancel();
		context.dispatch({type: 'refused', end: expired(state.sessionId)});
		return 'answered';
	}

	if (!response.ok || !contentType(response).includes('text/event-stream') || !response.body) {
		logger.warning(`Cannot resume the response stream of \`${method}\`: HTTP ${response.status}`);
		void response.body?.cancel();
		return 'gave-up';
	}

	const outcome = await readStream(context, response.body, `the resumed stream of \`${method}\``, {pending: request});
	if (outcome.answered || state.ended || signal.aborted) {
		return 'answered';
	}

	if (outcome.error instanceof MessageTooLargeError) {
		answerFailed(context, request, `${outcome.error.message} (on the resumed stream of \`${method}\`)`, errorCodes.messageTooLarge);
		return 'answered';
	}

	cursor.lastEventId = outcome.lastEventId ?? cursor.lastEventId;
	cursor.wait = outcome.retry ?? cursor.wait;
	return 'again';
}

/**
Resume the response stream of `request`, which ended after event `lastEventId` (the server's `retry:` given) without its answer. Resolves to whether the request is taken care of; when not, it is still owed an answer.
*/
export async function resume(context: ExchangeContext, request: Request, {lastEventId, retry}: {lastEventId: string; retry: number | undefined}, signal: AbortSignal): Promise<boolean> {
	if (signal.aborted) {
		return true;
	}

	const cursor: Cursor = {lastEventId, wait: retry ?? defaultRetry};
	const verdict = await lastValueFrom(resumeAttempts(defer(async () => resumeOnce(context, request, cursor, signal)), {
		maxAttempts: context.maxResumeAttempts,
		wait: () => cursor.wait,
		stop$: fromEvent(signal, 'abort'),
	}));
	return verdict === 'exhausted' ? signal.aborted : verdict === 'answered';
}
