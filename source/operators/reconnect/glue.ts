/*
The Rx glue of `reconnect`: turns the client's messages, each connection's messages and end, and the timers into events for the machine (step.ts), and performs the effects it returns. Each attempt is a `defer` of the inner transport fed through a `Channel`; delays come from the shared backoff, timers from the scheduler. Events that performing an effect causes at once (a connection failing as a message is sent to it) are handled at once, as they happen.
*/
import {
	defer,
	Subscription,
	type Observable,
	type SchedulerLike,
	type Subscriber,
	type TeardownLogic,
} from 'rxjs';
import {Channel} from '../../channel.js';
import {
	ConnectError,
	describeError,
	hasCause,
	SessionExpiredError,
	SignInError,
	TransportError,
} from '../../errors.js';
import type {Logger} from '../../logger.js';
import type {Message, Transport} from '../../types.js';
import {errorResponse, isRequest} from '../../wire/message.js';
import {
	createState,
	type Loss,
	type ReconnectConfig,
	type ReconnectEffect,
	type ReconnectEvent,
	type ReconnectState,
	type TimerName,
} from './state.js';
import {step} from './step.js';

export type GlueSettings = {
	config: ReconnectConfig;
	shouldRetry: (error: unknown) => boolean;
	/**
	The delay before the next attempt after a number of failures in a row (with jitter).
	*/
	backoff: (failures: number) => number;
	scheduler: SchedulerLike;
	logger: Logger;
};

/**
Why a connection ended, as plain data for the machine.
*/
function lossOf(error: unknown, shouldRetry: (error: unknown) => boolean): Loss {
	if (error === undefined) {
		return {
			error, retry: true, cause: 'the remote server closed the connection', sessionExpired: false, signIn: false, unsent: [],
		};
	}

	const unsent = error instanceof ConnectError || error instanceof SessionExpiredError
		? error.unsent.filter(message => isRequest(message)).map(request => request.id)
		: [];
	return {
		error,
		retry: shouldRetry(error),
		cause: describeError(error),
		sessionExpired: error instanceof SessionExpiredError,
		signIn: hasCause(error, SignInError),
		unsent,
	};
}

type Live = {id: number; channel: Channel<Message>; subscription: Subscription};

type ConnectionEffect = Extract<ReconnectEffect, {type: 'connect' | 'send' | 'flush' | 'end-input' | 'disconnect' | 'abort'}>;

/**
Run the reconnect machine over `transport` for one subscriber: returns its teardown.
*/
export function runReconnect(settings: GlueSettings, transport: Transport, outgoing$: Observable<Message>, subscriber: Subscriber<Message>): TeardownLogic {
	return new Glue(settings, transport, subscriber).run(outgoing$);
}

class Glue {
	private readonly state: ReconnectState;
	/**
	The connection subscribed to, if any (the machine's current connection).
	*/
	private live: Live | undefined;
	private readonly timers: Partial<Record<TimerName, Subscription>> = {};
	private readonly settings: GlueSettings;
	private readonly transport: Transport;
	private readonly subscriber: Subscriber<Message>;

	constructor(settings: GlueSettings, transport: Transport, subscriber: Subscriber<Message>) {
		this.settings = settings;
		this.transport = transport;
		this.subscriber = subscriber;
		this.state = createState(settings.config, settings.scheduler.now());
	}

	run(outgoing$: Observable<Message>): TeardownLogic {
		const {scheduler} = this.settings;
		const clientSubscription = outgoing$.subscribe({
			next: message => {
				this.dispatch({type: 'client', message, now: scheduler.now()});
			},
			error: (error: unknown) => {
				this.dispatch({type: 'client-error', error});
			},
			complete: () => {
				this.dispatch({type: 'client-end'});
			},
		});
		if (!this.subscriber.closed) {
			this.dispatch({type: 'start'});
		}

		return () => {
			this.timers.attempt?.unsubscribe();
			this.timers.handshake?.unsubscribe();
			clientSubscription.unsubscribe();
			this.live?.subscription.unsubscribe();
			this.live = undefined;
		};
	}

	/**
	Feed an event to the machine and perform its effects; returns how many there were.
	*/
	private dispatch(event: ReconnectEvent): number {
		const effects = step(this.state, event);
		for (const effect of effects) {
			if (this.subscriber.closed) {
				break;
			}

			this.perform(effect, event);
		}

		return effects.length;
	}

	private lost(connection: number, error: unknown): void {
		const {shouldRetry, scheduler} = this.settings;
		this.dispatch({
			type: 'remote-end', connection, loss: lossOf(error, shouldRetry), now: scheduler.now(),
		});
	}

	private connect(id: number): void {
		const channel = new Channel<Message>();
		const subscription = new Subscription();
		this.live = {id, channel, subscription};
		// Subscribed inside `defer`, so a transport that throws fails this attempt like any connection failure.
		subscription.add(defer(() => this.transport(channel.observable)).subscribe({
			next: message => {
				this.dispatch({type: 'remote', connection: id, message});
			},
			error: (error: unknown) => {
				this.lost(id, error);
			},
			complete: () => {
				this.lost(id, undefined);
			},
		}));
		this.dispatch({type: 'connected', connection: id});
	}

	private startTimer(timer: TimerName, delay: number): void {
		this.timers[timer]?.unsubscribe();
		this.timers[timer] = this.settings.scheduler.schedule(() => {
			this.timers[timer] = undefined;
			this.dispatch({type: 'timer', timer});
		}, delay);
	}

	private perform(effect: ReconnectEffect, event: ReconnectEvent): void {
		switch (effect.type) {
			case 'forward': {
				if (event.type === 'client') {
					this.live?.channel.next(event.message);
				} else if (event.type === 'remote') {
					this.subscriber.next(event.message);
				}

				break;
			}

			case 'deliver': {
				this.subscriber.next(effect.message);
				break;
			}

			case 'answer': {
				this.subscriber.next(errorResponse(effect.id, effect.code, effect.text));
				break;
			}

			case 'log': {
				this.settings.logger[effect.level](effect.text);
				break;
			}

			case 'start-timer': {
				this.startTimer(effect.timer, effect.delay);
				break;
			}

			case 'stop-timer': {
				this.timers[effect.timer]?.unsubscribe();
				this.timers[effect.timer] = undefined;
				break;
			}

			case 'draw-delay': {
				const {backoff, scheduler} = this.settings;
				this.dispatch({type: 'delay', delay: backoff(effect.failures), now: scheduler.now()});
				break;
			}

			case 'complete': {
				this.subscriber.complete();
				break;
			}

			case 'fail': {
				this.subscriber.error(effect.error);
				break;
			}

			case 'connect':
			case 'send':
			case 'flush':
			case 'end-input':
			case 'disconnect':
			case 'abort': {
				this.performOnConnection(effect);
				break;
			}
		}
	}

	private performOnConnection(effect: ConnectionEffect): void {
		const {live} = this;
		switch (effect.type) {
			case 'connect': {
				this.connect(effect.connection);
				break;
			}

			case 'send': {
				if (live?.id === effect.connection) {
					live.channel.next(effect.message);
				}

				break;
			}

			case 'flush': {
				// One at a time: sending may lose the connection, and what is not sent yet stays held.
				while (!this.subscriber.closed && this.dispatch({type: 'send-held', connection: effect.connection}) > 0) {
					// Sent one.
				}

				break;
			}

			case 'end-input': {
				if (live?.id === effect.connection) {
					live.channel.complete();
				}

				break;
			}

			case 'disconnect': {
				if (live?.id === effect.connection) {
					live.subscription.unsubscribe();
					this.live = undefined;
				}

				break;
			}

			case 'abort': {
				this.lost(effect.connection, new TransportError(effect.reason));
				break;
			}
		}
	}
}
