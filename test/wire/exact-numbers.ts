import {Buffer} from 'node:buffer';
import {readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import fc from 'fast-check';
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js';
import type {JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js';
import {
	of, Subject,
} from 'rxjs';
import {
	guardNumbers, isNumberStandIn, mayHoldInexactNumbers, parseJson, plainNumbers, restoreNumbers, standInText, stringifyJson, survivesDouble,
} from '../../source/wire/exact-numbers.js';
import {
	cutLongStrings, JsonPieces, jsonBody, jsonText, parseSkeleton, serializeJson,
} from '../../source/wire/long-strings.js';
import {checkMessage, sniffMessage} from '../../source/wire/message.js';
import {messageLog} from '../../source/operators/message-log.js';
import {fromSdkTransport, toSdkTransport} from '../../source/transports/sdk-transport.js';
import type {Message} from '../../source/types.js';
import {chunk} from '../helpers/chunk.js';

/**
A JSON number literal's exact value, in BigInt arithmetic (independent of the code under test). Zero is zero, whatever its sign.
*/
function exactValue(literal: string): string {
	const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal)!;
	const [, sign, whole, fraction = '', exponent = '0'] = match;
	let mantissa = BigInt(`${whole}${fraction}`);
	if (mantissa === 0n) {
		return '0';
	}

	let scale = BigInt(exponent) - BigInt(fraction.length);
	while (mantissa % 10n === 0n) {
		mantissa /= 10n;
		scale++;
	}

	return `${sign}${mantissa}e${scale}`;
}

/**
What the proxy should write for a literal it read: the literal itself when `JSON.stringify` of its double has another value (or is not a number), else what `JSON.stringify` writes.
*/
function expectedText(literal: string): string {
	const written = JSON.stringify(Number(literal));
	return written === 'null' || exactValue(written) !== exactValue(literal) ? literal : written;
}

const edgeLiterals = '1e400 -1e400 1e-400 -1e-400 -0 -0.0 -0e5 0 0.0 5e-324 2e-324 1.7976931348623157e308 1.7976931348623159e308 1E2 100.000 0.30000000000000004 12345678.123456789'.split(' ');

const literal = fc.oneof(
	fc.bigInt({min: -(10n ** 40n), max: 10n ** 40n}).map(String),
	fc.bigInt({min: (2n ** 53n) - 100n, max: (2n ** 53n) + 100n}).map(String),
	fc.bigInt({min: (2n ** 64n) - 100n, max: (2n ** 64n) + 100n}).map(value => `-${value}`),
	fc.stringMatching(/^-?(?:0|[1-9]\d{0,24})(?:\.\d{1,24})?(?:[eE][+-]?\d{1,4})?$/),
	fc.double({noNaN: true, noDefaultInfinity: true}).map(value => JSON.stringify(value)),
	fc.constantFrom(...edgeLiterals),
);

const stringText = fc.oneof(
	fc.string({maxLength: 20}).map(value => JSON.stringify(value)),
	literal.map(value => JSON.stringify(value)),
	fc.constantFrom(String.raw`"\\"`, String.raw`"a\"9007199254740993"`, String.raw`"\\\"1e400"`, String.raw`"\u0039007199254740993"`, String.raw`"-0"`, String.raw`"\/"`, '"e1234 9007199254740993 "'),
);

type Tree = {text: string; expected: string};
const whitespace = fc.constantFrom('', ' ', '\n', '\t ', ' \r\n');

const tree: fc.Arbitrary<Tree> = fc.letrec<{node: Tree}>(tie => ({
	node: fc.oneof(
		{depthSize: 'small', withCrossShrink: true},
		literal.map(value => ({text: value, expected: expectedText(value)})),
		stringText.map(text => ({text, expected: JSON.stringify(JSON.parse(text))})),
		fc.constantFrom('true', 'false', 'null').map(text => ({text, expected: text})),
		fc.tuple(fc.array(fc.tuple(tie('node'), whitespace), {maxLength: 5}), whitespace).map(([items, space]) => ({
			text: `[${space}${items.map(([item, after]) => `${item.text}${after}`).join(',')}]`,
			expected: `[${items.map(([item]) => item.expected).join(',')}]`,
		})),
		fc.array(fc.tuple(fc.string({maxLength: 8}).map(key => `k${key}`), tie('node'), whitespace), {maxLength: 5}).map(entries => {
			// Later duplicate keys win in `JSON.parse`: keep the last of each. (Keys are never array indexes, which objects put first.)
			const unique = [...new Map(entries.map(entry => [entry[0], entry])).values()];
			return {
				text: `{${unique.map(([key, item, space]) => `${JSON.stringify(key)}${space}:${space}${item.text}`).join(',')}}`,
				expected: `{${unique.map(([key, item]) => `${JSON.stringify(key)}:${item.expected}`).join(',')}}`,
			};
		}),
	),
})).node;

test('any JSON text: parsed and serialized again, every number literal a double cannot hold comes back as its text, every other as JSON.stringify writes it', t => {
	let guarded = 0;
	fc.assert(fc.property(tree, ({text, expected}) => {
		const value = parseJson(text);
		if (guardNumbers(text) !== text) {
			guarded++;
		}

		t.is(stringifyJson(value), expected);
		t.is(jsonText(serializeJson(value)), expected);
		// With the stand-ins made numbers, the value is what `JSON.parse` gives.
		t.deepEqual(plainNumbers(value), JSON.parse(text));
	}), {numRuns: 1000});
	t.true(guarded > 200, `only ${guarded} texts held a number a double cannot hold`);
});

test('the cheap test never misses a literal a double cannot hold, wherever it stands', t => {
	let lossyCount = 0;
	fc.assert(fc.property(literal, whitespace, (value, space) => {
		const lossy = expectedText(value) === value && JSON.stringify(Number(value)) !== value;
		t.is(survivesDouble(value), !lossy, value);
		if (!lossy) {
			return;
		}

		lossyCount++;
		for (const text of [value, `[${space}${value}${space}]`, `{"a":${value}}`, `{"a":[1,${value}${space}]}`, `{"id":${value},"b":2}`]) {
			t.true(mayHoldInexactNumbers(text), `${text}`);
			t.not(guardNumbers(text), text, `${text}`);
		}
	}), {numRuns: 2000});
	t.true(lossyCount > 500, `only ${lossyCount} literals a double cannot hold`);
});

test('ordinary messages do not take the careful path', t => {
	for (const text of [
		'{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"},"_meta":{"progressToken":7}}}',
		'{"jsonrpc":"2.0","id":"550e8400-e29b-41d4-a716-446655440000","result":{"when":"2025-06-01T12:00:00.123Z","sha":"9e107d9d372bb6826bd81d3542a419d6"}}',
		'{"values":[-0.5,1.25e3,1e-7,0.1,-12,900719925474099,1717243200123,3.14159]}',
	]) {
		t.false(mayHoldInexactNumbers(text), `${text}`);
		t.is(guardNumbers(text), text);
	}
});

test('ids that are equal as doubles stay apart; a number and a string with its digits stay apart; the same text is the same id', t => {
	const above = parseJson('9007199254740993');
	const at = parseJson('9007199254740992');
	t.true(isNumberStandIn(above));
	t.is(at, 9_007_199_254_740_992);
	t.is(new Set([above, at, parseJson('"9007199254740993"'), parseJson('9007199254740994')]).size, 4);
	t.is(parseJson('9007199254740993'), above);
	t.not(parseJson('1'), parseJson('"1"'));
	const ids = fc.bigInt({min: 2n ** 53n, max: 2n ** 70n});
	fc.assert(fc.property(ids, ids, (a, b) => {
		t.is(parseJson(String(a)) === parseJson(String(b)), a === b);
	}), {numRuns: 500});
});

test('adversarial texts: digits in strings, escaped quotes and backslashes, keys, invalid literals', t => {
	const unchanged = [
		String.raw`{"a":"9007199254740993","b":"x\"9007199254740993","c":"\\\"1e400"}`,
		// Not JSON, and must stay so: a number as a key, a leading zero, two signs, a bare exponent.
		'{9007199254740993:1}',
		'{"a":0123456789012345678}',
		'[--9007199254740993]',
		'[1e]',
		'[9007199254740993.]',
	];
	for (const text of unchanged) {
		t.is(guardNumbers(text), text, `${text}`);
	}

	const same = (text: string, expected = text) => {
		t.is(stringifyJson(parseJson(text)), expected, text);
	};

	same(String.raw`["\\",9007199254740993,"\\\"",-9007199254740993]`);
	same('[[[[123456789012345678901234567890]]],{"a":{"b":[-1e400,1e400,1e-400]}}]');
	same('{"a" : 9007199254740993 , "b":[ 18446744073709551617 ]}', '{"a":9007199254740993,"b":[18446744073709551617]}');
	// The value counts, not the spelling: -0 is zero.
	same('[-0,-0.0,-0e10,0,-0.5,1E400,-1e-400,12345678.123456789]', '[0,0,0,0,-0.5,1E400,-1e-400,12345678.123456789]');
	same('[1E2,100.000,0.30000000000000004]', '[100,100,0.30000000000000004]');
	t.throws(() => parseJson('[9007199254740993'));
	t.throws(() => parseJson('{9007199254740993:1}'));
});

test('only whole stand-ins are written back: not in a longer string, not one with other characters, and quoted in a key\'s place', t => {
	const standIn = parseJson('9007199254740993') as string;
	t.is(standInText(standIn), '9007199254740993');
	t.is(stringifyJson({[standIn]: standIn}), '{"9007199254740993":9007199254740993}');
	t.is(stringifyJson([`x${standIn}`, `${standIn}x`, `${standIn},"injected":1`, `${standIn}"`]), JSON.stringify([`x${standIn}`, `${standIn}x`, `${standIn},"injected":1`, `${standIn}"`]));
	t.is(restoreNumbers(String.raw`["\"${standIn}"]`), String.raw`["\"${standIn}"]`);
	t.is(stringifyJson({id: standIn, list: [standIn, 1, 'a']}), '{"id":9007199254740993,"list":[9007199254740993,1,"a"]}');
});

test('long strings kept as bytes and numbers a double cannot hold, in one message: both come back as they were', t => {
	const long = 'x'.repeat(64);
	const text = `{"jsonrpc":"2.0","id":9007199254740993,"result":{"text":"${long}","n":[18446744073709551617,1e400],"m":"${long}"}}`;
	const bytes = Buffer.from(text);
	const line = cutLongStrings(bytes, bytes.length, chunk(bytes, [10, 50]), 16)!;
	t.truthy(line);
	const {value, attach} = parseSkeleton(line);
	attach();
	const serialized = serializeJson(value);
	t.true(serialized instanceof JsonPieces);
	t.is(jsonText(serialized), text);
	t.is(Buffer.from(jsonBody(value)).toString(), text);
	t.true(isNumberStandIn((value as {id: unknown}).id));
});

test('plainNumbers gives what JSON.parse gives, copying only what holds a stand-in', t => {
	const value = parseJson('{"id":9007199254740993,"params":{"a":[1,18446744073709551617],"b":{"c":"d"}}}') as any;
	const plain = plainNumbers(value);
	t.deepEqual(plain, {id: 9_007_199_254_740_992, params: {a: [1, 18_446_744_073_709_552_000], b: {c: 'd'}}});
	t.is(plain.params.b, value.params.b, 'unchanged parts are shared');
	t.true(isNumberStandIn(value.id), 'the original is untouched');
	const ordinary = {a: [1, 'b']};
	t.is(plainNumbers(ordinary), ordinary);
});

test('the id of a message too large to parse is sniffed as the whole message would have been parsed', t => {
	const body = `"params":{"text":"${'x'.repeat(100)}`;
	t.is(sniffMessage(`{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call",${body}`)?.id, parseJson('9007199254740993') as string);
	t.is(sniffMessage(`{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"x",${body}`)?.id, parseJson('123456789012345678901234567890') as string);
	t.is(sniffMessage('{"result":{"text":"', 'xx"},"jsonrpc":"2.0","id":18446744073709551617}')?.id, parseJson('18446744073709551617') as string);
	t.is(sniffMessage(`{"jsonrpc":"2.0","id":42,"method":"x",${body}`)?.id, 42);
	// A number longer than the pattern takes is not cut to a wrong id.
	t.is(sniffMessage(`{"jsonrpc":"2.0","id":${'9'.repeat(500)},"method":"x",${body}`), undefined);
});

test('an error code a double cannot hold is still a numeric code', t => {
	t.is(checkMessage(parseJson('{"jsonrpc":"2.0","id":1,"error":{"code":-9007199254740993,"message":"m"}}')), undefined);
	t.regex(checkMessage(parseJson('{"jsonrpc":"2.0","id":1,"error":{"code":"-32000","message":"m"}}')) ?? '', /numeric `code`/);
});

test('where messages leave for other code: messageLog writes the number as it came; the SDK gets plain numbers both ways', async t => {
	const request = parseJson('{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"_meta":{"progressToken":18446744073709551617}}}') as Message;
	const file = path.join(os.tmpdir(), `rx-mcp-proxy-exact-${process.pid}-${Date.now()}.jsonl`);
	t.teardown(async () => rm(file, {force: true}));
	const log = messageLog(file);
	log.write({
		time: 'now', direction: 'client-to-server', session: undefined, message: request,
	});
	await log.close();
	const logged = '{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"_meta":{"progressToken":18446744073709551617}}}';
	t.is(await readFile(file, 'utf8'), `{"time":"now","direction":"client-to-server","message":${logged}}\n`);

	// Ours to the SDK: `onmessage` gets what `JSON.parse` would have given.
	const sdkSide = toSdkTransport(() => of(request));
	const delivered = new Promise<JSONRPCMessage>(resolve => {
		// eslint-disable-next-line unicorn/prefer-add-event-listener -- the SDK's transports have callback properties, not events.
		sdkSide.onmessage = resolve;
	});
	await sdkSide.start();
	t.deepEqual(await delivered, {
		jsonrpc: '2.0', id: 9_007_199_254_740_992, method: 'tools/call', params: {_meta: {progressToken: 18_446_744_073_709_552_000}},
	});

	// Ours into an SDK transport: it serializes with `JSON.stringify`, so it must get numbers, not stand-ins.
	const [ours, theirs] = InMemoryTransport.createLinkedPair();
	const received = new Promise<JSONRPCMessage>(resolve => {
		// eslint-disable-next-line unicorn/prefer-add-event-listener -- as above.
		theirs.onmessage = resolve;
	});
	await theirs.start();
	const outgoing = new Subject<Message>();
	const subscription = fromSdkTransport(ours)(outgoing).subscribe();
	t.teardown(() => {
		subscription.unsubscribe();
	});
	outgoing.next(request);
	t.deepEqual(await received, {
		jsonrpc: '2.0', id: 9_007_199_254_740_992, method: 'tools/call', params: {_meta: {progressToken: 18_446_744_073_709_552_000}},
	});
	t.true(isNumberStandIn((request as {id: unknown}).id), 'the message itself is untouched');
});
