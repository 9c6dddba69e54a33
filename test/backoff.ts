import test from 'ava';
import {exponentialBackoff} from '../source/backoff.js';

test('the delay doubles with each failure, up to the longest', t => {
	const delay = exponentialBackoff({initialDelay: 500, maxDelay: 30_000});
	t.deepEqual([0, 1, 2, 3, 5, 6, 7, 100].map(failures => delay(failures)), [500, 1000, 2000, 4000, 16_000, 30_000, 30_000, 30_000]);
});

test('maxDoublings stops the growth before maxDelay', t => {
	const delay = exponentialBackoff({initialDelay: 100, maxDelay: 30_000, maxDoublings: 5});
	t.deepEqual([4, 5, 6, 20].map(failures => delay(failures)), [1600, 3200, 3200, 3200]);
});

test('with jitter, each delay lies between half and all of its nominal value', t => {
	const draws = [0, 0.5, 0.999];
	let index = 0;
	const delay = exponentialBackoff({
		initialDelay: 1000, maxDelay: 8000, jitter: true, random: () => draws[index++ % draws.length]!,
	});
	t.deepEqual([delay(0), delay(0), delay(0)], [500, 750, 999.5]);
	t.is(delay(10), 4000);
});

test('bounds are validated', t => {
	t.throws(() => exponentialBackoff({initialDelay: -1, maxDelay: 10}), {instanceOf: TypeError, message: /initialDelay/});
	t.throws(() => exponentialBackoff({initialDelay: 100, maxDelay: 10}), {instanceOf: TypeError, message: /maxDelay/});
	t.throws(() => exponentialBackoff({initialDelay: Number.NaN, maxDelay: 10}), {instanceOf: TypeError});
});
