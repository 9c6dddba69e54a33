import process from 'node:process';
import test from 'ava';
import {take} from 'rxjs';
import {processSignals, shutdown} from '../../source/cli/shutdown.js';
import {testScheduler} from '../helpers/marbles.js';

const stop = {type: 'stop', signal: 'SIGTERM'} as const;

test('the first signal asks to stop and starts the deadline; without a second signal the deadline passes', t => {
	testScheduler(t).run(({cold, expectObservable}) => {
		const signals$ = cold<NodeJS.Signals>('--a', {a: 'SIGTERM'});
		expectObservable(shutdown(signals$, {deadline: 5})).toBe('--s 4ms d', {s: stop, d: {type: 'deadline', after: 5}});
	});
});

test('a second signal ends it now, before the deadline', t => {
	testScheduler(t).run(({cold, expectObservable}) => {
		const signals$ = cold<NodeJS.Signals>('a-b', {a: 'SIGTERM', b: 'SIGINT'});
		expectObservable(shutdown(signals$, {deadline: 10})).toBe('s-g 7ms (d|)', {s: stop, g: {type: 'again', signal: 'SIGINT'}, d: {type: 'deadline', after: 10}});
	});
});

test('another end starts the deadline with its extra time, and a later signal does not restart it', t => {
	testScheduler(t).run(({cold, expectObservable}) => {
		const signals$ = cold<NodeJS.Signals>('----a', {a: 'SIGTERM'});
		const ends$ = cold<number>('-e', {e: 3});
		// The deadline counts from the end at 1 ms: 3 ms of grace and 5 ms of deadline, at 9 ms; the signal at 4 ms only asks to stop.
		expectObservable(shutdown(signals$, {deadline: 5, ends$})).toBe('----s 4ms d', {s: stop, d: {type: 'deadline', after: 8}});
	});
});

test('no signal and no end: nothing happens', t => {
	testScheduler(t).run(({cold, expectObservable}) => {
		expectObservable(shutdown(cold<NodeJS.Signals>('-----'), {deadline: 2})).toBe('');
	});
});

test('processSignals turns SIGTERM into an event while subscribed, and removes its handler after', async t => {
	const before = process.listenerCount('SIGTERM');
	const signal = new Promise<NodeJS.Signals>(resolve => {
		processSignals().pipe(take(1)).subscribe(resolve);
	});
	t.is(process.listenerCount('SIGTERM'), before + 1);
	// Ava runs tests in a worker thread, where the process's signals are not delivered: the event is emitted as Node would.
	process.emit('SIGTERM', 'SIGTERM');
	t.is(await signal, 'SIGTERM');
	t.is(process.listenerCount('SIGTERM'), before);
});
