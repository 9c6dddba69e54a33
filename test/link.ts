import test from 'ava';
import {
	ignoreElements,
	map,
	merge,
	Observable,
	of,
	tap,
} from 'rxjs';
import {link, pipeTransport} from '../source/link.js';
import type {Message, Transport} from '../source/types.js';
import {testScheduler} from './helpers/marbles.js';

const note = (method: string): Message => ({jsonrpc: '2.0', method});

/**
A transport that plays `source$` (its completion is the peer closing) and records what it is sent, with the virtual time.
*/
function scripted(source$: Observable<Message>, received: Array<[number, string]>, now: () => number): Transport {
	return outgoing$ => new Observable<Message>(subscriber => {
		const sent = outgoing$.subscribe(message => {
			received.push([now(), 'method' in message ? message.method : 'response']);
		});
		const played = source$.subscribe(subscriber);
		return () => {
			sent.unsubscribe();
			played.unsubscribe();
		};
	});
}

test('link delivers each side\'s messages to the other and tears both down on unsubscribe', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, expectObservable, expectSubscriptions}) => {
		const aSource = cold<Message>('-a--b------', {a: note('a'), b: note('b')});
		const bSource = cold<Message>('--x--------', {x: note('x')});
		const toA: Array<[number, string]> = [];
		const toB: Array<[number, string]> = [];
		const now = () => scheduler.now();
		expectObservable(link(scripted(aSource, toA, now), scripted(bSource, toB, now)), '^------!').toBe('--------');
		expectSubscriptions(aSource.subscriptions).toBe('^------!');
		expectSubscriptions(bSource.subscriptions).toBe('^------!');
		scheduler.flush();
		t.deepEqual(toB, [[1, 'a'], [4, 'b']]);
		t.deepEqual(toA, [[2, 'x']]);
	});
});

test('link errors when side A errors, and unsubscribes side B', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, expectObservable, expectSubscriptions}) => {
		const failure = new Error('a failed');
		const aSource = cold<Message>('---#', undefined, failure);
		const bSource = cold<Message>('-------');
		const now = () => scheduler.now();
		expectObservable(link(scripted(aSource, [], now), scripted(bSource, [], now))).toBe('---#', undefined, failure);
		expectSubscriptions(bSource.subscriptions).toBe('^--!');
	});
});

test('link errors when side B errors, and unsubscribes side A', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, expectObservable, expectSubscriptions}) => {
		const failure = new Error('b failed');
		const aSource = cold<Message>('-------');
		const bSource = cold<Message>('--#', undefined, failure);
		const now = () => scheduler.now();
		expectObservable(link(scripted(aSource, [], now), scripted(bSource, [], now))).toBe('--#', undefined, failure);
		expectSubscriptions(aSource.subscriptions).toBe('^-!');
	});
});

test('link completes when a peer closes and the other side finishes closing', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, expectObservable}) => {
		// A closes at frame 3. B answers each message and completes when its outgoing messages complete.
		const aSource = cold<Message>('-a-|', {a: note('a')});
		const echo: Transport = outgoing$ => outgoing$.pipe(map(message => note(`echo ${'method' in message ? message.method : ''}`)));
		const toA: Array<[number, string]> = [];
		expectObservable(link(scripted(aSource, toA, () => scheduler.now()), echo)).toBe('---|');
		scheduler.flush();
		t.deepEqual(toA, [[1, 'echo a']]);
	});
});

test('link waits for the other side to finish closing', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({cold, expectObservable}) => {
		const aSource = cold<Message>('--|');
		// B takes 3 frames to close after its outgoing messages complete.
		const slowClose: Transport = outgoing$ => new Observable<Message>(subscriber => outgoing$.subscribe({
			complete() {
				scheduler.schedule(() => {
					subscriber.complete();
				}, 3);
			},
		}));
		expectObservable(link(scripted(aSource, [], () => scheduler.now()), slowClose)).toBe('-----|');
	});
});

test('link loses no message emitted synchronously at subscribe time, on either side', t => {
	const received: string[] = [];
	// Both sides emit at once when subscribed, before the other side is listening.
	const a: Transport = outgoing$ => merge(
		outgoing$.pipe(tap(message => {
			received.push(`a got ${'method' in message ? message.method : ''}`);
		}), ignoreElements()),
		of(note('hello from a')),
	);
	const b: Transport = outgoing$ => merge(
		outgoing$.pipe(
			tap(message => {
				received.push(`b got ${'method' in message ? message.method : ''}`);
			}),
			map(message => note(`reply to ${'method' in message ? message.method : ''}`)),
		),
		of(note('hello from b')),
	);
	const subscription = link(a, b).subscribe();
	subscription.unsubscribe();
	t.deepEqual(received.toSorted(), [
		'a got hello from b',
		'a got reply to hello from a',
		'b got hello from a',
	]);
});

test('pipeTransport applies operators left to right', t => {
	const order: string[] = [];
	const base: Transport = outgoing$ => outgoing$;
	const mark = (name: string) => (transport: Transport): Transport => outgoing$ => {
		order.push(name);
		return transport(outgoing$);
	};

	pipeTransport(base, mark('inner'), mark('outer'))(of(note('x'))).subscribe();
	t.deepEqual(order, ['outer', 'inner']);
});
