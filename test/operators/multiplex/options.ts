/*
Tests of the multiplexer's options (source/operators/multiplex/options.ts): defaults, restart delays that are not numbers ≥ 0 refused with a precise TypeError, a restartDelay above restartMaxDelay capped.
*/
import test from 'ava';
import {multiplexConfig} from '../../../source/operators/multiplex/options.js';
import {multiplex} from '../../../source/operators/multiplex/index.js';

test('defaults, and the name capitalized to start a sentence', t => {
	t.deepEqual(multiplexConfig({}), {
		name: 'the server',
		title: 'The server',
		restartDelay: 1000,
		restartMaxDelay: 30_000,
		stableAfter: 10_000,
		initializeTimeout: 60_000,
		maxQueued: 1000,
		ambiguousRequestTimeout: 30_000,
		era: '2025',
		settingNames: undefined,
	});
	t.like(multiplexConfig({name: 'server "fetch"'}), {name: 'server "fetch"', title: 'Server "fetch"'});
});

test('restart delays that are not numbers ≥ 0 are a TypeError that names the option', t => {
	const cases = [
		{options: {restartDelay: -1}, message: 'Expected `restartDelay` to be a number ≥ 0, got `-1`'},
		{options: {restartDelay: Number.NaN}, message: 'Expected `restartDelay` to be a number ≥ 0, got `NaN`'},
		{options: {restartMaxDelay: -1}, message: 'Expected `restartMaxDelay` to be a number ≥ 0, got `-1`'},
		{options: {restartMaxDelay: Number.NaN}, message: 'Expected `restartMaxDelay` to be a number ≥ 0, got `NaN`'},
	];
	for (const {options, message} of cases) {
		t.throws(() => multiplex(() => {
			throw new Error('not subscribed');
		}, options), {instanceOf: TypeError, message});
	}
});

test('a restartDelay above restartMaxDelay is capped to it, as before the shared backoff', t => {
	t.like(multiplexConfig({restartDelay: 60_000}), {restartDelay: 30_000, restartMaxDelay: 30_000});
	t.like(multiplexConfig({restartDelay: 5000, restartMaxDelay: 1000}), {restartDelay: 1000, restartMaxDelay: 1000});
});
