/*
The multiplexer's Rx glue: turns the upstream's messages, the sessions' messages and lifetimes, timers and `close()` into events for the step (step.ts), and performs the effects it returns. `run$` is one attempt at the upstream (`defer`), repeated with the step's backoff delay; a session is an Observable whose subscription and teardown are events. Nothing here decides anything.
*/
import {
	asyncScheduler,
	catchError,
	defer,
	EMPTY,
	finalize,
	ignoreElements,
	repeat,
	Subject,
	takeUntil,
	tap,
	timer,
	Observable,
	type Observer,
} from 'rxjs';
import {Channel} from '../../channel.js';
import {defaultLogger} from '../../logger.js';
import type {Message, Transport} from '../../types.js';
import {multiplexConfig, type MultiplexOptions} from './options.js';
import {feed, type Glue} from './perform.js';
import {createSession, createState} from './state.js';
import {statusOf, type MultiplexStatus} from './status.js';

export type {MultiplexOptions} from './options.js';
export type {MultiplexStatus} from './status.js';
export type {UpstreamState} from './state.js';

export type Multiplexer = {
	/**
	Runs the upstream: starts it, initializes it once, restarts it with backoff when it ends. Never errors; completes after `close()` once the upstream has closed.
	*/
	run$: Observable<never>;
	/**
	A virtual transport for one client session. Subscribe it (usually through `link`) for as long as the session lasts.
	*/
	session(id: string): Transport;
	/**
	Close gracefully: the upstream's outgoing messages complete (a child's input closes) and every session ends.
	*/
	close(): void;
	status(): MultiplexStatus;
};

/**
Share one upstream (a child process, a remote server) among many client sessions.

- The upstream is initialized once, by the proxy, declaring every client capability; each session's `initialize` is answered from the upstream's result (the protocol version negotiated per session).
- Request ids and progress tokens are rewritten so sessions never collide; responses, progress and cancellations go back to their session only. A response is never broadcast.
- List-changed and log notifications go to every session (logs filtered by each session's `logging/setLevel`); `notifications/resources/updated` goes to the sessions subscribed to that URI.
- A server→client request (sampling, elicitation, roots) goes to the session that caused it: the one with a request in flight upstream when it came (if it did not declare the capability needed, the upstream gets an error). When several had, it waits until the others' requests are answered and goes to the one left; if one of them ends without a result (answered with an error, cancelled, timed out, its session closed), or several are left after `ambiguousRequestTimeout`, the upstream gets an error: it is never guessed, so one client never sees another's request. One that no request in flight can have caused (e.g. `roots/list` after initialization) goes to the newest session that declared the capability. Pings are answered by the proxy.
- When a session ends, its requests still in flight are cancelled upstream. When the upstream ends, every request in flight gets an error at once; it is restarted with backoff, re-initialized, and the sessions' subscriptions and log level are restored; sessions are told the lists may have changed.

@example
```
const mux = multiplex(spawnStdio({command: 'node', args: ['server.js']}));
mux.run$.subscribe();
httpListener().pipe(mergeMap(session => link(session.transport, mux.session(session.id)))).subscribe();
```
*/
export function multiplex(upstream: Transport, options: MultiplexOptions = {}): Multiplexer {
	const {logger = defaultLogger, scheduler = asyncScheduler} = options;
	const glue: Glue = {
		state: createState(multiplexConfig(options)),
		logger,
		scheduler,
		sink: undefined,
		abort: undefined,
		outputs: new Map(),
		timers: new Map(),
		stop$: new Subject(),
	};
	const {state} = glue;

	const upstreamObserver: Partial<Observer<Message>> = {
		next(message) {
			feed(glue, {type: 'upstream-message', message, now: scheduler.now()});
		},
		error(error: unknown) {
			glue.sink = undefined;
			feed(glue, {type: 'upstream-ended', error, now: scheduler.now()});
		},
		complete() {
			glue.sink = undefined;
			feed(glue, {type: 'upstream-ended', error: undefined, now: scheduler.now()});
		},
	};

	// One attempt: the step starts the handshake (held by the channel until the upstream subscribes), then the upstream runs until it ends or the step aborts it.
	const attempt$ = defer(() => {
		const outgoing = new Channel<Message>();
		const aborted = new Subject<never>();
		glue.sink = outgoing;
		glue.abort = aborted;
		feed(glue, {type: 'attempt-started'});
		if (!state.lifecycle.attached) {
			glue.sink = undefined;
			return EMPTY;
		}

		// `takeUntil` listens before the upstream is subscribed: the handshake may fail while it is.
		return upstream(outgoing.observable).pipe(takeUntil(aborted));
	}).pipe(
		tap(upstreamObserver),
		ignoreElements(),
		// The step has taken the end in.
		catchError(() => EMPTY),
	);

	const run$ = attempt$.pipe(
		repeat({delay: () => state.lifecycle.stopping ? EMPTY : timer(state.lifecycle.restartDelay, scheduler).pipe(takeUntil(glue.stop$))}),
		finalize(() => {
			glue.sink = undefined;
			feed(glue, {type: 'run-ended'});
		}),
	);

	const session = (id: string): Transport => outgoing$ => defer(() => sessionMessages(glue, id, outgoing$));

	return {
		session,
		run$,
		close() {
			feed(glue, {type: 'close'});
		},
		status: () => statusOf(state),
	};
}

/**
One session's messages from the multiplexer while `outgoing$` (what its client sends) lasts: its subscription and teardown are events, its messages are fed in one by one, and the effects for it go to its subscriber.

One Observable and one inner subscription per session, not a pipe of operators (a channel, a `Subject` for the end, `tap`, `takeUntil`, `merge`, `finalize`): each of those is kept alive per open session, and with thousands of idle sessions they were a fifth of the memory a session costs (measured with heap snapshots of 1,000 sessions).
*/
function sessionMessages(glue: Glue, id: string, outgoing$: Observable<Message>): Observable<Message> {
	return new Observable<Message>(subscriber => {
		const opened = createSession(id);
		glue.outputs.set(opened, subscriber);
		const close = () => {
			if (glue.outputs.delete(opened)) {
				feed(glue, {type: 'session-closed', session: opened});
			}
		};

		feed(glue, {type: 'session-opened', session: opened});
		const input = outgoing$.subscribe({
			next(message) {
				feed(glue, {
					type: 'client-message', session: opened, message, now: glue.scheduler.now(),
				});
			},
			error(error: unknown) {
				close();
				subscriber.error(error);
			},
			complete() {
				close();
				subscriber.complete();
			},
		});
		return () => {
			input.unsubscribe();
			close();
		};
	});
}
