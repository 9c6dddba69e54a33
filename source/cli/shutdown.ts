import process from 'node:process';
import {
	connect,
	EMPTY,
	map,
	merge,
	mergeMap,
	Observable,
	skip,
	take,
	timer,
} from 'rxjs';

/*
Shutdown as events: the first SIGINT or SIGTERM asks the mode to stop gracefully, a second one ends the process now, and a deadline (counted from the first signal, or from another end such as standard input closing, with extra time) ends it when stopping takes too long. Plain Rx over a stream of signals, so marble tests drive it; `processSignals()` is the only part that touches the process.
*/

/**
`stop`: the first signal, stop gracefully. `again`: a second signal, the user wants out now. `deadline`: the deadline passed, `after` milliseconds from its start.
*/
export type ShutdownEvent = {type: 'stop' | 'again'; signal: NodeJS.Signals} | {type: 'deadline'; after: number};

export type ShutdownOptions = {
	/**
	Milliseconds stopping may take from the first signal.
	*/
	deadline: number;
	/**
	Other ends of the run that start the deadline, each with the extra milliseconds it allows before the deadline counts (standard input closed: the grace the requests in flight get). The first start, signal or end, is the one that counts.
	*/
	ends$?: Observable<number>;
};

/**
The shutdown events of a run: `stop` on the first signal, `again` on the second, `deadline` when the deadline passes.

@example
```
shutdown(processSignals(), {deadline: 5000}).subscribe(event => …);
```
*/
export function shutdown(signals$: Observable<NodeJS.Signals>, {deadline, ends$ = EMPTY}: ShutdownOptions): Observable<ShutdownEvent> {
	return signals$.pipe(connect(signals => {
		const first$ = signals.pipe(take(1));
		return merge(
			first$.pipe(map((signal): ShutdownEvent => ({type: 'stop', signal}))),
			signals.pipe(skip(1), take(1), map((signal): ShutdownEvent => ({type: 'again', signal}))),
			merge(first$.pipe(map(() => 0)), ends$).pipe(
				take(1),
				mergeMap(extra => timer(extra + deadline).pipe(map((): ShutdownEvent => ({type: 'deadline', after: extra + deadline})))),
			),
		);
	}));
}

/**
SIGINT and SIGTERM, for as long as subscribed (the handlers replace Node's default of exiting at once).
*/
export function processSignals(): Observable<NodeJS.Signals> {
	return new Observable<NodeJS.Signals>(subscriber => {
		const onSignal = (signal: NodeJS.Signals) => {
			subscriber.next(signal);
		};

		process.on('SIGINT', onSignal);
		process.on('SIGTERM', onSignal);
		return () => {
			process.off('SIGINT', onSignal);
			process.off('SIGTERM', onSignal);
		};
	});
}
