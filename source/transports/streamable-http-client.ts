import {setMaxListeners} from 'node:events';
import {Observable} from 'rxjs';
import type {
	Message, Request, RequestId, Transport,
} from '../types.js';
import {
	AuthError,
	ConnectError,
	errorCodes,
	RedirectError,
	MessageTooLargeError,
	SessionExpiredError,
	TransportError,
	UnsupportedTransportError,
} from '../errors.js';
import {defaultLogger} from '../logger.js';
import {jsonBody} from '../wire/long-strings.js';
import {stringifyJson} from '../wire/exact-numbers.js';
import {shownId} from '../wire/id-map.js';
import {
	errorResponse,
	isNotification,
	isRequest,
	isResponse,
	sniffMessage,
} from '../wire/message.js';
import {readEventStream, type OversizeEvent} from '../wire/sse-reader.js';
import {
	checkMaxBytes,
	checkUrl,
	clientFetch,
	defaultMaxMessageBytes,
	describeFetchError,
	httpErrorReply,
	isAbort,
	isConnectFailure,
	parseMessages,
	previewText,
	oversizeEventReply,
	readLimitedText,
	readStart,
	sleep,
	staticHeadersOf,
	AnswerLane,
	type HttpClientOptions,
	Refusal,
	RequestAborts,
} from './http-shared.js';

export type StreamableHttpClientOptions = HttpClientOptions & {
	/**
	Error with an `UnsupportedTransportError` when the server answers `initialize` with 400, 404 or 405, instead of answering the request with an error: how `remote({transport: 'auto'})` knows to fall back to legacy SSE.

	@default false
	*/
	detectUnsupported?: boolean;
	/**
	How long to wait, after the initialize response, for the standalone GET stream to open before sending the client's next messages anyway, in milliseconds.

	@default 5000
	*/
	getStreamTimeout?: number;
	/**
	How long closing waits for the session's `DELETE`, in milliseconds.

	@default 2000
	*/
	closeTimeout?: number;
	/**
	How many times a response stream that broke before its response arrived is resumed (GET with `Last-Event-ID`), when the server gave event ids.

	@default 5
	*/
	maxResumeAttempts?: number;
};

const accept = 'application/json, text/event-stream';
const defaultRetry = 1000;
function contentType(response: Response): string {
	return (response.headers.get('content-type') ?? '').toLowerCase();
}

/**
A client of a Streamable HTTP MCP server (revisions 2025-03-26 and later).

Each outgoing message is POSTed on its own (concurrently), with `Accept: application/json, text/event-stream`; replies come as JSON or as an SSE stream. The `Mcp-Session-Id` the server assigns is kept and sent back, and so is the `MCP-Protocol-Version` of the initialize result. Once initialized, a GET stream is opened for server-initiated messages (a 405 means the server has none); the client's next messages (`notifications/initialized` first) wait until that stream is open, so a request the server sends right after initialization is not lost. Streams that break are resumed with `Last-Event-ID` when the server gave event ids, honouring `retry:`.

HTTP errors answer the request concerned with a JSON-RPC error (the server's own when the body has one) and the transport carries on. The observable errors when the remote cannot be reached (`ConnectError`) or no longer knows the session (`SessionExpiredError`, 404): `reconnect` handles both. Before it does, the POSTs still waiting for their answer status get up to 5 seconds to have one (answers still arrive meanwhile), and the messages the server certainly never processed (their connection refused, or refused with 404 for the session, or not sent yet) are all listed in the error's `unsent`; a POST that was sent and not refused is never listed, as the server may have processed it. When the outgoing messages complete, the session is deleted (`DELETE`) and the observable completes.

@example
```
link(processStdio(), streamableHttpClient({url: 'https://example.com/mcp'})).subscribe();
```
*/
export function streamableHttpClient(options: StreamableHttpClientOptions): Transport {
	const url = checkUrl(options.url);
	const {
		detectUnsupported = false,
		getStreamTimeout = 5000,
		closeTimeout = 2000,
		maxResumeAttempts = 5,
		logger = defaultLogger,
	} = options;
	const maxMessageBytes = checkMaxBytes(options.maxMessageBytes ?? defaultMaxMessageBytes);
	const fixedHeaders = staticHeadersOf(options);
	const fetch = clientFetch(options);

	return outgoing$ => new Observable<Message>(subscriber => {
		const controller = new AbortController();
		const {signal} = controller;
		// Every exchange of a notification or an answer listens to it until its body is done (the answer lane keeps them few), with the GET stream and the waits: not a leak.
		setMaxListeners(0, signal);
		let sessionId: string | undefined;
		let protocolVersion: string | undefined;
		let ended = false;
		let sessionGone = false;
		/**
		Messages held while `initialize` is answered and the GET stream opens.
		*/
		let held: Message[] | undefined;
		let initializeId: RequestId | undefined;
		const postsInFlight = new Set<Promise<void>>();
		/**
		How many POSTs are not done: their answer (JSON, or the end of their event stream) or their failure not handled yet.
		*/
		let postsOpen = 0;
		/**
		Set once the server has certainly refused a message (404 for the session, or no connection): the transport ends as soon as the other POSTs are done (their answers delivered, or those refused too listed as unsent), or after the grace.
		*/
		let refusal: Refusal | undefined;
		/**
		The requests whose POST is still open, so that cancelling one also ends its HTTP exchange: a server that stalls must not hold a connection per cancelled request.
		*/
		const requestAborts = new RequestAborts(signal);

		const fail = (error: Error) => {
			if (ended) {
				return;
			}

			ended = true;
			if (error instanceof SessionExpiredError || error instanceof ConnectError || error instanceof UnsupportedTransportError) {
				sessionGone = true;
			}

			subscriber.error(error);
		};

		const settleRefusal = () => {
			refusal?.settle(postsOpen);
		};

		/**
		The server certainly did not process `message` (if any), and the session or connection is gone.
		*/
		const refuse = (end: (unsent: Message[]) => Error, message?: Message) => {
			if (ended) {
				return;
			}

			refusal ??= new Refusal(end, fail, () => held ?? []);
			refusal.add(message);
			settleRefusal();
		};

		const expired = (id: string) => (unsent: Message[]) => new SessionExpiredError(`The remote server no longer knows session ${id} (HTTP 404)`, unsent);

		const headers = (extra: Record<string, string>): Record<string, string> => {
			const result = {...fixedHeaders, ...extra};
			if (sessionId !== undefined) {
				result['mcp-session-id'] = sessionId;
			}

			if (protocolVersion !== undefined) {
				result['mcp-protocol-version'] = protocolVersion;
			}

			return result;
		};

		const release = () => {
			const messages = held;
			held = undefined;
			for (const message of messages ?? []) {
				if (ended) {
					return;
				}

				send(message);
			}
		};

		const receive = (message: Message) => {
			if (ended) {
				return;
			}

			if (initializeId !== undefined && isResponse(message) && message.id === initializeId) {
				initializeId = undefined;
				const result = 'result' in message ? message.result as {protocolVersion?: unknown} : undefined;
				if (typeof result?.protocolVersion === 'string') {
					protocolVersion = result.protocolVersion;
				}

				subscriber.next(message);
				if (result) {
					openGetStream();
				} else {
					release();
				}

				return;
			}

			subscriber.next(message);
		};

		const deliver = (text: string, origin: string, pendingId?: RequestId, method?: string): boolean => {
			let answered = false;
			for (const message of parseMessages(text, reason => {
				logger.error(`The remote server sent ${origin} that is ${reason}: ${previewText(text, 120)}`);
				const head = sniffMessage(text.slice(0, 1024), text.slice(-1024));
				if (pendingId !== undefined && head?.kind === 'response' && head.id === pendingId) {
					answered = true;
					receive(errorResponse(pendingId, errorCodes.parseError, `The remote server's answer to \`${method}\` is ${reason}`));
				}
			})) {
				if (pendingId !== undefined && isResponse(message) && message.id === pendingId) {
					answered = true;
				}

				receive(message);
			}

			return answered;
		};

		/**
		An event over the limit on the GET stream, skipped: the request of the remote's or the answer it was is answered with an error, when its id can be told.
		*/
		const onOversize = (event: OversizeEvent) => {
			const {log, toRemote, toClient} = oversizeEventReply(event, maxMessageBytes, 'the GET stream');
			logger.error(log);
			if (toRemote) {
				answers.send(toRemote);
			} else if (toClient) {
				receive(toClient);
			}
		};

		/**
		Read an SSE stream to its end. Returns what resuming it needs. An event over the limit ends a response stream (`state.error` is a `MessageTooLargeError`); the GET stream skips it.
		*/
		const readStream = async (body: ReadableStream<Uint8Array>, origin: string, pendingId?: RequestId, method?: string) => {
			const state = {
				lastEventId: undefined as string | undefined, retry: undefined as number | undefined, answered: false, events: 0, error: undefined as unknown,
			};
			try {
				await readEventStream(body, {
					maxEventBytes: maxMessageBytes,
					...(pendingId === undefined ? {onOversize} : {}),
					onEvent(event) {
						state.events++;
						if (event.id !== undefined) {
							state.lastEventId = event.id;
						}

						// Priming events and keep-alives carry no data.
						if (event.data === '' || (event.event !== undefined && event.event !== 'message')) {
							return;
						}

						if (deliver(event.data, `an event on ${origin}`, pendingId, method)) {
							state.answered = true;
						}
					},
					onRetry(milliseconds) {
						state.retry = milliseconds;
					},
				});
			} catch (error) {
				state.error = error;
			}

			return state;
		};

		const answerFailed = (id: RequestId, method: string, message: string, code: number = errorCodes.connectionClosed) => {
			logger.error(`\`${method}\` (id ${stringifyJson(id)}) failed: ${message}`);
			receive(errorResponse(id, code, message));
		};

		/**
		Send a request of the transport's (`message`: the one POSTed, if any). When it fails for good (credentials, a redirect not followed), the request it answers, `message` or `answering` (a resumed one), gets the error.
		*/
		const fetchOrFail = async (init: RequestInit, message?: Message, requestSignal: AbortSignal = signal, answering?: Request): Promise<Response | undefined> => {
			try {
				return await fetch(url, {...init, signal: requestSignal});
			} catch (error) {
				if (requestSignal.aborted || isAbort(error)) {
					return undefined;
				}

				const request = answering ?? (message && isRequest(message) ? message : undefined);
				if (error instanceof RedirectError) {
					// The redirect policy logged it once; the request is answered with what it says.
					if (request) {
						logger.debug(`\`${request.method}\` (id ${shownId(request.id)}) failed: ${error.message}`);
						receive(errorResponse(request.id, errorCodes.internalError, error.message));
					}

					return undefined;
				}

				if (error instanceof AuthError) {
					if (request) {
						answerFailed(request.id, request.method, error.message, errorCodes.internalError);
					} else {
						logger.error(error.message);
					}

					return undefined;
				}

				if (isConnectFailure(error)) {
					// The connection never opened: the message certainly did not reach the server.
					const text = `Cannot connect to ${url.href}: ${describeFetchError(error)}`;
					refuse(unsent => new ConnectError(text, unsent, {cause: error}), message);
				} else if (!refusal) {
					fail(new TransportError(`The connection to ${url.href} failed: ${describeFetchError(error)}`, {cause: error}));
				}

				return undefined;
			}
		};

		/**
		Resume a response stream that ended before its response, with GET and `Last-Event-ID`.
		*/
		const resume = async (request: Request, lastEventId: string, retry: number | undefined, requestSignal: AbortSignal): Promise<boolean> => {
			const {id, method} = request;
			let cursor = lastEventId;
			let wait = retry ?? defaultRetry;
			// eslint-disable-next-line no-unmodified-loop-condition -- `ended` changes in callbacks.
			for (let attempt = 1; attempt <= maxResumeAttempts && !ended && !requestSignal.aborted; attempt++) {
				// eslint-disable-next-line no-await-in-loop
				await sleep(wait, requestSignal);
				// eslint-disable-next-line no-await-in-loop
				const response = await fetchOrFail({method: 'GET', headers: headers({accept: 'text/event-stream', 'last-event-id': cursor})}, undefined, requestSignal, request);
				if (!response) {
					return true;
				}

				if (response.status === 404 && sessionId !== undefined) {
					void response.body?.cancel();
					refuse(expired(sessionId));
					return true;
				}

				if (!response.ok || !contentType(response).includes('text/event-stream') || !response.body) {
					logger.warning(`Cannot resume the response stream of \`${method}\`: HTTP ${response.status}`);
					void response.body?.cancel();
					return false;
				}

				// eslint-disable-next-line no-await-in-loop
				const state = await readStream(response.body, `the resumed stream of \`${method}\``, id, method);
				if (state.answered || ended || requestSignal.aborted) {
					return true;
				}

				if (state.error instanceof MessageTooLargeError) {
					answerFailed(id, method, `${state.error.message} (on the resumed stream of \`${method}\`)`, errorCodes.messageTooLarge);
					return true;
				}

				cursor = state.lastEventId ?? cursor;
				wait = state.retry ?? wait;
			}

			return requestSignal.aborted;
		};

		/**
		A POST answered with an error status. Returns nothing; the request, if any, is answered.
		*/
		const onHttpError = async (message: Message, response: Response) => {
			const request = isRequest(message) ? message : undefined;
			const isInitialize = request?.method === 'initialize';
			if (isInitialize && detectUnsupported && [400, 404, 405].includes(response.status)) {
				const body = previewText(await readStart(response, 1024), 120);
				fail(new UnsupportedTransportError(`The remote server answered the Streamable HTTP initialize with HTTP ${response.status}${body ? `: ${body}` : ''}`, response.status));
				return;
			}

			const body = await readStart(response, 4096);
			if (response.status === 401) {
				logger.error('The remote server refused our credentials (HTTP 401). Check the headers, API_ACCESS_TOKEN or the OAuth client settings.');
			}

			if (!request) {
				logger.error(`The remote server refused a message (HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}): ${previewText(body)}`);
				return;
			}

			const reply = httpErrorReply(request, response, body);
			logger.error(reply.error.message);
			receive(reply);
		};

		const onEventStream = async (request: Request, body: ReadableStream<Uint8Array>, requestSignal: AbortSignal) => {
			const {id, method} = request;
			const state = await readStream(body, `the response stream of \`${method}\``, id, method);
			// Aborted: the transport closed, or the request was cancelled (nobody waits for its answer).
			if (state.answered || ended || requestSignal.aborted) {
				return;
			}

			if (state.error instanceof MessageTooLargeError) {
				// Not resumed: the server would send the same event again.
				answerFailed(id, method, `${state.error.message} (on the response stream of \`${method}\`)`, errorCodes.messageTooLarge);
				return;
			}

			if (state.lastEventId !== undefined && await resume(request, state.lastEventId, state.retry, requestSignal)) {
				return;
			}

			if (!ended) {
				const why = state.error ? `: ${describeFetchError(state.error)}` : '';
				answerFailed(id, method, `The remote server ended the response stream before answering \`${method}\`${why}`);
			}
		};

		const onJson = async (request: Request, response: Response, requestSignal: AbortSignal) => {
			const {id, method} = request;
			let text: string;
			try {
				text = await readLimitedText(response, maxMessageBytes, `The remote server's answer to \`${method}\``);
			} catch (error) {
				if (error instanceof MessageTooLargeError) {
					answerFailed(id, method, error.message, errorCodes.messageTooLarge);
				} else if (!requestSignal.aborted) {
					answerFailed(id, method, `Reading the remote server's answer to \`${method}\` failed: ${describeFetchError(error)}`);
				}

				return;
			}

			if (!deliver(text, `an answer to \`${method}\``, id, method) && !ended) {
				answerFailed(id, method, `The remote server's reply to \`${method}\` held no response to it`);
			}
		};

		const post = async (message: Message) => requestAborts.run(message, async (request, requestSignal) => exchange(message, request, requestSignal));

		/**
		POST a message. Resolves to the response, if there is one and the server did not refuse the message for want of its session.
		*/
		const postMessage = async (message: Message, requestSignal: AbortSignal): Promise<Response | undefined> => {
			const session = sessionId;
			const response = await fetchOrFail({
				method: 'POST',
				headers: headers({'content-type': 'application/json', accept}),
				body: jsonBody(message),
			}, message, requestSignal);

			if (response?.status === 404 && session !== undefined && !(isRequest(message) && message.method === 'initialize')) {
				// Refused for the old session: not processed.
				void response.body?.cancel();
				refuse(expired(session), message);
				return undefined;
			}

			return response;
		};

		const exchange = async (message: Message, request: Request | undefined, requestSignal: AbortSignal) => {
			postsOpen++;
			try {
				await answerExchange(message, request, requestSignal);
			} finally {
				postsOpen--;
				// A refusal waits for this POST's answer to be delivered before the transport ends.
				settleRefusal();
			}
		};

		const answerExchange = async (message: Message, request: Request | undefined, requestSignal: AbortSignal) => {
			const response = await postMessage(message, requestSignal);
			if (!response || ended) {
				void response?.body?.cancel();
				return;
			}

			if (!response.ok) {
				await onHttpError(message, response);
				return;
			}

			if (!request) {
				void response.body?.cancel();
				return;
			}

			if (request.method === 'initialize') {
				sessionId = response.headers.get('mcp-session-id') ?? undefined;
			}

			const type = contentType(response);
			if (type.includes('text/event-stream') && response.body) {
				await onEventStream(request, response.body, requestSignal);
			} else if (type.includes('application/json')) {
				await onJson(request, response, requestSignal);
			} else if (response.status === 202) {
				// Some servers answer later, on the GET stream.
				void response.body?.cancel();
				logger.debug(`The remote server accepted \`${request.method}\` (id ${stringifyJson(request.id)}) without answering; waiting for the answer on the GET stream`);
			} else {
				const body = await readStart(response, 2048);
				const preview = body ? `: ${previewText(body)}` : '';
				const text = `The remote server answered \`${request.method}\` with content type \`${type || 'none'}\` instead of JSON or an event stream${preview}`;
				answerFailed(request.id, request.method, text, errorCodes.internalError);
			}
		};

		/**
		Watch a POST. Those of notifications and responses are remembered until done, so closing lets them finish.
		*/
		const track = async (promise: Promise<void>, remember: boolean): Promise<void> => {
			const tracked = promise.catch((error: unknown) => {
				fail(error instanceof Error ? error : new Error(String(error)));
			}).finally(() => {
				postsInFlight.delete(tracked);
			});
			if (remember) {
				postsInFlight.add(tracked);
			}

			return tracked;
		};

		/**
		Notifications and answers take turns, so that the client's requests always find a connection.
		*/
		const answers = new AnswerLane(async message => track(post(message), true), logger);

		/**
		The standalone GET stream: server-initiated requests and notifications.
		*/
		const runGetStream = async (settled: () => void) => {
			let lastEventId: string | undefined;
			let retry = defaultRetry;
			let failures = 0;
			// eslint-disable-next-line no-unmodified-loop-condition -- `ended` changes in callbacks.
			while (!ended) {
				const extra: Record<string, string> = {accept: 'text/event-stream'};
				if (lastEventId !== undefined) {
					extra['last-event-id'] = lastEventId;
				}

				// eslint-disable-next-line no-await-in-loop
				const response = await fetchOrFail({method: 'GET', headers: headers(extra)});
				if (!response) {
					settled();
					return;
				}

				if (response.status === 405) {
					logger.debug('The remote server offers no GET stream (HTTP 405)');
					void response.body?.cancel();
					settled();
					return;
				}

				if (response.status === 404 && sessionId !== undefined) {
					void response.body?.cancel();
					refuse(expired(sessionId));
					settled();
					return;
				}

				if (!response.ok || !contentType(response).includes('text/event-stream') || !response.body) {
					failures++;
					// eslint-disable-next-line no-await-in-loop
					const body = await readStart(response, 1024);
					settled();
					const again = (response.status >= 500 || response.status === 409 || response.status === 429) && failures <= 5;
					const consequence = again ? '; trying again' : '; its requests and notifications outside of responses will not arrive';
					logger.warning(`The remote server refused the GET stream for server-initiated messages (HTTP ${response.status}${body ? `: ${previewText(body)}` : ''})${consequence}`);
					if (!again) {
						return;
					}

					// eslint-disable-next-line no-await-in-loop
					await sleep(Math.min(30_000, retry * (2 ** failures)), signal);
					continue;
				}

				settled();
				// eslint-disable-next-line no-await-in-loop
				const state = await readStream(response.body, 'the GET stream');
				if (ended) {
					return;
				}

				lastEventId = state.lastEventId ?? lastEventId;
				retry = state.retry ?? retry;
				failures = state.events > 0 ? 0 : failures + 1;
				logger.debug(`The GET stream ended${state.error ? ` (${describeFetchError(state.error)})` : ''}; reopening it`);
				// eslint-disable-next-line no-await-in-loop
				await sleep(Math.min(30_000, Math.max(100, retry) * (2 ** Math.min(failures, 5))), signal);
			}
		};

		function openGetStream() {
			let done = false;
			const timer = setTimeout(() => {
				logger.warning(`The GET stream did not open within ${getStreamTimeout} ms; carrying on without waiting for it`);
				settled();
			}, getStreamTimeout);
			function settled() {
				if (!done) {
					done = true;
					clearTimeout(timer);
					release();
				}
			}

			void runGetStream(settled).catch((error: unknown) => {
				settled();
				fail(error instanceof Error ? error : new Error(String(error)));
			});
		}

		function send(message: Message) {
			if (ended) {
				return;
			}

			if (refusal) {
				// The transport is about to end: whatever comes now is never sent, so it can be sent again in the next session.
				refusal.keep(message, requestAborts);
				return;
			}

			if (held) {
				held.push(message);
				return;
			}

			if (isRequest(message) && message.method === 'initialize') {
				if (sessionId !== undefined) {
					// The client starts over: a new session.
					void deleteSession(sessionId, protocolVersion);
					sessionId = undefined;
					protocolVersion = undefined;
				}

				initializeId = message.id;
				held = [];
			}

			if (isRequest(message)) {
				void track(post(message), false);
			} else {
				answers.send(message);
			}

			if (isNotification(message) && message.method === 'notifications/cancelled') {
				// The server was told; the request's own exchange is of no use any more.
				const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
				if (requestId !== undefined) {
					requestAborts.get(requestId)?.abort();
				}
			}
		}

		const deleteSession = async (id: string, version: string | undefined) => {
			const deleteHeaders: Record<string, string> = {...fixedHeaders, 'mcp-session-id': id};
			if (version !== undefined) {
				deleteHeaders['mcp-protocol-version'] = version;
			}

			try {
				const response = await fetch(url, {method: 'DELETE', headers: deleteHeaders, signal: AbortSignal.timeout(closeTimeout)});
				void response.body?.cancel();
				logger.debug(`Deleted session ${id} (HTTP ${response.status})`);
			} catch (error) {
				logger.debug(`Could not delete session ${id}: ${describeFetchError(error)}`);
			}
		};

		const subscription = outgoing$.subscribe({
			next: send,
			error(error: unknown) {
				fail(error instanceof Error ? error : new Error(String(error)));
			},
			complete() {
				void (async () => {
					// Let the last notifications and responses go out, briefly.
					const deadline = sleep(closeTimeout, signal);
					await Promise.race([Promise.all([answers.idle(), ...postsInFlight]), deadline]);
					if (ended) {
						return;
					}

					ended = true;
					const id = sessionId;
					if (id !== undefined && !sessionGone) {
						await deleteSession(id, protocolVersion);
						sessionGone = true;
					}

					controller.abort();
					subscriber.complete();
				})();
			},
		});

		return () => {
			ended = true;
			answers.clear();
			refusal?.cancel();
			subscription.unsubscribe();
			controller.abort();
			if (sessionId !== undefined && !sessionGone) {
				sessionGone = true;
				void deleteSession(sessionId, protocolVersion);
			}
		};
	});
}
