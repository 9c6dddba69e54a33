/*
The I/O side both HTTP client transports share, for one connection: its abort signal, the abort controllers of its open requests, the answer lane, the POSTs closing waits for, named timers; and the performing of the effects both transports' steps return (client-state.ts). Each transport's glue performs its own effects and hands the rest here.
*/
import {setMaxListeners} from 'node:events';
import {
	from, type Observable, race, type Subscriber, type Subscription, take, timer,
} from 'rxjs';
import type {Logger} from '../logger.js';
import type {Message, Request} from '../types.js';
import {AnswerLane} from './answer-lane.js';
import {lifecycleEvents, type ClientEffect, type LifecycleEvent} from './client-state.js';
import {RequestAborts} from './request-aborts.js';

export type ClientRuntimeOptions<Timer extends string, Event = never> = {
	logger: Logger;
	/**
	Whether closing waits for the POSTs of requests too, not only for those of notifications and answers: where a request's POST ends with its answer status (legacy SSE), not with its answer (Streamable HTTP, where the answer may take long).
	*/
	closeWaitsForRequests: boolean;
	/**
	How long a `drain` waits at most for the answer lane and the POSTs closing waits for.
	*/
	closeTimeout: number;
	/**
	The event each timer feeds back when it fires. The runtime also reports an exchange that threw (a bug, not an HTTP failure) as `failed`, and the end of a drain as `drained`.
	*/
	timerEvents: Readonly<Record<Timer, Event>>;
	/**
	One message's HTTP exchange: `request` when it is a request, `signal` ending it.
	*/
	exchange(message: Message, request: Request | undefined, signal: AbortSignal): Promise<void>;
	/**
	Where the runtime reports to the transport's step (see `dispatch`).
	*/
	dispatch(event: LifecycleEvent | Event): void;
};

export const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

const outgoingComplete = {type: 'outgoing-complete'} as const;

/**
Feed a transport's step with the client's messages: each as `send`, their failure as `failed`, their end as `outgoing-complete`.
*/
export function feedOutgoing(
	outgoing$: Observable<Message>,
	dispatch: (event: {type: 'send'; message: Message} | {type: 'failed'; error: Error} | typeof outgoingComplete) => void,
): Subscription {
	return outgoing$.subscribe({
		next(message) {
			dispatch({type: 'send', message});
		},
		error(error: unknown) {
			dispatch({type: 'failed', error: asError(error)});
		},
		complete() {
			dispatch(outgoingComplete);
		},
	});
}

export class ClientRuntime<Timer extends string, Event = never> {
	readonly signal: AbortSignal;
	private readonly controller = new AbortController();
	/**
	The requests whose POST is still open, so that cancelling one also ends its HTTP exchange: a server that stalls must not hold a connection per cancelled request.
	*/
	private readonly requestAborts: RequestAborts;
	/**
	The POSTs closing lets finish (those of notifications and answers, and of requests when `closeWaitsForRequests`).
	*/
	private readonly postsInFlight = new Set<Promise<void>>();
	/**
	Notifications and answers take turns, so that the client's requests always find a connection.
	*/
	private readonly answers: AnswerLane;
	private readonly timers = new Map<Timer, Subscription>();
	private readonly subscriber: Subscriber<Message>;
	private readonly options: ClientRuntimeOptions<Timer, Event>;
	/**
	An exchange that threw: one function for all of them, not one per message.
	*/
	private readonly failed: (error: unknown) => void;

	constructor(subscriber: Subscriber<Message>, options: ClientRuntimeOptions<Timer, Event>) {
		this.subscriber = subscriber;
		this.options = options;
		this.failed = error => {
			options.dispatch({type: 'failed', error: asError(error)});
		};

		this.signal = this.controller.signal;
		// Every exchange of a notification or an answer listens to it until its body is done (the answer lane keeps them few), with the streams and the waits: not a leak.
		setMaxListeners(0, this.signal);
		this.requestAborts = new RequestAborts(this.signal);
		this.answers = new AnswerLane(async message => this.track(message, true), options.logger);
	}

	perform(effect: ClientEffect<Timer>): void {
		switch (effect.type) {
			case 'deliver': {
				this.subscriber.next(effect.message);
				break;
			}

			case 'post': {
				if (effect.lane === 'request') {
					void this.track(effect.message, this.options.closeWaitsForRequests);
				} else {
					this.answers.send(effect.message);
				}

				break;
			}

			case 'abort-request': {
				this.requestAborts.get(effect.id)?.abort();
				break;
			}

			case 'log': {
				this.options.logger[effect.level](effect.text);
				break;
			}

			case 'error': {
				this.subscriber.error(effect.error);
				break;
			}

			case 'start-timer': {
				this.startTimer(effect.timer, effect.delay);
				break;
			}

			case 'cancel-timer': {
				this.timers.get(effect.timer)?.unsubscribe();
				this.timers.delete(effect.timer);
				break;
			}

			case 'drain': {
				this.subscriber.add(this.drained$(this.options.closeTimeout).subscribe(() => {
					this.options.dispatch(lifecycleEvents.drained);
				}));
				break;
			}
		}
	}

	/**
	Emits once the answer lane is idle and the POSTs closing waits for are done, or after `closeTimeout` milliseconds.
	*/
	drained$(closeTimeout: number): Observable<unknown> {
		return race(from(Promise.all([this.answers.idle(), ...this.postsInFlight])), timer(closeTimeout)).pipe(take(1));
	}

	/**
	The connection is over: nothing waiting is sent, no timer fires, every open exchange ends.
	*/
	dispose(): void {
		this.answers.clear();
		for (const running of this.timers.values()) {
			running.unsubscribe();
		}

		this.timers.clear();
		this.controller.abort();
	}

	/**
	End every open exchange (and the streams on the signal).
	*/
	abort(): void {
		this.controller.abort();
	}

	private startTimer(name: Timer, delay: number): void {
		this.timers.get(name)?.unsubscribe();
		this.timers.set(name, timer(delay).subscribe(() => {
			this.timers.delete(name);
			this.options.dispatch(this.options.timerEvents[name]);
		}));
	}

	/**
	Start the exchange of a message; `remember` keeps it until done, so that closing lets it finish.
	*/
	private async track(message: Message, remember: boolean): Promise<void> {
		const exchange = this.requestAborts.run(message, this.options.exchange).catch(this.failed);
		if (!remember) {
			return exchange;
		}

		const tracked = exchange.finally(() => {
			this.postsInFlight.delete(tracked);
		});
		this.postsInFlight.add(tracked);
		return tracked;
	}
}
