import test from 'ava';
import {Payload} from '../../../source/listeners/payload.js';
import {
	biggest,
	countHold,
	countRelease,
	createBudgetState,
	nextMove,
	noteShed,
	reportWait,
	shedOldestNotification,
	startEnforcement,
	takeReport,
	type BudgetState,
} from '../../../source/listeners/queue-budget/shed.js';

/*
The queue budget's decisions as tables: notifications held by sessions (a broadcast by many), holders with the resumption copies they could let go of (sizes, oldest first) and what they hold that cannot be shed; what a run sheds, the moves it makes, and the state after. No sessions, no sockets: the driver below does what the glue does with each move.
*/

type FakeHolder = {id: string; heldBytes: number; copies: number[]};

function holder(id: string, copies: number[], pinned = 0): FakeHolder {
	return {id, heldBytes: copies.reduce((sum, size) => sum + size, pinned), copies};
}

function stateWith(limit: number, holders: FakeHolder[]): BudgetState<FakeHolder> {
	const state = createBudgetState<FakeHolder>(limit, 'raise it with --max-queued-bytes');
	for (const each of holders) {
		state.holders.add(each);
		state.queued += each.heldBytes;
	}

	return state;
}

/**
A notification of `size` characters, held by `holders` (queued by the last of them).
*/
function notification(state: BudgetState<FakeHolder>, size: number, holders: FakeHolder[]): Payload {
	const payload = new Payload('n'.repeat(size), 'notification');
	for (const each of holders) {
		payload.queuedBy = each.id;
		countHold(state, payload);
	}

	return payload;
}

/**
Run the decisions to the end as the glue does: a shed lets go of the holder's oldest resumption copy (its bytes leave the count), a cut drops everything the holder held. At most `maxMoves` moves.
*/
function enforce(state: BudgetState<FakeHolder>, maxMoves = 10_000): string[] {
	const moves: string[] = [];
	const run = startEnforcement(state);
	if (!run) {
		return moves;
	}

	for (let move = nextMove(state, run); move.type !== 'done' && moves.length < maxMoves; move = nextMove(state, run)) {
		if (move.type === 'shed') {
			const size = move.holder.copies.shift() ?? 0;
			move.holder.heldBytes -= size;
			state.queued -= size;
			moves.push(`shed ${move.holder.id} ${size}`);
			noteShed(state, run, size);
		} else {
			state.queued -= move.holder.heldBytes;
			moves.push(`cut ${move.holder.id}: ${move.warning}`);
		}
	}

	return moves;
}

test('within the limit: no run, nothing shed', t => {
	const state = stateWith(1000, [holder('a', [400]), holder('b', [500])]);
	t.is(startEnforcement(state), undefined);
	t.deepEqual(enforce(state), []);
});

test('over the limit: the oldest notifications held anywhere are shed first, a broadcast once for all its holders, until 1/16 below the limit', t => {
	// Limit 1600, target 1500.
	const a = holder('a', [300]);
	const b = holder('b', []);
	const state = stateWith(1600, [a, b]);
	const first = notification(state, 400, [a, b]);
	const second = notification(state, 500, [b]);
	const third = notification(state, 600, [a, b]);
	// 300 + 400 + 500 + 600 = 1800 queued.
	t.is(state.queued, 1800);
	t.deepEqual(enforce(state), [], 'no move for the glue: notifications are shed in the step');
	t.true(first.shed, 'the oldest went');
	t.is(first.text, undefined, 'its text is let go at once, whoever still holds it');
	t.false(second.shed || third.shed, '1400 queued: below the target');
	t.is(state.queued, 1400);
	t.is(state.shedMessages, 1);
	t.deepEqual([...state.unreported], [['b', 1]], 'counted for the session that last queued it');
	t.is(state.unreportedBytes, 400);
	// Its holders let go of it when they come to it: counted once already, never again.
	countRelease(state, first);
	countRelease(state, first);
	t.is(state.queued, 1400);
	t.is(state.oldest, second);
});

test('notifications first, then resumption copies from the holder holding the most; past the limit with nothing to shed, the holder holding the most is closed', t => {
	// Responses only (cannot be shed): 3 KiB; resumption copies of another: 500.
	const stuck = holder('stuck', [], 3072);
	const chatty = holder('chatty', [250, 250]);
	const state = stateWith(2048, [stuck, chatty]);
	const note = notification(state, 100, [chatty]);
	const moves = enforce(state);
	t.true(note.shed);
	t.deepEqual(moves.slice(0, 4), ['shed stuck 0', 'shed chatty 250', 'shed chatty 250', 'shed chatty 0']);
	t.is(moves.length, 5);
	t.is(moves[4], 'cut stuck: Session stuck: closed, holding 3 KiB of responses and requests its client does not read, '
	+ 'while the messages queued for all clients (3 KiB) are over the limit of 2 KiB with nothing left to shed; raise it with --max-queued-bytes');
	t.is(state.cutSessions, 1);
	t.false(state.holders.has(stuck), 'a closed holder leaves the budget at once');
	t.true(state.holders.has(chatty));
	t.is(state.queued, 0);
	t.is(state.shedMessages, 3);
});

test('a holder holding nothing is never closed, even over the limit', t => {
	const empty = holder('empty', []);
	const state = stateWith(100, [empty]);
	// Bytes counted for payloads nobody holds any more (their holders let go of them elsewhere).
	state.queued = 500;
	t.deepEqual(enforce(state), ['shed empty 0']);
	t.is(state.cutSessions, 0);
});

test('1000 sessions holding the same broadcasts: shedding takes a bounded number of steps per notification, never a pass over the sessions per shed', t => {
	const sessions = Array.from({length: 1000}, (_, index) => holder(`s${index}`, []));
	let visits = 0;
	// Counts every look at a session.
	const counted = new (class extends Set<FakeHolder> {
		override * [Symbol.iterator](): SetIterator<FakeHolder> {
			for (const each of super[Symbol.iterator]()) {
				visits++;
				yield each;
			}
		}
	})();
	const state = createBudgetState<FakeHolder>(100 * 1024, 'raise it with --max-queued-bytes');
	(state as {holders: Set<FakeHolder>}).holders = counted;
	for (const each of sessions) {
		counted.add(each);
	}

	const broadcasts: Payload[] = [];
	for (let index = 0; index < 200; index++) {
		const payload = new Payload('b'.repeat(1024), 'notification');
		for (const each of sessions) {
			payload.queuedBy = each.id;
			countHold(state, payload);
			// As sessions counted them before notifications left the per-session counts.
			each.heldBytes += payload.size;
		}

		broadcasts.push(payload);
	}

	t.is(state.queued, 200 * 1024, 'a broadcast counts once');
	const moves = enforce(state, 20_000);
	t.true(moves.length + visits <= 2000, `${moves.length} moves and ${visits} looks at sessions to shed ${state.shedMessages} notifications`);
	t.true(state.queued <= (100 * 1024) - (100 * 1024 / 16), 'back below the target');
	// 200 KiB queued, the target 96000 bytes: 107 of 1 KiB go.
	t.is(broadcasts.filter(payload => payload.shed).length, 107, 'the oldest, once each, for every session at once');
	t.deepEqual(broadcasts.slice(0, 107).map(payload => payload.shed), Array.from({length: 107}, () => true));
});

test('shedOldestNotification: 0 when no notification is held; an empty one (the event priming a stream, shared by every session) is never listed', t => {
	const state = createBudgetState(10, '');
	const priming = new Payload('', 'notification');
	countHold(state, priming);
	t.is(state.oldest, undefined);
	t.is(shedOldestNotification(state), 0);
	t.false(priming.shed);
	countRelease(state, priming);
	t.is(state.queued, 0);
});

test('biggest: the holder holding the most and the runner-up, skipping some', t => {
	const a = holder('a', [5]);
	const b = holder('b', [9]);
	const c = holder('c', [7]);
	t.deepEqual(biggest([a, b, c]), {holder: b, runnerUp: 7});
	t.deepEqual(biggest([a, b, c], new Set([b])), {holder: c, runnerUp: 5});
	t.is(biggest([a], new Set([a])), undefined);
});

test('counting: a payload counts once however many hold it, from the first hold to the last release', t => {
	const state = createBudgetState(100, '');
	const payload = new Payload('x'.repeat(60), 'notification');
	t.false(countHold(state, payload));
	t.false(countHold(state, payload), 'held again: counted once');
	t.is(state.queued, 60);
	t.true(countHold(state, new Payload('y'.repeat(50), 'notification')), 'this one takes the count over the limit');
	countRelease(state, payload);
	t.is(state.queued, 110);
	countRelease(state, payload);
	t.is(state.queued, 50);
});

test('the warning: at most one per interval, the five sessions that shed most by name, then a fresh count', t => {
	const state = createBudgetState(4 * 1024 * 1024, 'raise it with the `maxQueuedBytes` option');
	for (const [index, count] of [3, 9, 1, 4, 4, 2, 8].entries()) {
		state.unreported.set(`s${index}`, count);
	}

	state.unreportedBytes = 3 * 1024 * 1024;
	state.unreportedPeak = 5 * 1024 * 1024;
	t.true(reportWait(state, 1000, 10_000) <= 0, 'the first may come at once');
	t.is(takeReport(state, 1000), 'Shed 31 notifications and resumption copies (3 MiB) that clients were not reading: '
	+ '9 for session s1, 8 for session s6, 4 for session s3, 4 for session s4, 3 for session s0 and 3 for 2 more sessions. '
	+ 'The messages queued for all clients (5 MiB) passed the limit of 4 MiB; raise it with the `maxQueuedBytes` option');
	t.is(state.unreported.size, 0);
	t.is(state.unreportedBytes, 0);
	t.is(reportWait(state, 4000, 10_000), 7000, 'the next waits for the interval');
});
