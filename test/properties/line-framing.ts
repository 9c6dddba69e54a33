import {Buffer} from 'node:buffer';
import test from 'ava';
import fc from 'fast-check';
import {LineDecoder, type DecodedLine} from '../../source/wire/line-decoder.js';
import {chunk} from '../helpers/chunk.js';

const texts = (decoded: DecodedLine[]) => decoded.map(line => (line.kind === 'oversize' ? '<oversize>' : (line.kind === 'line' ? line.text : line.text())));

test('any chunking of any UTF-8 lines decodes to the same lines', t => {
	fc.assert(fc.property(
		fc.array(fc.string({unit: 'grapheme', minLength: 1, maxLength: 40}).filter(text => !text.includes('\n') && !text.endsWith('\r') && text !== '\r'), {maxLength: 20}),
		fc.array(fc.nat(), {maxLength: 30}),
		fc.boolean(),
		(lines, cuts, crlf) => {
			const bytes = Buffer.from(lines.map(line => `${line}${crlf ? '\r\n' : '\n'}`).join(''));
			const decoder = new LineDecoder(1024 * 1024);
			const decoded = [...chunk(bytes, cuts).flatMap(part => decoder.push(part)), ...decoder.end()];
			t.deepEqual(texts(decoded), lines);
		},
	), {numRuns: 300});
});

test('lines over the limit are reported once each and never disturb their neighbours', t => {
	fc.assert(fc.property(
		fc.array(fc.oneof(fc.string({minLength: 1, maxLength: 8}), fc.string({minLength: 20, maxLength: 60})).map(text => text.replaceAll(/[\r\n]/g, 'x')), {maxLength: 15}),
		fc.array(fc.nat(), {maxLength: 20}),
		(lines, cuts) => {
			const limit = 16;
			const bytes = Buffer.from(lines.map(line => `${line}\n`).join(''));
			const decoder = new LineDecoder(limit);
			const decoded = [...chunk(bytes, cuts).flatMap(part => decoder.push(part)), ...decoder.end()];
			t.deepEqual(texts(decoded), lines.map(line => (Buffer.byteLength(line) > limit ? '<oversize>' : line)));
		},
	), {numRuns: 300});
});
