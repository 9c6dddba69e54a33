/*
The JSON-RPC error answers owed when the remote's HTTP goes wrong: a request refused with an error status, and an event too large to read on a long-lived stream.
*/
import {errorCodes, tooLargeMessage} from '../errors.js';
import {errorResponse, sniffMessage} from '../wire/message.js';
import type {OversizeEvent} from '../wire/sse-reader.js';
import {parseJson} from '../wire/exact-numbers.js';
import type {ErrorResponse, RequestId} from '../types.js';
import {raiseWith, type SettingNames} from '../setting-names.js';
import {previewText} from './body.js';

/**
Turn an HTTP error status for a request into its JSON-RPC error reply: the server's own JSON-RPC error when the body has one, else an error naming the status and the start of the body.
*/
export function httpErrorReply({id, method}: {id: RequestId; method: string}, {status, statusText}: {status: number; statusText: string}, body: string): ErrorResponse {
	try {
		const parsed = parseJson(body) as {error?: {code?: unknown; message?: unknown; data?: unknown}};
		const {error} = parsed;
		if (error && typeof error.code === 'number' && typeof error.message === 'string') {
			return errorResponse(id, error.code, `The remote server refused \`${method}\` (HTTP ${status}): ${error.message}`, error.data);
		}
	} catch {
		// Not JSON: described below.
	}

	const code = status === 502 || status === 503 || status === 504 ? errorCodes.upstreamUnavailable : errorCodes.internalError;
	const preview = previewText(body);
	return errorResponse(id, code, `The remote server answered \`${method}\` with HTTP ${status}${statusText ? ` ${statusText}` : ''}${preview ? `: ${preview}` : ''}`);
}

/**
An event over the limit that a long-lived stream (a GET stream, a legacy SSE session) skipped: the line to log, and the error answer it is owed when its id can be told from its first or last characters, for the remote (one of its requests) or for the client (a response to one of the client's). The texts say to raise the transport's `maxMessageBytes` as `settingNames` names it.
*/
export function oversizeEventReply(event: OversizeEvent, limit: number, origin: string, settingNames: SettingNames | undefined): {log: string; toRemote?: ErrorResponse; toClient?: ErrorResponse} {
	const raise = raiseWith(settingNames, 'maxMessageBytes');
	const log = `${tooLargeMessage(`An event on ${origin}`, limit, undefined, raise)}; it was skipped. It began ${previewText(event.head, 120)}`;
	const sniffed = sniffMessage(event.head, event.tail);
	if (sniffed?.kind === 'request') {
		return {log, toRemote: errorResponse(sniffed.id, errorCodes.messageTooLarge, tooLargeMessage('The request', limit, undefined, raise))};
	}

	if (sniffed) {
		return {log, toClient: errorResponse(sniffed.id, errorCodes.messageTooLarge, tooLargeMessage('The remote server\'s answer', limit, undefined, raise))};
	}

	return {log};
}
