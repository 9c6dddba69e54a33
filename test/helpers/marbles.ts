import type {ExecutionContext} from 'ava';
import {TestScheduler} from 'rxjs/testing';

/**
A `TestScheduler` whose assertions are ava's `deepEqual`.
*/
export function testScheduler(t: ExecutionContext): TestScheduler {
	return new TestScheduler((actual, expected) => {
		t.deepEqual(actual, expected);
	});
}
