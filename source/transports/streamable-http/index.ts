/*
The Streamable HTTP client transport: the glue between the session's pure step (session-state.ts) and the world. Outgoing messages and everything the exchanges, the GET stream and the timers report become events; the step's effects are performed here: messages delivered, POSTs started (requests on their own, the rest in the answer lane), requests' exchanges aborted, the GET stream opened, timers set, the session deleted, the transport ended.
*/
import {Observable, type Subscription} from 'rxjs';
import type {Message, Transport} from '../../types.js';
import {defaultLogger} from '../../logger.js';
import {asError, ClientRuntime, feedOutgoing} from '../../http/client-runtime.js';
import {isClientEffect} from '../../http/client-state.js';
import {
	resolveClientOptions, type HttpClientOptions,
} from '../../http/client-options.js';
import {describeFetchError} from '../../http/connect-errors.js';
import type {ExchangeContext} from './context.js';
import {getStream} from './get-stream.js';
import {postExchange} from './post-exchange.js';
import {
	createSessionState, sessionEvents, step, timerEvents, type SessionEffect, type SessionEvent, type SessionTimer, type ToolHeaders,
} from './session-state.js';

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
	/**
	Where the `x-mcp-header` declarations of the remote's tools, learnt from the 2026-07-28 `tools/list` results that pass, are kept for the `Mcp-Param-*` headers of later calls. Every connection of the transport shares it (a client that reconnects does not list its tools again); give the same map to transports of the same remote.

	@default a map of the transport's own
	*/
	toolHeaders?: ToolHeaders;
};

type DeleteTarget = Pick<ExchangeContext, 'url' | 'fetch' | 'fixedHeaders' | 'settingNames' | 'logger'> & {closeTimeout: number};

/**
End a session at the server (`DELETE`), waiting `closeTimeout` milliseconds at most; a failure is only logged.
*/
async function deleteSessionAt({url, fetch, fixedHeaders, settingNames, logger, closeTimeout}: DeleteTarget, sessionId: string, protocolVersion: string | undefined): Promise<void> {
	const headers: Record<string, string> = {...fixedHeaders, 'mcp-session-id': sessionId};
	if (protocolVersion !== undefined) {
		headers['mcp-protocol-version'] = protocolVersion;
	}

	try {
		const response = await fetch(url, {method: 'DELETE', headers, signal: AbortSignal.timeout(closeTimeout)});
		void response.body?.cancel();
		logger.debug(`Deleted session ${sessionId} (HTTP ${response.status})`);
	} catch (error) {
		logger.debug(`Could not delete session ${sessionId}: ${describeFetchError(error, settingNames)}`);
	}
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
	const {
		url, maxMessageBytes, fixedHeaders, fetch, settingNames,
	} = resolveClientOptions(options);
	const {
		detectUnsupported = false,
		getStreamTimeout = 5000,
		closeTimeout = 2000,
		maxResumeAttempts = 5,
		logger = defaultLogger,
		toolHeaders = new Map(),
	} = options;

	const target: DeleteTarget = {
		url, fetch, fixedHeaders, settingNames, logger, closeTimeout,
	};

	return outgoing$ => new Observable<Message>(subscriber => {
		const state = createSessionState({getStreamTimeout, toolHeaders});
		let getStream$: Subscription | undefined;
		const dispatch = (event: SessionEvent): void => {
			for (const effect of step(state, event)) {
				perform(effect);
			}
		};

		const runtime = new ClientRuntime<SessionTimer, SessionEvent>(subscriber, {
			logger,
			async exchange(message, request, signal) {
				dispatch(sessionEvents.postStarted);
				try {
					await postExchange(context, message, request, signal);
				} finally {
					dispatch(sessionEvents.postFinished);
				}
			},
			dispatch,
			timerEvents,
			closeTimeout,
			closeWaitsForRequests: false,
		});
		const context: ExchangeContext = {
			url, fetch, fixedHeaders, maxMessageBytes, maxResumeAttempts, detectUnsupported, settingNames, logger, signal: runtime.signal, state, dispatch,
		};

		function perform(effect: SessionEffect): void {
			if (isClientEffect<SessionTimer>(effect)) {
				runtime.perform(effect);
				return;
			}

			switch (effect.type) {
				case 'open-get-stream': {
					getStream$?.unsubscribe();
					getStream$ = getStream(context).subscribe({
						error(error: unknown) {
							dispatch(sessionEvents.getStreamSettled);
							dispatch({type: 'failed', error: asError(error)});
						},
					});
					break;
				}

				case 'delete-session': {
					void deleteSessionAt(target, effect.sessionId, effect.protocolVersion);
					break;
				}

				case 'close': {
					void (async () => {
						if (effect.deleteSession) {
							await deleteSessionAt(target, effect.deleteSession.sessionId, effect.deleteSession.protocolVersion);
						}

						runtime.abort();
						subscriber.complete();
					})();

					break;
				}
			}
		}

		subscriber.add(feedOutgoing(outgoing$, dispatch));

		return () => {
			dispatch(sessionEvents.unsubscribed);
			getStream$?.unsubscribe();
			runtime.dispose();
		};
	});
}
