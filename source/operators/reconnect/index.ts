/*
The `reconnect` operator: its options, checked, and the documentation. The machine is step.ts (pure), the glue that runs it glue.ts.
*/
import {asyncScheduler, Observable, type SchedulerLike} from 'rxjs';
import {exponentialBackoff} from '../../backoff.js';
import {TransportError} from '../../errors.js';
import {defaultLogger, type Logger} from '../../logger.js';
import type {Message, TransportOperator} from '../../types.js';
import {runReconnect, type GlueSettings} from './glue.js';

export type ReconnectOptions = {
	/**
	The first delay before reconnecting, in milliseconds; it doubles after each failed attempt.

	@default 500
	*/
	initialDelay?: number;
	/**
	The longest delay between attempts, in milliseconds.

	@default 30000
	*/
	maxDelay?: number;
	/**
	How many client messages are held while the remote is away; beyond that, requests are answered with an error and notifications dropped.

	@default 1000
	*/
	maxQueuedMessages?: number;
	/**
	How long a reconnection waits for the remote to answer the replayed `initialize`, in milliseconds.

	@default 30000
	*/
	handshakeTimeout?: number;
	/**
	Which failures are worth reconnecting after. A transport that completes while the client is still there always is.

	@default error => error instanceof TransportError
	*/
	shouldRetry?: (error: unknown) => boolean;
	/**
	The source of jitter, a number in [0, 1). Each delay is drawn between half and all of the nominal delay.

	@default Math.random
	*/
	random?: () => number;
	/**
	@default asyncScheduler
	*/
	scheduler?: SchedulerLike;
	logger?: Logger;
};

function check(name: string, value: number, min: number): void {
	if (!Number.isFinite(value) || value < min) {
		throw new TypeError(`Expected \`${name}\` to be a number ≥ ${min}, got \`${value}\``);
	}
}

/**
Reconnect a transport that failed or closed, and re-handshake so the client never notices beyond a few errors.

The client's `initialize` request and `notifications/initialized` are remembered. When the connection is lost (the transport errors with a `TransportError`, or completes while the client is still there), requests that may have reached the remote are answered at once with an error (they are not sent twice); those that certainly were not processed (the `unsent` of a `ConnectError` or `SessionExpiredError`) are held. New messages are held too (up to `maxQueuedMessages`). After a delay that grows exponentially with jitter, from `initialDelay` to `maxDelay`, the transport is subscribed again, the remembered `initialize` replayed with an id of the proxy's own (its answer is swallowed), `notifications/initialized` sent, resource subscriptions and the log level restored, and the held messages flushed. The client then gets `list_changed` notifications so it refreshes its lists.

While the remote stays away, requests do not wait forever: a request held when a reconnection attempt fails is answered with an error saying the remote is unreachable, provided that attempt began after the request arrived; a request arriving between attempts brings the next attempt forward (to `initialDelay` after the last one). Notifications stay held. The proxy keeps trying until the client leaves.

@example
```
link(processStdio(), pipeTransport(remote({url}), reconnect({initialDelay: 500, maxDelay: 30_000})));
```
*/
export function reconnect(options: ReconnectOptions = {}): TransportOperator {
	const {
		initialDelay = 500,
		maxDelay = 30_000,
		maxQueuedMessages = 1000,
		handshakeTimeout = 30_000,
		shouldRetry = (error: unknown) => error instanceof TransportError,
		random = Math.random,
		scheduler = asyncScheduler,
		logger = defaultLogger,
	} = options;
	check('initialDelay', initialDelay, 0);
	check('maxDelay', maxDelay, initialDelay);
	check('maxQueuedMessages', maxQueuedMessages, 1);
	check('handshakeTimeout', handshakeTimeout, 1);
	const settings: GlueSettings = {
		config: {initialDelay, maxQueuedMessages, handshakeTimeout},
		shouldRetry,
		backoff: exponentialBackoff({
			initialDelay, maxDelay, jitter: true, random,
		}),
		scheduler,
		logger,
	};
	return transport => outgoing$ => new Observable<Message>(subscriber => runReconnect(settings, transport, outgoing$, subscriber));
}
