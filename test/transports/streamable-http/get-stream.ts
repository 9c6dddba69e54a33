import test from 'ava';
import {defer, type Observable} from 'rxjs';
import {
	afterEnd, afterRefusal, createGetStreamCursor, reopening,
} from '../../../source/transports/streamable-http/get-stream.js';
import {testScheduler} from '../../helpers/marbles.js';

/*
When the GET stream is reopened, without sockets: the delays from the one backoff (tables), and the reopening loop in virtual time. Opening and reading it against real servers is tested in index.ts.
*/

test('a refusal with a status that may change is retried with a doubling delay from the server\'s retry:, five times at most', t => {
	const cursor = createGetStreamCursor();
	const delays = [503, 502, 429, 409, 500, 503].map(status => afterRefusal(cursor, status));
	t.deepEqual(delays, [2000, 4000, 8000, 16_000, 30_000, undefined]);
});

test('a refusal that will not change (400, 401, 403…) is not retried', t => {
	for (const status of [400, 401, 403, 406]) {
		t.is(afterRefusal(createGetStreamCursor(), status), undefined, `HTTP ${status}`);
	}
});

test('the server\'s retry: sets the base, capped at 30 s; 0 means at once', t => {
	t.is(afterRefusal({lastEventId: undefined, retry: 0, failures: 0}, 503), 0);
	t.is(afterRefusal({lastEventId: undefined, retry: 60_000, failures: 0}, 503), 30_000);
	t.is(afterRefusal({lastEventId: undefined, retry: 250, failures: 0}, 503), 500);
});

test('a stream that ended after carrying events is reopened after retry: (100 ms at least); empty ones back off, five doublings at most', t => {
	const cursor = createGetStreamCursor();
	t.is(afterEnd(cursor, {lastEventId: '7', retry: 50, events: 3}), 100);
	t.deepEqual(cursor, {lastEventId: '7', retry: 50, failures: 0});
	const empty = {lastEventId: undefined, retry: undefined, events: 0};
	t.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => afterEnd(cursor, empty)), [200, 400, 800, 1600, 3200, 3200, 3200]);
	t.deepEqual(cursor, {lastEventId: '7', retry: 50, failures: 7}, 'the last event id and retry: are kept');
	t.is(afterEnd(cursor, {lastEventId: '9', retry: undefined, events: 1}), 100);
	t.is(afterEnd({lastEventId: undefined, retry: 1000, failures: 0}, {...empty, retry: 20_000}), 30_000);
});

test('reopening: each run after the delay the previous one gave, until one gives none', t => {
	testScheduler(t).run(({cold, expectObservable, expectSubscriptions}) => {
		const runs = [cold('---(a|)', {a: 5}), cold('--(a|)', {a: 10}), cold('-(a|)', {a: undefined})];
		let index = 0;
		const open = (): Observable<number | undefined> => runs[index++]!;
		expectObservable(reopening(open)).toBe('---------------------|');
		expectSubscriptions(runs[0]!.subscriptions).toBe('^--!');
		expectSubscriptions(runs[1]!.subscriptions).toBe('--------^-!');
		expectSubscriptions(runs[2]!.subscriptions).toBe('--------------------^!');
	});
});

test('reopening ends the run under way and the wait when unsubscribed', t => {
	testScheduler(t).run(({cold, expectObservable, expectSubscriptions}) => {
		const run$ = cold('--(a|)', {a: 100});
		expectObservable(defer(() => reopening(() => run$)), '-------!').toBe('');
		expectSubscriptions(run$.subscriptions).toBe('^-!');
	});
});
