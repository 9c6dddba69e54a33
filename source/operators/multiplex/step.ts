/*
The multiplexer's step: one event in, the effects out, the state changed in place (no copy on the hot path). Pure otherwise: no I/O, timers, clock or logger; time comes in the events. It only dispatches: each concern has its file (sessions.ts the client side, upstream.ts what the upstream sends, server-requests.ts where its requests go, lifecycle.ts its attempts and restarts, handshake.ts its handshake).
*/
import type {Effect, MultiplexEvent} from './events.js';
import {
	attemptStarted, close, handshakeTimeout, runEnded, upstreamEnded,
} from './lifecycle.js';
import {heldTimedOut} from './server-requests.js';
import {clientMessage, closeSession, openSession} from './sessions.js';
import type {MultiplexState} from './state.js';
import {upstreamMessage} from './upstream.js';

/**
Apply `event` to `state` (in place) and return what the world must see or do, in order.

@example
```
const state = createState(config);
step(state, {type: 'attempt-started'}); //=> [{type: 'set-timer', key: 'handshake', …}, {type: 'send', message: {method: 'initialize', …}}]
```
*/
export function step(state: MultiplexState, event: MultiplexEvent): Effect[] {
	const out: Effect[] = [];
	switch (event.type) {
		case 'client-message': {
			state.lastActivity = event.now;
			clientMessage(state, out, event.session, event.message);
			break;
		}

		case 'upstream-message': {
			state.lastActivity = event.now;
			upstreamMessage(state, out, event.message, event.now);
			break;
		}

		case 'session-opened': {
			openSession(state, event.session);
			break;
		}

		case 'session-closed': {
			closeSession(state, out, event.session);
			break;
		}

		case 'attempt-started': {
			attemptStarted(state, out);
			break;
		}

		case 'upstream-ended': {
			upstreamEnded(state, out, event.error, event.now);
			break;
		}

		case 'run-ended': {
			runEnded(state, out);
			break;
		}

		case 'timeout': {
			if (event.key === 'handshake') {
				handshakeTimeout(state, out);
			} else {
				heldTimedOut(state, out, event.key);
			}

			break;
		}

		case 'close': {
			close(state, out);
			break;
		}
	}

	return out;
}
