import test from 'ava';
import {answerFits} from '../../source/listeners/json-answer.js';
import {maxBufferedBytes} from '../../source/listeners/sse-writer.js';

/*
The decision about JSON answers waiting on one connection, as a table; the holding itself (counted until the response finishes or the connection closes) is covered over real sockets by test/reliability/memory-bounds.ts.
*/

const mebibyte = 1024 * 1024;

for (const [waiting, size, fits, why] of [
	[0, 4 * mebibyte, true, 'one answer alone'],
	[0, 200 * mebibyte, true, 'one answer alone, however large (as one event on a stream)'],
	[60 * mebibyte, 4 * mebibyte, true, 'up to the limit'],
	[60 * mebibyte, (4 * mebibyte) + 1, false, 'past the limit'],
	[1, maxBufferedBytes, false, 'anything waiting, and more than the limit with it'],
] as const) {
	test(`answerFits: ${why}`, t => {
		t.is(answerFits(waiting, size), fits);
	});
}

test('answerFits: the limit is that of an SSE stream unless given', t => {
	t.is(maxBufferedBytes, 64 * mebibyte);
	t.false(answerFits(10, 20, 25));
	t.true(answerFits(10, 15, 25));
});
