/*
A harness for the multiplexer's step: a state, sessions by name, and events fed one at a time; the effects come back with sessions shown by id and errors by message, so tables compare plain data.
*/
import type {Message} from '../../source/types.js';
import type {Effect, MultiplexEvent} from '../../source/operators/multiplex/events.js';
import {multiplexConfig, type MultiplexOptions} from '../../source/operators/multiplex/options.js';
import {
	createSession, createState, type MultiplexState, type SessionState, type TimerKey,
} from '../../source/operators/multiplex/state.js';
import {step} from '../../source/operators/multiplex/step.js';

type Loose = Record<string, any>;

/**
An effect as tables spell it: the session by id, an error by its message.
*/
export type Shown = Loose & {type: Effect['type']};

export function show(effect: Effect): Shown {
	if (effect.type === 'deliver' || effect.type === 'end-session') {
		return {...effect, session: effect.session.id};
	}

	if (effect.type === 'abort-upstream') {
		return {type: 'abort-upstream', error: `${effect.error.name}: ${effect.error.message}`};
	}

	return effect;
}

/**
A message as tables write it, without `jsonrpc`.
*/
function asMessage(message: Loose): Message {
	const whole: Loose = {jsonrpc: '2.0', ...message};
	return whole as Message;
}

export const initResult = {protocolVersion: '2025-11-25', capabilities: {tools: {}}, serverInfo: {name: 'fake', version: '1'}};

export function stepHarness(options: Omit<MultiplexOptions, 'logger' | 'scheduler'> = {}) {
	const state: MultiplexState = createState(multiplexConfig(options));
	const sessions = new Map<string, SessionState>();
	let now = 0;
	const feed = (event: MultiplexEvent): Shown[] => step(state, event).map(effect => show(effect));
	const session = (id: string) => {
		const found = sessions.get(id);
		if (!found) {
			throw new Error(`no session ${id} in this test`);
		}

		return found;
	};

	const harness = {
		state,
		feed,
		get now() {
			return now;
		},
		set now(value: number) {
			now = value;
		},
		open(id: string): SessionState {
			const opened = createSession(id);
			sessions.set(id, opened);
			feed({type: 'session-opened', session: opened});
			return opened;
		},
		session,
		fromClient(id: string, message: Loose): Shown[] {
			return feed({
				type: 'client-message', session: session(id), message: asMessage(message), now,
			});
		},
		fromUpstream(message: Loose): Shown[] {
			return feed({type: 'upstream-message', message: asMessage(message), now});
		},
		closeSession(id: string): Shown[] {
			return feed({type: 'session-closed', session: session(id)});
		},
		start: (): Shown[] => feed({type: 'attempt-started'}),
		/**
		Answer the pending handshake.
		*/
		answerHandshake(result: Loose = initResult): Shown[] {
			return harness.fromUpstream({id: state.lifecycle.handshake!.requestId, result});
		},
		/**
		Start the upstream and answer its handshake: it runs.
		*/
		running(): void {
			harness.start();
			harness.answerHandshake();
		},
		ended: (error?: unknown): Shown[] => feed({type: 'upstream-ended', error, now}),
		timeout: (key: TimerKey): Shown[] => feed({type: 'timeout', key}),
		close: (): Shown[] => feed({type: 'close'}),
		/**
		Open session `id` and answer its `initialize` (declaring `capabilities`): it is ready.
		*/
		ready(id: string, capabilities: Loose = {}): SessionState {
			const opened = harness.open(id);
			harness.fromClient(id, {id: 0, method: 'initialize', params: {protocolVersion: '2025-11-25', capabilities, clientInfo: {name: id, version: '1'}}});
			return opened;
		},
		/**
		The upstream id of the request session `id` has in flight as `requestId`.
		*/
		upstreamIdOf: (id: string, requestId: string | number): number => session(id).inFlight.get(requestId)!,
	};
	return harness;
}

/**
The messages among `effects` sent upstream.
*/
export const sent = (effects: Shown[]): Loose[] => effects.filter(effect => effect.type === 'send').map(effect => effect['message']);

/**
The messages among `effects` delivered to session `id`.
*/
export const deliveredTo = (id: string, effects: Shown[]): Loose[] => effects.filter(effect => effect.type === 'deliver' && effect['session'] === id).map(effect => effect['message']);
