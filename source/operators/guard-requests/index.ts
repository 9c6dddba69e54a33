/*
The `guardRequests` operator: its options, and the Rx glue around the request accounting (step.ts). The client's messages reach the transport through the step, and the cancellations of timed-out requests join them through a `Channel` (one per subscription of the transport to its input); the transport's messages reach the client through the step; the sweep for timed-out requests is a scheduler timer. Hot path: one shared function per direction, no event object or closure per message.
*/
import {
	asyncScheduler,
	defer,
	filter,
	finalize,
	merge,
	Observable,
	type SchedulerLike,
	type Subscription,
} from 'rxjs';
import {Channel} from '../../channel.js';
import {describeError, errorCodes, McpProxyError} from '../../errors.js';
import {defaultLogger, type Logger} from '../../logger.js';
import type {Message, TransportOperator} from '../../types.js';
import {errorResponse} from '../../wire/message.js';
import {createGuardState, type GuardEffect} from './state.js';
import {fromClient, fromPeer, step} from './step.js';

export type GuardRequestsOptions = {
	/**
	Milliseconds a request may wait for its response before it is answered with a timeout error and cancelled upstream (`notifications/cancelled`). `0` waits forever.

	@default 0
	*/
	timeout?: number;
	/**
	Whether a progress notification for a request restarts its timeout.

	@default true
	*/
	resetTimeoutOnProgress?: boolean;
	/**
	Names the peer in error messages.

	@default 'the server'
	*/
	peerName?: string;
	/**
	@default asyncScheduler
	*/
	scheduler?: SchedulerLike;
	/**
	Where dropped answers are reported (at warning level).
	*/
	logger?: Logger;
};

/**
Make sure every request sent through a transport gets exactly one response, in both directions. When the transport ends (its peer closed, crashed or could not be reached), each request still waiting is answered with a JSON-RPC error naming the cause, before the end propagates. With a `timeout`, a request that waits too long is answered with a timeout error and cancelled upstream; its late response, if one comes, is dropped.

Answers nobody waits for are dropped and logged at warning level with their id: one from the peer to a request the client never sent or that was answered already (a second answer), and one from the client to a request the peer never sent or that the client answered already. Late answers are not warned about: the peer's answer to a request the client cancelled or that timed out is dropped, and the client's answer to a request the peer cancelled is passed on (for the peer to ignore).

@example
```
link(processStdio(), pipeTransport(spawnStdio({command: 'node', args: ['server.js']}), guardRequests({timeout: 60_000})));
```
*/
export function guardRequests(options: GuardRequestsOptions = {}): TransportOperator {
	const {
		timeout = 0,
		resetTimeoutOnProgress = true,
		peerName = 'the server',
		scheduler = asyncScheduler,
		logger = defaultLogger,
	} = options;
	if (!Number.isFinite(timeout) || timeout < 0) {
		throw new TypeError(`Expected \`timeout\` to be a number of milliseconds ≥ 0, got \`${timeout}\``);
	}

	const config = {timeout, resetTimeoutOnProgress, peerName};
	// Time matters only with a timeout: without one, the clock is not read for each message.
	const now = timeout > 0 ? () => scheduler.now() : () => 0;

	return transport => outgoing$ => new Observable<Message>(subscriber => {
		const state = createGuardState(config);
		/**
		Where messages of our own (cancellations) join the client's, while the transport listens to its input.
		*/
		let toPeer: Channel<Message> | undefined;
		let sweep: Subscription | undefined;

		/**
		Perform the effects; returns whether the event's message goes on.
		*/
		const perform = (effects: readonly GuardEffect[]): boolean => {
			let forward = false;
			for (const effect of effects) {
				switch (effect.type) {
					case 'forward': {
						forward = true;
						break;
					}

					case 'answer': {
						subscriber.next(errorResponse(effect.id, effect.code, effect.text));
						break;
					}

					case 'send': {
						toPeer?.next(effect.message);
						break;
					}

					case 'log': {
						logger.warning(effect.text);
						break;
					}

					case 'start-timer': {
						sweep = scheduler.schedule(onSweep, effect.delay);
						break;
					}
				}
			}

			return forward;
		};

		const onSweep = () => {
			sweep = undefined;
			perform(step(state, {type: 'sweep', now: scheduler.now()}));
		};

		const fromClientGoesOn = (message: Message) => perform(fromClient(state, message, now()));
		const input$ = defer(() => {
			const channel = new Channel<Message>();
			toPeer = channel;
			return merge(
				outgoing$.pipe(
					filter(fromClientGoesOn),
					finalize(() => {
						if (toPeer === channel) {
							toPeer = undefined;
						}

						channel.complete();
					}),
				),
				channel.observable,
			);
		});
		const subscription = transport(input$).subscribe({
			next(message) {
				if (perform(fromPeer(state, message, now()))) {
					subscriber.next(message);
				}
			},
			error(error: unknown) {
				const code = error instanceof McpProxyError ? error.rpcCode : errorCodes.connectionClosed;
				perform(step(state, {type: 'peer-end', failure: {code, description: describeError(error)}}));
				subscriber.error(error);
			},
			complete() {
				perform(step(state, {type: 'peer-end', failure: undefined}));
				subscriber.complete();
			},
		});

		return () => {
			sweep?.unsubscribe();
			subscription.unsubscribe();
		};
	});
}
