import {Buffer} from 'node:buffer';
import test from 'ava';
import fc from 'fast-check';
import {
	cutLongStrings, findLongStrings, hasControlByte, JsonPieces, jsonText, parseSkeleton, serializeJson, type SkeletonLine,
} from '../../source/wire/long-strings.js';
import {LineDecoder, type DecodedLine} from '../../source/wire/line-decoder.js';
import {chunk} from '../helpers/chunk.js';

const bytesOf = (text: string | JsonPieces): Uint8Array => {
	if (typeof text === 'string') {
		return Buffer.from(text);
	}

	const buffer = Buffer.alloc(text.maxByteLength());
	return buffer.subarray(0, text.writeInto(buffer));
};

function cut(text: string, minBytes: number, cuts: number[] = []): SkeletonLine | undefined {
	const bytes = Buffer.from(text);
	return cutLongStrings(bytes, bytes.length, chunk(bytes, cuts), minBytes);
}

function parsed(line: SkeletonLine): any {
	const {value, attach} = parseSkeleton(line);
	attach();
	return value;
}

test('hasControlByte agrees with a byte-by-byte check at every alignment', t => {
	const base = Buffer.alloc(64, 0x61);
	for (let start = 0; start < 8; start++) {
		for (let end = start; end <= 40; end += 3) {
			t.false(hasControlByte(base, start, end));
			for (let at = start; at < end; at++) {
				for (const byte of [0x00, 0x0A, 0x1F]) {
					const bytes = Buffer.from(base);
					bytes[at] = byte;
					t.true(hasControlByte(bytes, start, end), `${byte} at ${at} in [${start}, ${end})`);
				}
			}

			const edges = Buffer.from(base);
			edges.fill(0x20, start, end);
			edges[start - 1] = 0x01;
			edges[end] = 0x01;
			t.false(hasControlByte(edges, start, end), `the bytes around [${start}, ${end}) do not count`);
		}
	}

	t.false(hasControlByte(Buffer.from([0x20, 0x7F, 0x80, 0xFF, 0xC3, 0xA9, 0x20, 0x21]), 0, 8));
});

test('finds long string values written as JSON.stringify writes them, and only those', t => {
	const long = 'a'.repeat(20);
	const escaped = `${long}"\\\n\t\b\f\r`;
	const control = `${long}\u0001\u001F`;
	const text = JSON.stringify({
		short: 'abc', [long]: 1, value: long, escaped, control, list: ['x', long], unicode: `é🌍${long}`,
	});
	const bytes = Buffer.from(text);
	const found = findLongStrings(bytes, bytes.length, 16);
	const values = [];
	for (let index = 0; index < found.length; index += 2) {
		values.push(bytes.toString('utf8', found[index], found[index + 1]));
	}

	// Not the key; escaped values as their JSON text, escapes and all.
	t.deepEqual(values, [long, JSON.stringify(escaped).slice(1, -1), JSON.stringify(control).slice(1, -1), long, `é🌍${long}`]);
	t.deepEqual(findLongStrings(bytes, bytes.length, 1000), [], 'none that long');
	t.deepEqual(findLongStrings(Buffer.from(`"${long}"`), long.length + 2, 16), [], 'a line that is a string is no message');
});

test('a literal with an escape JSON.stringify does not write, or a raw control character, is parsed the usual way', t => {
	const long = 'd'.repeat(20);
	const lineWith = (literal: string) => String.raw`{"a":"${long}${literal}","b":"${long}\n"}`;
	const escapes = [String.raw`\/`, String.raw`\u0041`, String.raw`\u001F`, String.raw`\u000a`, String.raw`\u0009`, String.raw`\ud83c\udf0d`, String.raw`\ud800`];
	for (const literal of [...escapes, '\t', '\u0001']) {
		const bytes = Buffer.from(lineWith(literal));
		t.is(findLongStrings(bytes, bytes.length, 16).length, 2, `only b is kept as bytes beside ${JSON.stringify(literal)}`);
	}

	for (const literal of escapes) {
		const text = lineWith(literal);
		const line = cut(text, 16, [9, 30])!;
		t.deepEqual(parsed(line), JSON.parse(text));
		t.is(Buffer.from(bytesOf(serializeJson(parsed(line)))).toString(), JSON.stringify(JSON.parse(text)), `${literal} is written as JSON.stringify writes it`);
	}
});

test('bytes that are not UTF-8 are left to the decoder', t => {
	const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(20, 0x61), Buffer.from([0xFF, 0xC3]), Buffer.from('"}')]);
	t.deepEqual(findLongStrings(bytes, bytes.length, 16), []);
});

test('an escaped quote does not end a literal', t => {
	const long = 'b'.repeat(20);
	const text = JSON.stringify({a: String.raw`x\"y`, b: `"${'c'.repeat(20)}\\`, c: long});
	const line = cut(text, 16)!;
	t.truthy(line);
	t.is(line.spans.length, 2, 'b (with its escaped quote and backslash) and c');
	t.deepEqual(parsed(line), JSON.parse(text));
});

test('a long string read from a message is the string; written, it is replaced; copies and JSON.stringify see it', t => {
	const long = 'é'.repeat(40);
	const text = JSON.stringify({jsonrpc: '2.0', id: 1, result: {content: [{type: 'text', text: long}], more: long}});
	const message = parsed(cut(text, 16, [7, 30, 55])!);
	t.deepEqual(Object.keys(message.result), ['content', 'more'], 'the order of keys is kept');
	t.is(JSON.stringify(message), text);
	t.is(message.result.content[0].text, long);
	t.deepEqual(Object.getOwnPropertyDescriptor(message.result.content[0], 'text'), {
		value: long, writable: true, enumerable: true, configurable: true,
	}, 'decoded once, then a plain property');
	message.result.more = 'changed';
	t.is(message.result.more, 'changed');
	t.deepEqual({...message.result.content[0]}, {type: 'text', text: long});

	const frozen = parsed(cut(text, 16)!);
	Object.freeze(frozen.result);
	t.is(frozen.result.more, long);
	t.is(frozen.result.more, long);
});

test('serializeJson writes long strings as the bytes they came in, and the same text as JSON.stringify', t => {
	const long = 'z'.repeat(30);
	const text = JSON.stringify({jsonrpc: '2.0', id: 'a', result: {content: [{type: 'text', text: long}, {type: 'text', text: long}]}});
	const message = parsed(cut(text, 16, [5, 40, 41, 90])!);
	const serialized = serializeJson({...message, id: 7});
	t.true(serialized instanceof JsonPieces);
	t.is(Buffer.from(bytesOf(serialized)).toString(), JSON.stringify({...JSON.parse(text), id: 7}));
	t.is(jsonText(serialized), JSON.stringify({...JSON.parse(text), id: 7}));
	t.is(typeof Object.getOwnPropertyDescriptor(message.result.content[0], 'text')!.get, 'function', 'serializing decodes nothing');
	t.is(serializeJson({plain: long}), JSON.stringify({plain: long}));
	const cyclic: any = {before: message.result.content[0], after: message.result.content[1]};
	cyclic.self = cyclic;
	t.throws(() => serializeJson(cyclic), {message: /circular/});
	t.is(serializeJson({a: 1}), '{"a":1}', 'a failed serialization leaves nothing behind');
});

const fragment = fc.oneof(
	{weight: 6, arbitrary: fc.string({unit: 'binary', maxLength: 12})},
	{weight: 1, arbitrary: fc.constantFrom('"', '\\', '\n', '\u0001', '\uD800', '\uDC00', 'é', '🌍', '\u2028', '{"a":[1,"b"]}')},
);
const anyString = fc.array(fragment, {maxLength: 12}).map(parts => parts.join(''));
const longString = fc.array(fragment, {minLength: 4, maxLength: 30}).map(parts => `${'L'.repeat(16)}${parts.join('')}`);
const message = fc.record({
	jsonrpc: fc.constant('2.0'),
	id: fc.oneof(fc.integer(), anyString),
	result: fc.record({
		content: fc.array(fc.record({type: fc.constant('text'), text: fc.oneof(longString, anyString)}), {maxLength: 4}),
		extra: fc.jsonValue({maxDepth: 3}),
		keyed: fc.dictionary(fc.oneof(longString, anyString), fc.oneof(longString, anyString, fc.jsonValue({maxDepth: 2})), {maxKeys: 3}),
	}),
});

test('any message, any chunking: the skeleton parses to the value JSON.parse gives, and serializes to the same text', t => {
	let cutSome = 0;
	fc.assert(fc.property(message, fc.array(fc.nat(), {maxLength: 12}), fc.constantFrom('', ' ', '\t '), (value, cuts, space) => {
		const text = JSON.stringify(value, undefined, space);
		const expected = JSON.parse(text);
		const line = cut(text, 16, cuts);
		if (line === undefined) {
			return;
		}

		cutSome++;
		t.is(Buffer.from(bytesOf(serializeJson(parsed(line)))).toString(), JSON.stringify(expected));
		t.deepEqual(parsed(line), expected);
		t.is(JSON.stringify(parsed(line)), JSON.stringify(expected));
	}), {numRuns: 400});
	t.true(cutSome > 100, `only ${cutSome} lines had long strings`);
});

test('the line decoder hands over long lines with long strings as skeletons that decode to the line', t => {
	const long = 'q'.repeat(100);
	const line = JSON.stringify({jsonrpc: '2.0', id: 3, result: {text: long}});
	const decoder = new LineDecoder(10_000, {longStringBytes: 50});
	const bytes = Buffer.from(`${line}\n{"short":1}\n`);
	const decoded = [...decoder.push(bytes.subarray(0, 40)), ...decoder.push(bytes.subarray(40))];
	t.is(decoded.length, 2);
	const [first, second] = decoded as [DecodedLine & {kind: 'skeleton'}, DecodedLine];
	t.is(first.kind, 'skeleton');
	t.is(first.text(), line);
	t.deepEqual(parsed(first.line), JSON.parse(line));

	t.deepEqual(second, {kind: 'line', text: '{"short":1}'});
	// A line whole within one chunk is short: decoded as text.
	t.is(decoder.push(Buffer.from(`${line}\n`))[0]!.kind, 'line');
});
