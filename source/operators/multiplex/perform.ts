/*
Performs the effects the multiplexer's step returns: the glue's mutable side (the current attempt's outgoing messages, each session's output, the timers by key) and the one function that acts on it. Feeding an event is stepping the state and performing what comes out, in order.
*/
import type {
	SchedulerAction, SchedulerLike, Subject, Subscriber, Subscription,
} from 'rxjs';
import type {Channel} from '../../channel.js';
import type {Logger} from '../../logger.js';
import type {Message} from '../../types.js';
import type {Effect, MultiplexEvent} from './events.js';
import type {MultiplexState, SessionState, TimerKey} from './state.js';
import {step} from './step.js';

/**
Where a session's messages go: its subscriber (see `sessionMessages`).
*/
export type SessionOutput = Subscriber<Message>;

/**
What the effects act on. Private to one multiplexer.
*/
export type Glue = {
	readonly state: MultiplexState;
	readonly logger: Logger;
	readonly scheduler: SchedulerLike;
	/**
	The current attempt's outgoing messages, while it lasts.
	*/
	sink: Channel<Message> | undefined;
	/**
	Errors to end the current attempt early (its handshake failed).
	*/
	abort: Subject<never> | undefined;
	readonly outputs: Map<SessionState, SessionOutput>;
	readonly timers: Map<TimerKey, Subscription>;
	/**
	Ends the wait for the next attempt when the multiplexer stops.
	*/
	readonly stop$: Subject<void>;
};

/**
Step the state with `event` and perform the effects.
*/
export function feed(glue: Glue, event: MultiplexEvent): void {
	perform(glue, step(glue.state, event));
}

/**
A timer fired: the one scheduled action every timer shares (its state is the glue and the key).
*/
function fire(this: SchedulerAction<Fired>, fired?: Fired): void {
	const {glue, key} = fired!;
	glue.timers.delete(key);
	feed(glue, {type: 'timeout', key});
}

type Fired = {glue: Glue; key: TimerKey};

function perform(glue: Glue, effects: Effect[]): void {
	for (const effect of effects) {
		switch (effect.type) {
			case 'deliver': {
				glue.outputs.get(effect.session)?.next(effect.message);
				break;
			}

			case 'send': {
				glue.sink?.next(effect.message);
				break;
			}

			case 'log': {
				glue.logger[effect.level](effect.text);
				break;
			}

			case 'set-timer': {
				glue.timers.get(effect.key)?.unsubscribe();
				glue.timers.set(effect.key, glue.scheduler.schedule<Fired>(fire, effect.delay, {glue, key: effect.key}));
				break;
			}

			case 'cancel-timer': {
				glue.timers.get(effect.key)?.unsubscribe();
				glue.timers.delete(effect.key);
				break;
			}

			case 'end-session': {
				glue.outputs.get(effect.session)?.complete();
				break;
			}

			case 'close-upstream': {
				glue.sink?.complete();
				break;
			}

			case 'abort-upstream': {
				const aborted = glue.abort;
				glue.abort = undefined;
				aborted?.error(effect.error);
				break;
			}

			case 'stopped': {
				glue.stop$.next();
				break;
			}
		}
	}
}
