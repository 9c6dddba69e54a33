import test from 'ava';
import {
	checkMessage, maxNestingDepth, nestsDeeperThan, toMessages,
} from '../../source/wire/message.js';

const nested = (depth: number, open = '{"a":', close = '}') => JSON.parse(`${open.repeat(depth)}1${close.repeat(depth)}`) as unknown;

test('a batch inside a batch is refused, however deep, without a stack overflow', t => {
	const reasons: string[] = [];
	const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
	t.deepEqual(toMessages(deep, reason => {
		reasons.push(reason);
	}), []);
	t.deepEqual(reasons, ['a batch inside a batch']);
	const ping = {jsonrpc: '2.0', id: 1, method: 'ping'};
	reasons.length = 0;
	t.deepEqual(toMessages([ping, [ping]], reason => {
		reasons.push(reason);
	}), [ping]);
	t.deepEqual(reasons, ['a batch inside a batch']);
});

test('messages nested deeper than the limit are refused; at the limit they pass', t => {
	t.false(nestsDeeperThan(nested(11), 11));
	t.true(nestsDeeperThan(nested(12), 11));
	t.true(nestsDeeperThan(nested(100_000, '[', ']'), maxNestingDepth));
	// The message object is level 1, `params` level 2.
	const message = (depth: number) => ({
		jsonrpc: '2.0', id: 1, method: 'tools/call', params: nested(depth),
	});
	t.is(checkMessage(message(maxNestingDepth - 1)), undefined);
	t.is(checkMessage(message(maxNestingDepth)), `nested deeper than ${maxNestingDepth} levels`);
	t.is(checkMessage({jsonrpc: '2.0', id: 1, result: nested(100_000)}), `nested deeper than ${maxNestingDepth} levels`);
	// Whatever passes can be serialized again.
	t.notThrows(() => JSON.stringify(message(maxNestingDepth - 1)));
});

test('the length of the text a message came from gives the same verdict on nesting, walking only texts long enough to nest too deep', t => {
	// Texts around the limit, with the tightest brackets (arrays) and with keys: the verdict with the length is the verdict without it.
	for (const depth of [1, 2, maxNestingDepth - 2, maxNestingDepth - 1, maxNestingDepth, maxNestingDepth + 1]) {
		for (const [open, close] of [['[', ']'], ['{"a":', '}']] as const) {
			const text = `{"jsonrpc":"2.0","id":1,"result":${open.repeat(depth)}1${close.repeat(depth)}}`;
			const value = JSON.parse(text) as unknown;
			t.is(checkMessage(value, text.length), checkMessage(value), `depth ${depth} with ${open}`);
			t.is(toMessages([value], () => undefined, text.length + 2).length, toMessages([value], () => undefined).length, `batch, depth ${depth} with ${open}`);
		}
	}

	// A short text is not walked at all: a value that could not have come from it is taken on its word.
	const shortest = 2 * (maxNestingDepth + 1);
	t.is(checkMessage({jsonrpc: '2.0', id: 1, result: nested(100_000)}, shortest - 1), undefined);
	t.is(checkMessage({jsonrpc: '2.0', id: 1, result: nested(100_000)}, shortest), `nested deeper than ${maxNestingDepth} levels`);
});
