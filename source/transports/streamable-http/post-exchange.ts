/*
One POST of the session and its answer: a JSON body or an event stream (resumed when it breaks before the answer), 202 for a notification or an answer that comes later, an error status answered with a JSON-RPC error, every body within the size limit. The request it carries gets exactly one answer, from the server or made up here.
*/
import {MessageTooLargeError, UnsupportedTransportError, errorCodes} from '../../errors.js';
import {jsonBody} from '../../wire/long-strings.js';
import {parseJson, stringifyJson} from '../../wire/exact-numbers.js';
import {isRequest} from '../../wire/message.js';
import {modernVersionOf, unsupportedVersionCode} from '../../wire/modern.js';
import type {Message, Request} from '../../types.js';
import {raiseWith, settingName} from '../../setting-names.js';
import {describeFetchError} from '../../http/connect-errors.js';
import {
	contentType, previewText, readLimitedText, readStart,
} from '../../http/body.js';
import {httpErrorReply} from '../../http/error-replies.js';
import {answerFailed, fetchOrFail, type ExchangeContext} from './context.js';
import {deliver, readStream} from './event-stream.js';
import {resume} from './resume.js';
import {expired, requestHeaders} from './session-state.js';

const postHeaders = {'content-type': 'application/json', accept: 'application/json, text/event-stream'};

/**
POST a message. Resolves to the response, if there is one and the server did not refuse the message for want of its session.
*/
async function postMessage(context: ExchangeContext, message: Message, signal: AbortSignal): Promise<Response | undefined> {
	const {state} = context;
	// A modern message names no session: a 404 is its answer (an unknown method), not the session's end.
	const session = modernVersionOf(message) === undefined ? state.sessionId : undefined;
	const response = await fetchOrFail(context, {
		method: 'POST',
		headers: requestHeaders(state, context.fixedHeaders, postHeaders, message),
		body: jsonBody(message),
	}, {message, signal});

	if (response?.status === 404 && session !== undefined && !(isRequest(message) && message.method === 'initialize')) {
		// Refused for the old session: not processed.
		void response.body?.cancel();
		context.dispatch({type: 'refused', end: expired(session), message});
		return undefined;
	}

	return response;
}

/**
Whether an error answer's body is the JSON-RPC error of a server of the modern era refusing the version asked for (-32022, unsupported protocol version): the versioning page's "recognized modern error", proof that the server speaks Streamable HTTP.
*/
function isModernRefusal(body: string): boolean {
	try {
		return (parseJson(body) as {error?: {code?: unknown}} | undefined)?.error?.code === unsupportedVersionCode;
	} catch {
		return false;
	}
}

/**
A POST answered with an error status: the request, if any, is answered with a JSON-RPC error (the server's own when the body has one). With `detectUnsupported`, a 2025 `initialize` refused with 400, 404 or 405 ends the transport instead: the server does not speak Streamable HTTP; unless the refusal is a modern server's (a 2026-07-28-only server refuses the 2025 handshake with -32022), which is the initialize's answer. An `initialize` that claims a modern version is only a request (a modern server answers it 404, -32601: the method does not exist in that era).
*/
async function onHttpError(context: ExchangeContext, message: Message, response: Response): Promise<void> {
	const {logger} = context;
	const request = isRequest(message) ? message : undefined;
	const body = await readStart(response, 4096);
	if (request?.method === 'initialize' && context.detectUnsupported && [400, 404, 405].includes(response.status) && modernVersionOf(request) === undefined && !isModernRefusal(body)) {
		const preview = previewText(body, 120);
		const text = `The remote server answered the Streamable HTTP initialize with HTTP ${response.status}${preview ? `: ${preview}` : ''}`;
		context.dispatch({type: 'failed', error: new UnsupportedTransportError(text, response.status)});
		return;
	}

	if (response.status === 401) {
		logger.error(`The remote server refused our credentials (HTTP 401). Check ${settingName(context.settingNames, 'headers')} and ${settingName(context.settingNames, 'auth')}.`);
	}

	if (!request) {
		logger.error(`The remote server refused a message (HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}): ${previewText(body)}`);
		return;
	}

	const reply = httpErrorReply(request, response, body);
	if (request.method === 'initialize' && isModernRefusal(body)) {
		// A 2026-only server refusing the 2025 handshake: its answer, not a failure (client mode bridges the client to that era).
		logger.info(reply.error.message);
	} else {
		logger.error(reply.error.message);
	}

	context.dispatch({type: 'receive', message: reply});
}

async function onEventStream(context: ExchangeContext, request: Request, body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
	const {method} = request;
	const outcome = await readStream(context, body, `the response stream of \`${method}\``, {pending: request});
	// Aborted: the transport closed, or the request was cancelled (nobody waits for its answer).
	if (outcome.answered || context.state.ended || signal.aborted) {
		return;
	}

	if (outcome.error instanceof MessageTooLargeError) {
		// Not resumed: the server would send the same event again.
		answerFailed(context, request, `${outcome.error.message} (on the response stream of \`${method}\`)`, errorCodes.messageTooLarge);
		return;
	}

	// A modern request's stream is not resumed (2026-07-28 has no resumption): the request is lost, and the client may send it again.
	const modern = modernVersionOf(request) !== undefined;
	if (!modern && outcome.lastEventId !== undefined && await resume(context, request, {lastEventId: outcome.lastEventId, retry: outcome.retry}, signal)) {
		return;
	}

	if (!context.state.ended) {
		const why = outcome.error ? `: ${describeFetchError(outcome.error)}` : '';
		const lost = modern ? ' (a modern request is not resumed: send it again)' : '';
		answerFailed(context, request, `The remote server ended the response stream before answering \`${method}\`${why}${lost}`);
	}
}

async function onJson(context: ExchangeContext, request: Request, response: Response, signal: AbortSignal): Promise<void> {
	const {method} = request;
	let text: string;
	try {
		text = await readLimitedText(response, context.maxMessageBytes, `The remote server's answer to \`${method}\``, raiseWith(context.settingNames, 'maxMessageBytes'));
	} catch (error) {
		if (error instanceof MessageTooLargeError) {
			answerFailed(context, request, error.message, errorCodes.messageTooLarge);
		} else if (!signal.aborted) {
			answerFailed(context, request, `Reading the remote server's answer to \`${method}\` failed: ${describeFetchError(error, context.settingNames)}`);
		}

		return;
	}

	if (!deliver(context, text, `an answer to \`${method}\``, request) && !context.state.ended) {
		answerFailed(context, request, `The remote server's reply to \`${method}\` held no response to it`);
	}
}

/**
POST `message` (`request` when it is one) and handle its answer. `signal` ends the exchange: the request's own (cancelled), or the transport's.
*/
export async function postExchange(context: ExchangeContext, message: Message, request: Request | undefined, signal: AbortSignal): Promise<void> {
	const response = await postMessage(context, message, signal);
	if (!response || context.state.ended) {
		void response?.body?.cancel();
		return;
	}

	if (!response.ok) {
		await onHttpError(context, message, response);
		return;
	}

	if (!request) {
		void response.body?.cancel();
		return;
	}

	if (request.method === 'initialize') {
		context.dispatch({type: 'session-assigned', sessionId: response.headers.get('mcp-session-id') ?? undefined});
	}

	const type = contentType(response);
	if (type.includes('text/event-stream') && response.body) {
		await onEventStream(context, request, response.body, signal);
	} else if (type.includes('application/json')) {
		await onJson(context, request, response, signal);
	} else if (response.status === 202 && modernVersionOf(request) === undefined) {
		// Some servers answer later, on the GET stream.
		void response.body?.cancel();
		context.logger.debug(`The remote server accepted \`${request.method}\` (id ${stringifyJson(request.id)}) without answering; waiting for the answer on the GET stream`);
	} else {
		const body = await readStart(response, 2048);
		const preview = body ? `: ${previewText(body)}` : '';
		const text = `The remote server answered \`${request.method}\` with content type \`${type || 'none'}\` instead of JSON or an event stream${preview}`;
		answerFailed(context, request, text, errorCodes.internalError);
	}
}
