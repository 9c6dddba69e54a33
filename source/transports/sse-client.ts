import {setMaxListeners} from 'node:events';
import {Observable} from 'rxjs';
import type {
	Message, Request, RequestId, Transport,
} from '../types.js';
import {
	AuthError,
	ConnectError,
	errorCodes,
	HttpError,
	ProtocolError,
	RedirectError,
	SessionExpiredError,
	TransportError,
} from '../errors.js';
import {defaultLogger} from '../logger.js';
import {jsonBody} from '../wire/long-strings.js';
import {
	errorResponse, isNotification, isRequest, sniffMessage,
} from '../wire/message.js';
import {isWithinOrigin} from '../http/redirects.js';
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
	oversizeEventReply,
	parseMessages,
	previewText,
	readStart,
	sleep,
	staticHeadersOf,
	AnswerLane,
	type HttpClientOptions,
	Refusal,
	RequestAborts,
} from './http-shared.js';

export type SseClientOptions = HttpClientOptions & {
	/**
	How long to wait for the server's `endpoint` event, in milliseconds.

	@default 15000
	*/
	endpointTimeout?: number;
	/**
	How long closing waits for messages still being POSTed, in milliseconds.

	@default 2000
	*/
	closeTimeout?: number;
};

/**
A client of a legacy HTTP+SSE MCP server (revision 2024-11-05).

Subscribing opens the SSE stream (GET `url`) and waits for the `endpoint` event, which names where to POST messages; it must be within the origin of `url` (the same origin, or its https form: `isWithinOrigin`, the line redirects keep to too). Outgoing messages wait for it, then each is POSTed; the server's messages arrive as `message` events on the stream. HTTP errors on a POST answer the request concerned with a JSON-RPC error. The observable completes when the server ends the stream, and errors when the stream cannot be opened or breaks (`ConnectError` when the server cannot be reached at all). A POST whose connection is refused (`ConnectError`) or that is answered 404 (`SessionExpiredError`) ends the transport once the other POSTs have their answer status (waiting up to 5 seconds; answers still arrive meanwhile): the error's `unsent` lists every message the server certainly never processed (refused like it, or not sent yet), never one that was sent and not refused.

@example
```
link(processStdio(), sseClient({url: 'https://example.com/sse'})).subscribe();
```
*/
export function sseClient(options: SseClientOptions): Transport {
	const url = checkUrl(options.url);
	const {
		endpointTimeout = 15_000,
		closeTimeout = 2000,
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
		let endpoint: URL | undefined;
		let held: Message[] = [];
		let ended = false;
		const postsInFlight = new Set<Promise<void>>();
		/**
		Requests whose POST is still open: cancelling one ends it, so a server that stalls holds no connection per cancelled request.
		*/
		const requestAborts = new RequestAborts(signal);
		/**
		How many POSTs are waiting for their answer status.
		*/
		let awaitingStatus = 0;
		/**
		Set once the server has certainly refused a message: the transport ends once the other POSTs have their status (or after the grace), so that those refused too are listed as unsent.
		*/
		let refusal: Refusal | undefined;

		const fail = (error: Error) => {
			if (!ended) {
				ended = true;
				subscriber.error(error);
			}
		};

		const settleRefusal = () => {
			refusal?.settle(awaitingStatus);
		};

		/**
		The server certainly did not process `message`, and the session or connection is gone.
		*/
		const refuse = (end: (unsent: Message[]) => Error, message: Message) => {
			if (ended) {
				return;
			}

			refusal ??= new Refusal(end, fail);
			refusal.add(message);
			settleRefusal();
		};

		/**
		A POST that had no answer status.
		*/
		const onPostFailure = (message: Message, error: unknown, aborted: boolean) => {
			if (aborted || isAbort(error)) {
				return;
			}

			if (isConnectFailure(error)) {
				// The connection never opened: the message certainly did not reach the server.
				const text = `Cannot connect to ${endpoint!.href}: ${describeFetchError(error)}`;
				refuse(unsent => new ConnectError(text, unsent, {cause: error}), message);
				return;
			}

			if (error instanceof AuthError || error instanceof RedirectError) {
				// A redirect not followed is logged once by the redirect policy.
				if (error instanceof AuthError) {
					logger.error(error.message);
				}

				if (isRequest(message)) {
					subscriber.next(errorResponse(message.id, errorCodes.internalError, error.message));
				}

				return;
			}

			// During a refusal, the refusal ends the transport; this message may have reached the server, so it is not unsent.
			if (!refusal) {
				fail(new TransportError(`Sending a message to ${endpoint!.href} failed: ${describeFetchError(error)}`, {cause: error}));
			}
		};

		const post = async (message: Message) => requestAborts.run(message, async (request, requestSignal) => postMessage(message, request, requestSignal));

		const postMessage = async (message: Message, request: Request | undefined, requestSignal: AbortSignal) => {
			let response: Response | undefined;
			awaitingStatus++;
			try {
				response = await fetch(endpoint!, {
					method: 'POST',
					headers: {...fixedHeaders, 'content-type': 'application/json'},
					body: jsonBody(message),
					signal: requestSignal,
				});
			} catch (error) {
				onPostFailure(message, error, signal.aborted || requestSignal.aborted);
			} finally {
				awaitingStatus--;
			}

			if (response?.status === 404) {
				void response.body?.cancel();
				const text = `The remote server no longer knows this SSE session (HTTP 404 from ${endpoint!.pathname})`;
				refuse(unsent => new SessionExpiredError(text, unsent), message);
				return;
			}

			settleRefusal();
			if (!response) {
				return;
			}

			if (response.ok) {
				void response.body?.cancel();
				return;
			}

			const body = await readStart(response, 4096);
			if (ended) {
				return;
			}

			if (request) {
				const reply = httpErrorReply(request, response, body);
				logger.error(reply.error.message);
				subscriber.next(reply);
			} else {
				logger.error(`The remote server refused a message (HTTP ${response.status}): ${previewText(body)}`);
			}
		};

		/**
		POST a message, remembered until done so that closing lets it finish.
		*/
		const tracked = async (message: Message): Promise<void> => {
			const promise = post(message).catch((error: unknown) => {
				fail(error instanceof Error ? error : new Error(String(error)));
			}).finally(() => {
				postsInFlight.delete(promise);
			});
			postsInFlight.add(promise);
			return promise;
		};

		/**
		Notifications and answers take turns, so that the client's requests always find a connection.
		*/
		const answers = new AnswerLane(tracked, logger);

		const send = (message: Message) => {
			if (ended) {
				return;
			}

			if (refusal) {
				// The transport is about to end: whatever comes now is never sent, so it can be sent again in the next session.
				refusal.keep(message, requestAborts);
				return;
			}

			if (!endpoint) {
				held.push(message);
				return;
			}

			if (isRequest(message)) {
				void tracked(message);
			} else {
				answers.send(message);
			}

			if (isNotification(message) && message.method === 'notifications/cancelled') {
				const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
				if (requestId !== undefined) {
					requestAborts.get(requestId)?.abort();
				}
			}
		};

		const onEndpoint = (data: string) => {
			let target: URL;
			try {
				target = new URL(data.trim(), url);
			} catch {
				fail(new ProtocolError(`The remote server's endpoint event holds no valid URL: ${previewText(data, 120)}`));
				return;
			}

			// The same line as for redirects: the configured origin (or its https form), never another.
			if (!isWithinOrigin(url, target)) {
				fail(new TransportError(`The remote server asked us to POST to another origin (${target.origin}); refusing. Only ${url.origin} is trusted.`));
				return;
			}

			const first = endpoint === undefined;
			endpoint = target;
			if (first) {
				logger.debug(`Legacy SSE session: posting to ${target.pathname}`);
				const messages = held;
				held = [];
				for (const message of messages) {
					send(message);
				}
			}
		};

		const onMessage = (data: string) => {
			for (const message of parseMessages(data, reason => {
				logger.error(`The remote server sent an event that is ${reason}: ${previewText(data, 120)}`);
				const head = sniffMessage(data.slice(0, 1024), data.slice(-1024));
				if (head?.kind === 'response') {
					subscriber.next(errorResponse(head.id, errorCodes.parseError, `The remote server's answer is ${reason}`));
				}
			})) {
				if (ended) {
					return;
				}

				subscriber.next(message);
			}
		};

		/**
		An event over the limit, skipped: the request of the remote's or the answer it was is answered with an error, when its id can be told.
		*/
		const onOversize = (event: OversizeEvent) => {
			const {log, toRemote, toClient} = oversizeEventReply(event, maxMessageBytes, 'the SSE stream');
			logger.error(log);
			if (toRemote) {
				send(toRemote);
			} else if (toClient && !ended) {
				subscriber.next(toClient);
			}
		};

		const connect = async () => {
			let response: Response;
			try {
				response = await fetch(url, {method: 'GET', headers: {...fixedHeaders, accept: 'text/event-stream'}, signal});
			} catch (error) {
				if (signal.aborted || isAbort(error)) {
					return;
				}

				// Credentials that failed, a redirect not followed: the error says it already.
				if (error instanceof TransportError) {
					fail(error);
					return;
				}

				fail(isConnectFailure(error)
					? new ConnectError(`Cannot connect to ${url.href}: ${describeFetchError(error)}`, held, {cause: error})
					: new TransportError(`Opening the SSE stream ${url.href} failed: ${describeFetchError(error)}`, {cause: error}));
				return;
			}

			if (!response.ok) {
				const body = await readStart(response, 1024);
				const hint = response.status === 401 || response.status === 403 ? ' Check the credentials.' : '';
				fail(new HttpError(`The remote server answered GET ${url.href} with HTTP ${response.status}${body ? `: ${previewText(body)}` : ''}.${hint}`, response.status));
				return;
			}

			const type = response.headers.get('content-type') ?? '';
			if (!type.toLowerCase().includes('text/event-stream') || !response.body) {
				const body = await readStart(response, 1024);
				const preview = body ? `: ${previewText(body)}` : '';
				fail(new HttpError(`The remote server answered GET ${url.href} with \`${type || 'no content type'}\` instead of an event stream${preview}`, response.status));
				return;
			}

			const timeout = setTimeout(() => {
				if (!endpoint) {
					fail(new ProtocolError(`The remote server sent no endpoint event within ${endpointTimeout} ms: is ${url.href} a legacy SSE endpoint?`));
					controller.abort();
				}
			}, endpointTimeout);
			try {
				await readEventStream(response.body, {
					maxEventBytes: maxMessageBytes,
					onOversize,
					onEvent(event) {
						if (ended) {
							return;
						}

						if (event.event === 'endpoint') {
							onEndpoint(event.data);
						} else if ((event.event === undefined || event.event === 'message') && event.data !== '') {
							onMessage(event.data);
						}
					},
				});
			} catch (error) {
				// A refusal under way ends the transport with the messages it knows were not processed.
				if (!signal.aborted && !refusal) {
					fail(new TransportError(`The SSE stream from ${url.href} broke: ${describeFetchError(error)}`, {cause: error}));
				}

				return;
			} finally {
				clearTimeout(timeout);
			}

			if (!ended && !refusal) {
				ended = true;
				logger.debug('The remote server ended the SSE stream');
				subscriber.complete();
			}
		};

		const subscription = outgoing$.subscribe({
			next: send,
			error(error: unknown) {
				fail(error instanceof Error ? error : new Error(String(error)));
			},
			complete() {
				void (async () => {
					await Promise.race([Promise.all([answers.idle(), ...postsInFlight]), sleep(closeTimeout, signal)]);
					if (!ended) {
						ended = true;
						controller.abort();
						subscriber.complete();
					}
				})();
			},
		});

		void connect().catch((error: unknown) => {
			fail(error instanceof Error ? error : new Error(String(error)));
		});

		return () => {
			ended = true;
			answers.clear();
			refusal?.cancel();
			subscription.unsubscribe();
			controller.abort();
		};
	});
}
