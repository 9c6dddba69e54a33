/*
What the I/O parts of the Streamable HTTP client (the POST exchange, the GET stream, resumption) share: the configuration, the session state to read (never to change: they report through `dispatch`), and one request of the session's whose failure becomes an event.
*/
import {
	AuthError, errorCodes, RedirectError, TransportError,
} from '../../errors.js';
import type {Logger} from '../../logger.js';
import type {SettingNames} from '../../setting-names.js';
import {stringifyJson} from '../../wire/exact-numbers.js';
import {shownId} from '../../wire/id-map.js';
import {errorResponse, isRequest} from '../../wire/message.js';
import type {Message, Request} from '../../types.js';
import type {FetchLike} from '../../http/fetch-middleware.js';
import {describeFetchError, isAbort, isConnectFailure} from '../../http/connect-errors.js';
import type {SessionEvent, SessionState} from './session-state.js';

export type ExchangeContext = {
	readonly url: URL;
	readonly fetch: FetchLike;
	readonly fixedHeaders: Readonly<Record<string, string>>;
	readonly maxMessageBytes: number;
	readonly maxResumeAttempts: number;
	readonly detectUnsupported: boolean;
	readonly settingNames: SettingNames | undefined;
	readonly logger: Logger;
	/**
	The transport's signal: aborted when it ends.
	*/
	readonly signal: AbortSignal;
	readonly state: Readonly<SessionState>;
	dispatch(event: SessionEvent): void;
};

/**
Answer a request of the client's with an error of ours, and log it.
*/
export function answerFailed(context: ExchangeContext, {id, method}: Request, message: string, code: number = errorCodes.connectionClosed): void {
	context.logger.error(`\`${method}\` (id ${stringifyJson(id)}) failed: ${message}`);
	context.dispatch({type: 'receive', message: errorResponse(id, code, message)});
}

export type FetchOptions = {
	/**
	The message POSTed, if any.
	*/
	message?: Message;
	/**
	What ends the request.

	@default the transport's signal
	*/
	signal?: AbortSignal;
	/**
	The request it answers, when it is not `message` (a resumed stream's).
	*/
	answering?: Request;
};

/**
Send a request of the transport's. Resolves to its response, or to nothing when it failed: then, if it failed for good (credentials, a redirect not followed), the request it answers gets the error; a connection that never opened is a refusal (the message certainly did not reach the server); any other failure breaks the transport.
*/
export async function fetchOrFail(context: ExchangeContext, init: RequestInit, options: FetchOptions = {}): Promise<Response | undefined> {
	const {url, logger} = context;
	const {message, signal: requestSignal = context.signal, answering} = options;
	try {
		return await context.fetch(url, {...init, signal: requestSignal});
	} catch (error) {
		if (requestSignal.aborted || isAbort(error)) {
			return undefined;
		}

		const request = answering ?? (message && isRequest(message) ? message : undefined);
		if (error instanceof RedirectError) {
			// The redirect policy logged it once; the request is answered with what it says.
			if (request) {
				logger.debug(`\`${request.method}\` (id ${shownId(request.id)}) failed: ${error.message}`);
				context.dispatch({type: 'receive', message: errorResponse(request.id, errorCodes.internalError, error.message)});
			}
		} else if (error instanceof AuthError) {
			if (request) {
				answerFailed(context, request, error.message, errorCodes.internalError);
			} else {
				logger.error(error.message);
			}
		} else if (isConnectFailure(error)) {
			context.dispatch({
				type: 'refused', end: {kind: 'connect', text: `Cannot connect to ${url.href}: ${describeFetchError(error, context.settingNames)}`, cause: error}, message,
			});
		} else {
			context.dispatch({type: 'broken', error: new TransportError(`The connection to ${url.href} failed: ${describeFetchError(error, context.settingNames)}`, {cause: error})});
		}

		return undefined;
	}
}
