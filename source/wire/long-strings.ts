import {Buffer, isUtf8} from 'node:buffer';
import {randomBytes} from 'node:crypto';
import {parseJson, restoreNumbers} from './exact-numbers.js';

/*
Long strings of a JSON line, kept as the bytes they arrived in.

A tool result of a megabyte is mostly one string (a file, a base64 image). Decoding its line, parsing it and serializing it again makes three strings of a megabyte, and V8 puts each in a fresh mapping of its own whose pages the kernel must hand out one by one: on the benchmark machine that was 13 of the 22 ms the proxy spent per megabyte. A long string literal whose bytes are already what `JSON.stringify` would write for its value (valid UTF-8, no raw control character, and only the escapes `JSON.stringify` writes: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t` and `\u00xx` for the other control characters) needs none of that: the line is parsed with a short stand-in in its place, the message carries the string as a lazy property that decodes the bytes the first time anything reads it, and `serializeJson` writes the bytes out as they came without ever making the string. A file's text, with its line breaks, tabs and quotes escaped, qualifies; a literal with any other escape (`\/`, `\u0041`, a surrogate pair spelled as escapes) is parsed the usual way.

Reading such a property gives the string, as if the line had been parsed whole; writing it replaces it. Anything that serializes with `JSON.stringify` gets the same text as before, only slower; the proxy's own answer paths use `serializeJson`.
*/

/**
String literals at least this many bytes long are kept as bytes. Below this V8 keeps strings in its young generation, whose memory is reused and cheap.
*/
export const longStringBytes = 128 * 1024;

/**
How many string literals a line is scanned through before the scan gives up looking for more long ones: a line of many short strings is parsed the usual way.
*/
const maxScannedLiterals = 4096;

/**
The bytes of one string literal, without its quotes: views into the chunks the line arrived in, in order.
*/
export type ByteSpan = readonly Uint8Array[];

/**
A line whose long string literals were cut out: `skeleton` is the line with each of them replaced by a stand-in, `spans` their bytes.
*/
export type SkeletonLine = {skeleton: string; spans: ByteSpan[]};

const quote = 0x22;
const backslash = 0x5C;
const colon = 0x3A;

// Stand-ins: a random prefix (no JSON text will contain it by chance) and a number.
const standInPrefix = `rxmp:${randomBytes(12).toString('hex')}:`;

function isWhitespace(byte: number): boolean {
	return byte === 0x20 || byte === 0x09 || byte === 0x0A || byte === 0x0D;
}

function isEscaped(bytes: Uint8Array, index: number, stop: number): boolean {
	let count = 0;
	for (let at = index - 1; at > stop && bytes[at] === backslash; at--) {
		count++;
	}

	return count % 2 === 1;
}

/**
Whether `bytes[start, end)` holds a byte below 0x20 (a control character, which JSON must escape). Four bytes at a time.
*/
/* eslint-disable no-bitwise -- a word-at-a-time byte test is bit twiddling. */
export function hasControlByte(bytes: Uint8Array, start: number, end: number): boolean {
	let index = start;
	const base = bytes.byteOffset;
	while (index < end && ((base + index) & 3) !== 0) {
		if (bytes[index]! < 0x20) {
			return true;
		}

		index++;
	}

	const words = (end - index) >>> 2;
	if (words > 0) {
		const view = new Uint32Array(bytes.buffer, base + index, words);
		for (let word = 0; word < words; word++) {
			const value = view[word]!;
			// Some byte of the word is below 0x20 (exact for thresholds up to 0x80).
			if (((value - 0x20_20_20_20) & ~value & 0x80_80_80_80) !== 0) {
				return true;
			}
		}

		index += words * 4;
	}

	for (; index < end; index++) {
		if (bytes[index]! < 0x20) {
			return true;
		}
	}

	return false;
}
/* eslint-enable no-bitwise */

const hexDigit = (byte: number | undefined): boolean => byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66));

/**
Whether `view[at]` starts the rest of a `\u` escape as `JSON.stringify` writes it: `00` and two lower-case hex digits naming a control character that has no short escape.
*/
function isControlEscape(view: Uint8Array, at: number): boolean {
	if (view[at] !== 0x30 || view[at + 1] !== 0x30 || (view[at + 2] !== 0x30 && view[at + 2] !== 0x31) || !hexDigit(view[at + 3])) {
		return false;
	}

	const code = Number.parseInt(String.fromCodePoint(view[at + 2]!, view[at + 3]!), 16);
	// \b, \t, \n, \f and \r have short escapes.
	return code !== 0x08 && code !== 0x09 && code !== 0x0A && code !== 0x0C && code !== 0x0D;
}

// After a backslash: ", \, b, f, n, r, t.
const shortEscapes = new Set([quote, backslash, 0x62, 0x66, 0x6E, 0x72, 0x74]);

/**
Whether a literal's bytes are what `JSON.stringify` would write for its value: valid UTF-8, no raw control character, and every escape one that `JSON.stringify` writes.
*/
function isCanonical(bytes: Uint8Array, start: number, end: number): boolean {
	const view = bytes.subarray(start, end);
	if (hasControlByte(bytes, start, end) || !isUtf8(view)) {
		return false;
	}

	let at = view.indexOf(backslash);
	while (at !== -1) {
		const escaped = view[at + 1]!;
		if (shortEscapes.has(escaped)) {
			at = view.indexOf(backslash, at + 2);
		} else if (escaped === 0x75 && isControlEscape(view, at + 2)) {
			at = view.indexOf(backslash, at + 6);
		} else {
			return false;
		}
	}

	return true;
}

/**
Find the long string values of a JSON text (object or array) that can be kept as bytes (written as `JSON.stringify` writes them): `[start, end, start, end, …]`, offsets of their contents without the quotes. Keys are left alone. The text is not validated here: `JSON.parse` of the skeleton does that.
*/
export function findLongStrings(bytes: Uint8Array, length: number, minBytes = longStringBytes): number[] {
	const found: number[] = [];
	let first = 0;
	while (first < length && isWhitespace(bytes[first]!)) {
		first++;
	}

	if (bytes[first] !== 0x7B && bytes[first] !== 0x5B) {
		return found;
	}

	const text = bytes.subarray(0, length);
	let position = first;
	for (let literal = 0; literal < maxScannedLiterals && length - position >= minBytes; literal++) {
		const open = text.indexOf(quote, position);
		if (open === -1) {
			break;
		}

		let close = text.indexOf(quote, open + 1);
		while (close !== -1 && isEscaped(text, close, open)) {
			close = text.indexOf(quote, close + 1);
		}

		if (close === -1) {
			break;
		}

		position = close + 1;
		if (close - open - 1 < minBytes) {
			continue;
		}

		let next = position;
		while (next < length && isWhitespace(text[next]!)) {
			next++;
		}

		if (text[next] !== colon && isCanonical(text, open + 1, close)) {
			found.push(open + 1, close);
		}
	}

	return found;
}

/**
The views of `parts` (consecutive pieces of one text) that cover `[start, end)` of the text.
*/
function sliceParts(parts: readonly Uint8Array[], start: number, end: number): Uint8Array[] {
	const views: Uint8Array[] = [];
	let offset = 0;
	for (const part of parts) {
		const partEnd = offset + part.length;
		if (partEnd > start && offset < end) {
			views.push(part.subarray(Math.max(start - offset, 0), Math.min(end, partEnd) - offset));
		}

		if (partEnd >= end) {
			break;
		}

		offset = partEnd;
	}

	return views;
}

/**
Cut the long string values that are written as `JSON.stringify` writes them out of a JSON line. `bytes[0, length)` is the line, joined; `parts` the pieces it arrived in, which must stay unchanged (the spans are views into them) while `bytes` may be reused. Undefined when the line has none.
*/
export function cutLongStrings(bytes: Uint8Array, length: number, parts: readonly Uint8Array[], minBytes = longStringBytes): SkeletonLine | undefined {
	const found = findLongStrings(bytes, length, minBytes);
	if (found.length === 0) {
		return undefined;
	}

	const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, length);
	const spans: ByteSpan[] = [];
	let skeleton = '';
	let previous = 0;
	for (let index = 0; index < found.length; index += 2) {
		const start = found[index]!;
		const end = found[index + 1]!;
		skeleton += buffer.toString('utf8', previous, start) + standInPrefix + String(spans.length);
		spans.push(sliceParts(parts, start, end));
		previous = end;
	}

	skeleton += buffer.toString('utf8', previous, length);
	return {skeleton, spans};
}

function spanLength(span: ByteSpan): number {
	let length = 0;
	for (const view of span) {
		length += view.length;
	}

	return length;
}

/**
The JSON text of a span: the string literal's contents as written, escapes and all.
*/
function spanText(span: ByteSpan): string {
	if (span.length === 1) {
		return Buffer.from(span[0]!.buffer, span[0]!.byteOffset, span[0]!.length).toString('utf8');
	}

	return Buffer.concat(span).toString('utf8');
}

/**
The string a span stands for: its text with the escapes resolved.
*/
function decodeSpan(span: ByteSpan): string {
	const text = spanText(span);
	return text.includes('\\') ? JSON.parse(`"${text}"`) as string : text;
}

// While `serializeJson` runs, a long string's accessor answers with a stand-in and records its bytes in `met` (one array for every call: most messages have no long string).
let serializing = false;
const met: ByteSpan[] = [];

function defineValue(holder: Record<string, unknown>, key: string, value: unknown): void {
	Object.defineProperty(holder, key, {
		value, writable: true, enumerable: true, configurable: true,
	});
}

function defineLongString(holder: Record<string, unknown>, key: string, span: ByteSpan): void {
	Object.defineProperty(holder, key, {
		enumerable: true,
		configurable: true,
		get() {
			if (serializing) {
				met.push(span);
				return standInPrefix + String(met.length - 1);
			}

			const value = decodeSpan(span);
			if (Object.isExtensible(holder)) {
				// Decoded once: from now on a plain property. (A frozen holder decodes on every read instead.)
				defineValue(holder, key, value);
			}

			return value;
		},
		set(value: unknown) {
			defineValue(holder, key, value);
		},
	});
}

/**
Parse a skeleton. Returns the value (the stand-ins still in place, for checks that must not decode the long strings) and `attach`, which puts each long string in its place.
*/
export function parseSkeleton({skeleton, spans}: SkeletonLine): {value: unknown; attach: () => void} {
	const places: Array<{holder: Record<string, unknown>; key: string; span: ByteSpan}> = [];
	const value: unknown = parseJson(skeleton, function (this: Record<string, unknown>, key: string, item: unknown) {
		if (typeof item === 'string' && item.length <= standInPrefix.length + 10 && item.startsWith(standInPrefix)) {
			const span = spans[Number(item.slice(standInPrefix.length))];
			// Never the top-level value: only lines that are an object or an array are cut.
			if (span !== undefined) {
				places.push({holder: this, key, span});
			}
		}

		return item;
	});
	return {
		value,
		attach() {
			for (const {holder, key, span} of places) {
				defineLongString(holder, key, span);
			}
		},
	};
}

/**
A serialized JSON text made of strings and byte spans (long strings kept as bytes), in order.
*/
export class JsonPieces {
	readonly pieces: ReadonlyArray<string | ByteSpan>;

	constructor(pieces: ReadonlyArray<string | ByteSpan>) {
		this.pieces = pieces;
	}

	/**
	An upper bound of the UTF-8 length: three bytes per UTF-16 unit of the string pieces.
	*/
	maxByteLength(): number {
		let length = 0;
		for (const piece of this.pieces) {
			length += typeof piece === 'string' ? piece.length * 3 : spanLength(piece);
		}

		return length;
	}

	/**
	Write the text as UTF-8 into `target` (at least `maxByteLength()` long); returns the bytes written.
	*/
	writeInto(target: Uint8Array): number {
		let offset = 0;
		for (const piece of this.pieces) {
			if (typeof piece === 'string') {
				offset += encoder.encodeInto(piece, target.subarray(offset)).written;
			} else {
				for (const view of piece) {
					target.set(view, offset);
					offset += view.length;
				}
			}
		}

		return offset;
	}

	/**
	The text as one string (this makes the long strings).
	*/
	toString(): string {
		let text = '';
		for (const piece of this.pieces) {
			text += typeof piece === 'string' ? piece : spanText(piece);
		}

		return text;
	}
}

const encoder = new TextEncoder();

/**
`JSON.stringify(value)`, except that long strings still held as bytes stay bytes (then the text comes as `JsonPieces`), and number literals a double cannot hold are written as they came.
*/
export function serializeJson(value: unknown): string | JsonPieces {
	serializing = true;
	met.length = 0;
	let text: string;
	try {
		// Number literals a double cannot hold are written back as they came (see `exact-numbers.ts`).
		text = restoreNumbers(JSON.stringify(value));
	} finally {
		serializing = false;
	}

	if (met.length === 0) {
		return text;
	}

	const spans = met.splice(0);

	const pieces: Array<string | ByteSpan> = [];
	let previous = 0;
	for (const [index, span] of spans.entries()) {
		const standIn = standInPrefix + String(index);
		const at = text.indexOf(`"${standIn}"`, previous);
		// The stand-in's quotes stay in the text around the bytes.
		pieces.push(text.slice(previous, at + 1), span);
		previous = at + 1 + standIn.length;
	}

	pieces.push(text.slice(previous));
	return new JsonPieces(pieces);
}

/**
The text of a serialized JSON value as one string.
*/
export function jsonText(text: string | JsonPieces): string {
	return typeof text === 'string' ? text : text.toString();
}

/**
A request body for `fetch`: the JSON text of `value`, as bytes when it holds long strings kept as bytes (so that they are copied once, not made into strings).
*/
export function jsonBody(value: unknown): string | Uint8Array<ArrayBuffer> {
	const text = serializeJson(value);
	if (typeof text === 'string') {
		return text;
	}

	const buffer = new Uint8Array(text.maxByteLength());
	return buffer.subarray(0, text.writeInto(buffer));
}
