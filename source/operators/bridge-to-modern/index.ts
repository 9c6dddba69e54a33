/*
The `bridgeToModern` operator: its options, and the Rx glue around the bridge machine (step.ts). The client's messages and both upstreams' reach the step; its effects are performed here (the upstreams' inputs are `Channel`s, the pause before a `requestState`-only retry a timer). Before any `initialize`, and once the 2025 upstream has answered it with anything but a modern-only refusal, the step is out of the way: a flag test per message.
*/
import {
	Observable, Subscription, type Observer, type Subscriber,
} from 'rxjs';
import {Channel} from '../../channel.js';
import type {Message, Transport, TransportOperator} from '../../types.js';
import {step} from './step.js';
import {
	createBridgeState, type BridgeEffect, type BridgeEvent, type BridgeState,
} from './state.js';

export type BridgeToModernOptions = {
	/**
	Makes the transport of the modern (2026-07-28) upstream, subscribed once the 2025 upstream has refused the client's `initialize` for naming only modern versions.
	*/
	modern: () => Transport;
	/**
	The upstream is known to speak 2026-07-28 only, and a session that does not open with `initialize` has no handshake of its own (server mode's stateless requests): such a session is served by the modern upstream from its first message, enveloped as a client that declared no capabilities. A session that opens with `initialize` is bridged as usual.

	@default false
	*/
	assumeModern?: boolean;
	/**
	Milliseconds before a request the server answered with only a `requestState` is sent again (the SDK client waits 250 ms too).

	@default 250
	*/
	retryPause?: number;
	/**
	Milliseconds before a \`subscriptions/listen\` that ended unasked (its stream broke) is opened again (at most 5 times in a row without an acknowledgement).

	@default 1000
	*/
	relistenDelay?: number;
};

/**
Run \`event\` after \`delay\` ms, unless the timer is cleared with the others in \`timers\` first.
*/
function later(timers: Set<ReturnType<typeof setTimeout>>, delay: number, run: (event: BridgeEvent) => void, event: BridgeEvent): void {
	const timer = setTimeout(() => {
		timers.delete(timer);
		run(event);
	}, delay);
	timers.add(timer);
}

function checkOptions(options: BridgeToModernOptions): Required<BridgeToModernOptions> {
	const {
		modern, retryPause = 250, relistenDelay = 1000, assumeModern = false,
	} = options ?? {};
	if (typeof modern !== 'function') {
		throw new TypeError(`bridgeToModern: \`modern\` must be a function that makes a transport, got ${typeof modern}`);
	}

	for (const [name, value] of [['retryPause', retryPause], ['relistenDelay', relistenDelay]] as const) {
		if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
			throw new TypeError(`bridgeToModern: \`${name}\` must be a finite number of milliseconds ≥ 0, got ${String(value)}`);
		}
	}

	if (typeof assumeModern !== 'boolean') {
		throw new TypeError(`bridgeToModern: \`assumeModern\` must be a boolean, got ${typeof assumeModern}`);
	}

	return {
		modern, retryPause, relistenDelay, assumeModern,
	};
}

/**
What the modern upstream says goes to the step; its end ends the session, unless the probe had failed (the client still gets the refusal).
*/
function modernObserver(state: BridgeState, subscriber: Subscriber<Message>, run: (event: BridgeEvent) => void): Partial<Observer<Message>> {
	return {
		next(message) {
			run({type: 'modern', message});
		},
		error(error: unknown) {
			subscriber.error(error);
		},
		complete() {
			if (state.phase !== 'failed') {
				subscriber.complete();
			}
		},
	};
}

/**
Bridge a 2025-era client to a server that speaks only 2026-07-28: applied to the 2025 upstream, it forwards the client's `initialize` there; when the answer is -32022 naming only modern versions, the session is served by `modern()` instead (`initialize` answered from `server/discover`, each request enveloped, `input_required` turned into real requests to the client, subscriptions into one `subscriptions/listen`). Otherwise everything passes untouched.

@example
```
pipeTransport(remote({url}), bridgeToModern({modern: remote({url})}));
```
*/
export function bridgeToModern(options: BridgeToModernOptions): TransportOperator {
	const {
		modern, retryPause, relistenDelay, assumeModern,
	} = checkOptions(options);
	return legacy => outgoing$ => new Observable<Message>(subscriber => {
		const state = createBridgeState();
		const legacyInput = new Channel<Message>();
		let modernInput: Channel<Message> | undefined;
		let passthrough = false;
		// Before any `initialize`: messages go to the 2025 upstream and back untouched (a 2026 client never sends one).
		let open = true;
		let legacyLeft = false;
		const timers = new Set<ReturnType<typeof setTimeout>>();
		const subscription = new Subscription(() => {
			for (const timer of timers) {
				clearTimeout(timer);
			}
		});

		const run = (event: BridgeEvent) => {
			const effects = step(state, event);
			// Before the effects: performing one may bring the next message at once.
			passthrough = state.phase === 'passthrough';
			open = state.phase === 'deciding' && state.initialize === undefined;
			for (const effect of effects) {
				perform(effect);
			}
		};

		function perform(effect: BridgeEffect): void {
			switch (effect.type) {
				case 'to-client': {
					subscriber.next(effect.message);
					break;
				}

				case 'to-legacy': {
					legacyInput.next(effect.message);
					break;
				}

				case 'to-modern': {
					modernInput?.next(effect.message);
					break;
				}

				case 'end-legacy': {
					legacyLeft = true;
					legacyInput.complete();
					break;
				}

				case 'open-modern': {
					modernInput = new Channel<Message>();
					subscription.add(modern()(modernInput.observable).subscribe(modernObserver(state, subscriber, run)));
					break;
				}

				case 'end-modern': {
					modernInput?.complete();
					break;
				}

				case 'pause':
				case 'relisten-later': {
					const pause = effect.type === 'pause';
					later(timers, pause ? retryPause : relistenDelay, run, pause ? {type: 'retry', clientId: effect.clientId} : {type: 'relisten'});
					break;
				}
			}
		}

		subscription.add(legacy(legacyInput.observable).subscribe({
			next(message) {
				if (passthrough || open) {
					subscriber.next(message);
				} else {
					run({type: 'legacy', message});
				}
			},
			error(error: unknown) {
				if (!legacyLeft) {
					subscriber.error(error);
				}
			},
			complete() {
				if (!legacyLeft) {
					subscriber.complete();
				}
			},
		}));
		subscription.add(outgoing$.subscribe({
			next(message) {
				const opening = open && (message as {method?: unknown}).method !== 'initialize';
				if (assumeModern && opening) {
					run({type: 'assume-modern'});
				}

				if (passthrough || (open && opening)) {
					legacyInput.next(message);
				} else {
					run({type: 'client', message});
				}
			},
			error(error: unknown) {
				subscriber.error(error);
			},
			complete() {
				if (!legacyLeft) {
					legacyInput.complete();
				} else if (state.phase === 'failed') {
					subscriber.complete();
				} else {
					run({type: 'client-end'});
				}
			},
		}));
		return subscription;
	});
}
