import {Buffer} from 'node:buffer';
import test from 'ava';
import {LineDecoder, type DecodedLine} from '../../source/wire/line-decoder.js';

const lines = (decoded: DecodedLine[]) => decoded.map(line => (line.kind === 'oversize' ? `<oversize ${line.bytes}>` : (line.kind === 'line' ? line.text : line.text())));

test('splits lines across and within chunks', t => {
	const decoder = new LineDecoder(1000);
	t.deepEqual(lines(decoder.push(Buffer.from('{"a":1}\n{"b"'))), ['{"a":1}']);
	t.deepEqual(lines(decoder.push(Buffer.from(':2}\n\n{"c":3}\n'))), ['{"b":2}', '{"c":3}']);
	t.deepEqual(lines(decoder.end()), []);
});

test('drops a carriage return before the newline and skips empty lines', t => {
	const decoder = new LineDecoder(1000);
	t.deepEqual(lines(decoder.push(Buffer.from('one\r\n\r\ntwo\n'))), ['one', 'two']);
});

test('keeps a multi-byte character split across chunks', t => {
	const bytes = Buffer.from('"héllo 🌍"\n');
	for (let cut = 1; cut < bytes.length - 1; cut++) {
		const decoder = new LineDecoder(1000);
		const decoded = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
		t.deepEqual(lines(decoded), ['"héllo 🌍"'], `cut at ${cut}`);
	}
});

test('a final line without a newline counts when the input ends', t => {
	const decoder = new LineDecoder(1000);
	t.deepEqual(lines(decoder.push(Buffer.from('abc'))), []);
	t.deepEqual(lines(decoder.end()), ['abc']);
});

test('a line over the limit is skipped whole, with its head kept, and the next line survives', t => {
	const decoder = new LineDecoder(10);
	const decoded = [
		...decoder.push(Buffer.from('{"id":7,"result"')),
		...decoder.push(Buffer.from(':"xxxxxxxxxxxxxxxxxxxx"}\n{"ok":1}\n')),
	];
	t.is(decoded.length, 2);
	t.like(decoded[0], {kind: 'oversize', bytes: 40});
	t.true(decoded[0]?.kind === 'oversize' && decoded[0].head.startsWith('{"id":7'));
	t.deepEqual(decoded[1], {kind: 'line', text: '{"ok":1}'});
});

test('a line exactly at the limit passes', t => {
	const decoder = new LineDecoder(5);
	t.deepEqual(lines(decoder.push(Buffer.from('12345\n123456\n'))), ['12345', '<oversize 6>']);
});
