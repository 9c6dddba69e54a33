import test from 'ava';
import {EventStore, parseEventId, formatEventId} from '../../source/listeners/event-store.js';
import {Payload} from '../../source/listeners/payload.js';

/*
The event store: ids that name their stream, replay per stream, bounds that drop the oldest, and knowing when a replay may be incomplete.
*/

const payload = (text: string) => new Payload(text, 'notification');

test('EventStore: ids name their stream, replay is per stream, bounds drop the oldest', t => {
	const store = new EventStore({maxEvents: 3, maxBytes: 100});
	const a1 = store.append('p', 1, payload('a1'));
	const b1 = store.append('g', 2, payload('b1'));
	const a2Payload = payload('a2');
	const a2 = store.append('p', 1, a2Payload);
	t.deepEqual(parseEventId(a1), {kind: 'p', stream: 1, sequence: 1});
	t.is(formatEventId('g', 2, 2), b1);
	t.deepEqual(store.after(parseEventId(a1)!), [{id: a2, payload: a2Payload, sequence: 3}]);
	t.deepEqual(store.after(parseEventId(b1)!), []);
	store.append('p', 1, payload('a3'));
	t.is(store.size, 3);
	t.deepEqual(store.after({kind: 'p', stream: 1, sequence: 0}).map(event => event.payload.text), ['a2', 'a3'], 'the oldest went');
	store.append('g', 2, payload('x'.repeat(150)));
	t.is(store.size, 3, 'an event larger than the byte bound is not kept');
	store.append('g', 2, payload('y'.repeat(90)));
	t.deepEqual(store.after({kind: 'g', stream: 2, sequence: 0}).map(event => event.payload.size), [90], 'the byte bound drops the oldest');
	t.true(store.issued(6));
	t.false(store.issued(7));
	for (const id of ['', 'x1-1', 'p-1', 'p1-', 'p1-1-1', 'g1_1']) {
		t.is(parseEventId(id), undefined, `${id}`);
	}

	const big = new EventStore({maxEvents: 1000, maxBytes: 1_000_000});
	for (let index = 0; index < 5000; index++) {
		big.append('p', index % 7, payload(String(index)));
	}

	t.is(big.size, 1000);
	t.deepEqual(big.after({kind: 'p', stream: 3, sequence: 4990}).map(event => event.payload.text), ['4994']);
});

test('EventStore: it knows when a replay from an event can be incomplete', t => {
	const store = new EventStore({maxEvents: 2, maxBytes: 100});
	store.append('p', 1, payload('a'));
	t.false(store.droppedAfter(1));
	store.append('p', 1, payload('b'));
	store.append('p', 1, payload('c'));
	// Event 1 went: a client resuming after event 0 misses it, one resuming after event 1 misses nothing.
	t.true(store.droppedAfter(0));
	t.false(store.droppedAfter(1));
	store.append('g', 2, payload('x'.repeat(150)));
	t.true(store.droppedAfter(3), 'an event too large to keep counts as dropped');
});
