/*
The legacy HTTP+SSE client transport: the glue between the session's pure step (session-state.ts) and the world. Outgoing messages and everything the event stream, the POSTs and the timers report become events; the step's effects are performed here (the ones both HTTP transports share by http/client-runtime.ts).
*/
import {Observable} from 'rxjs';
import type {Message, Transport} from '../../types.js';
import {defaultLogger} from '../../logger.js';
import {asError, ClientRuntime, feedOutgoing} from '../../http/client-runtime.js';
import {isClientEffect} from '../../http/client-state.js';
import {
	resolveClientOptions, type HttpClientOptions,
} from '../../http/client-options.js';
import type {SseContext} from './context.js';
import {runEventStream} from './event-stream.js';
import {postMessage} from './post.js';
import {
	createSseState, sseEvents, step, timerEvents, type SseEffect, type SseEvent, type SseTimer,
} from './session-state.js';

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
	const {
		url, maxMessageBytes, fixedHeaders, fetch, settingNames,
	} = resolveClientOptions(options);
	const {
		endpointTimeout = 15_000,
		closeTimeout = 2000,
		logger = defaultLogger,
	} = options;

	return outgoing$ => new Observable<Message>(subscriber => {
		const state = createSseState({url, endpointTimeout});
		const dispatch = (event: SseEvent): void => {
			for (const effect of step(state, event)) {
				perform(effect);
			}
		};

		const runtime = new ClientRuntime<SseTimer, SseEvent>(subscriber, {
			logger,
			async exchange(message, request, signal) {
				await postMessage(context, message, request, signal);
			},
			dispatch,
			timerEvents,
			closeTimeout,
			closeWaitsForRequests: true,
		});
		const context: SseContext = {
			url, fetch, fixedHeaders, maxMessageBytes, settingNames, logger, signal: runtime.signal, state, dispatch,
		};

		function perform(effect: SseEffect): void {
			if (isClientEffect<SseTimer>(effect)) {
				runtime.perform(effect);
				return;
			}

			switch (effect.type) {
				case 'close': {
					runtime.abort();
					subscriber.complete();
					break;
				}

				case 'complete': {
					subscriber.complete();
					break;
				}
			}
		}

		subscriber.add(feedOutgoing(outgoing$, dispatch));

		runEventStream(context).catch((error: unknown) => {
			dispatch({type: 'failed', error: asError(error)});
		});

		return () => {
			dispatch(sseEvents.unsubscribed);
			runtime.dispose();
		};
	});
}
