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
	startEnforcement,
	takeReport,
	type BudgetState,
} from '../../../source/listeners/queue-budget/shed.js';

/*
The queue budget's decisions as tables: holders with what they could shed (notification sizes, oldest first) and what they hold that cannot be shed; the moves a run makes, and the state after. No sessions, no sockets: the driver below does what the glue does with each move.
*/

type FakeHolder = {id: string; heldBytes: number; notifications: number[]};

function holder(id: string, notifications: number[], pinned = 0): FakeHolder {
	return {id, heldBytes: notifications.reduce((sum, size) => sum + size, pinned), notifications};
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
Run the decisions to the end as the glue does: a shed lets go of the oldest notification (its bytes leave the count), a cut drops everything the holder held.
*/
function enforce(state: BudgetState<FakeHolder>): string[] {
	const moves: string[] = [];
	const run = startEnforcement(state);
	if (!run) {
		return moves;
	}

	for (let move = nextMove(state, run); move.type !== 'done'; move = nextMove(state, run)) {
		if (move.type === 'shed') {
			const size = move.holder.notifications.shift() ?? 0;
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

test('over the limit: the holder holding the most sheds its oldest, down to the next biggest, until 1/16 below the limit', t => {
	// Limit 1600, target 1500; 1900 queued.
	const a = holder('a', [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]);
	const b = holder('b', [300, 300, 300]);
	const state = stateWith(1600, [a, b]);
	t.deepEqual(enforce(state), [
		// A holds 1000, b 900: a sheds down to 900 and goes on while it holds at least as much as b.
		'shed a 100',
		'shed a 100',
		// 1700 queued, a and b hold 800 and 900: b now holds the most.
		'shed b 300',
		// 1400 queued: below the target.
	]);
	t.is(state.queued, 1400);
	t.is(state.shedMessages, 3);
	t.deepEqual([...state.unreported], [['a', 2], ['b', 1]]);
	t.is(state.unreportedBytes, 500);
	t.is(state.unreportedPeak, 1900);
	t.is(state.cutSessions, 0);
});

test('a holder with nothing left to shed is passed over; past the limit with nothing to shed, the holder holding the most is closed', t => {
	// Responses only (cannot be shed): 3 KiB; notifications of another: 500.
	const stuck = holder('stuck', [], 3072);
	const chatty = holder('chatty', [250, 250]);
	const state = stateWith(2048, [stuck, chatty]);
	const moves = enforce(state);
	t.deepEqual(moves.slice(0, 4), ['shed stuck 0', 'shed chatty 250', 'shed chatty 250', 'shed chatty 0']);
	t.is(moves.length, 5);
	t.is(moves[4], 'cut stuck: Session stuck: closed, holding 3 KiB of responses and requests its client does not read, '
	+ 'while the messages queued for all clients (3 KiB) are over the limit of 2 KiB with nothing left to shed; raise it with --max-queued-bytes');
	t.is(state.cutSessions, 1);
	t.false(state.holders.has(stuck), 'a closed holder leaves the budget at once');
	t.true(state.holders.has(chatty));
	t.is(state.queued, 0);
});

test('a holder holding nothing is never closed, even over the limit', t => {
	const empty = holder('empty', []);
	const state = stateWith(100, [empty]);
	// Bytes counted for payloads nobody holds any more (their holders let go of them elsewhere).
	state.queued = 500;
	t.deepEqual(enforce(state), ['shed empty 0']);
	t.is(state.cutSessions, 0);
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
