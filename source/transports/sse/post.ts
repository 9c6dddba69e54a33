/*
One POST of a legacy SSE session, to the endpoint the server named, and its answer status: the reply itself comes on the event stream. An error status answers the request with a JSON-RPC error; a connection refused or a 404 (the session is gone) is a refusal: the server certainly did not process the message.
*/
import {
	AuthError, errorCodes, RedirectError, TransportError,
} from '../../errors.js';
import {jsonBody} from '../../wire/long-strings.js';
import {errorResponse, isRequest} from '../../wire/message.js';
import type {Message, Request} from '../../types.js';
import {previewText, readStart} from '../../http/body.js';
import {describeFetchError, isAbort, isConnectFailure} from '../../http/connect-errors.js';
import {httpErrorReply} from '../../http/error-replies.js';
import type {SseContext} from './context.js';
import {sseEvents} from './session-state.js';

/**
A POST that had no answer status.
*/
function onPostFailure(context: SseContext, message: Message, error: unknown, aborted: boolean): void {
	if (aborted || isAbort(error)) {
		return;
	}

	const endpoint = context.state.endpoint!;
	if (isConnectFailure(error)) {
		// The connection never opened: the message certainly did not reach the server.
		context.dispatch({
			type: 'refused', end: {kind: 'connect', text: `Cannot connect to ${endpoint.href}: ${describeFetchError(error, context.settingNames)}`, cause: error}, message,
		});
		return;
	}

	if (error instanceof AuthError || error instanceof RedirectError) {
		// A redirect not followed is logged once by the redirect policy.
		if (error instanceof AuthError) {
			context.logger.error(error.message);
		}

		if (isRequest(message)) {
			context.dispatch({type: 'receive', message: errorResponse(message.id, errorCodes.internalError, error.message)});
		}

		return;
	}

	// During a refusal, the refusal ends the transport; this message may have reached the server, so it is not unsent.
	context.dispatch({type: 'broken', error: new TransportError(`Sending a message to ${endpoint.href} failed: ${describeFetchError(error, context.settingNames)}`, {cause: error})});
}

const postHeaders = {'content-type': 'application/json'};

/**
POST `message` (`request` when it is one) to the session's endpoint. `signal` ends the exchange: the request's own (cancelled), or the transport's.
*/
export async function postMessage(context: SseContext, message: Message, request: Request | undefined, signal: AbortSignal): Promise<void> {
	const endpoint = context.state.endpoint!;
	let response: Response | undefined;
	context.dispatch(sseEvents.postStarted);
	try {
		response = await context.fetch(endpoint, {
			method: 'POST',
			headers: {...context.fixedHeaders, ...postHeaders},
			body: jsonBody(message),
			signal,
		});
	} catch (error) {
		onPostFailure(context, message, error, context.signal.aborted || signal.aborted);
	}

	if (response?.status === 404) {
		void response.body?.cancel();
		const text = `The remote server no longer knows this SSE session (HTTP 404 from ${endpoint.pathname})`;
		context.dispatch({type: 'refused', end: {kind: 'expired', text}, message});
	}

	// Refused or not, this POST has its status: a refusal waits for the others.
	context.dispatch(sseEvents.postFinished);
	if (!response || response.status === 404) {
		return;
	}

	if (response.ok) {
		void response.body?.cancel();
		return;
	}

	const body = await readStart(response, 4096);
	if (context.state.ended) {
		return;
	}

	if (request) {
		const reply = httpErrorReply(request, response, body);
		context.logger.error(reply.error.message);
		context.dispatch({type: 'receive', message: reply});
	} else {
		context.logger.error(`The remote server refused a message (HTTP ${response.status}): ${previewText(body)}`);
	}
}
