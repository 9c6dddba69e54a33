import test from 'ava';
import {Channel} from '../source/channel.js';

test('what is pushed before the subscriber comes is held, in order, then flows through', t => {
	const channel = new Channel<number>();
	const seen: number[] = [];
	channel.next(1);
	channel.next(2);
	channel.observable.subscribe(value => {
		seen.push(value);
		if (value === 1) {
			// Pushed during the drain: joins the end.
			channel.next(3);
		}
	});
	channel.next(4);
	t.deepEqual(seen, [1, 2, 3, 4]);
});

test('completion before the subscriber comes is held too', t => {
	const channel = new Channel<string>();
	channel.next('a');
	channel.complete();
	const seen: string[] = [];
	let completed = false;
	channel.observable.subscribe({
		next(value) {
			seen.push(value);
		},
		complete() {
			completed = true;
		},
	});
	t.deepEqual(seen, ['a']);
	t.true(completed);
});

test('a second subscriber while the first is there gets an error', t => {
	const channel = new Channel<string>();
	channel.observable.subscribe();
	let error: unknown;
	channel.observable.subscribe({
		error(caught: unknown) {
			error = caught;
		},
	});
	t.regex(String(error), /subscribed twice/);
});

test('after the subscriber leaves, what is pushed is held for the next one', t => {
	const channel = new Channel<number>();
	const first: number[] = [];
	const subscription = channel.observable.subscribe(value => {
		first.push(value);
	});
	channel.next(1);
	subscription.unsubscribe();
	channel.next(2);
	const second: number[] = [];
	channel.observable.subscribe(value => {
		second.push(value);
	});
	t.deepEqual(first, [1]);
	t.deepEqual(second, [2]);
});
