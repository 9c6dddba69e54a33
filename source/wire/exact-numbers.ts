/* eslint-disable unicorn/prefer-code-point -- the scans compare UTF-16 units with ASCII characters, in offsets counted in units. */
import {randomBytes} from 'node:crypto';

/*
Number literals that a double cannot hold, kept as the text they arrived in.

`JSON.parse` makes every number a double: an id of 9007199254740993 becomes 9007199254740992, a 30-digit one 1.2345678901234568e+29, 1e400 becomes Infinity (which `JSON.stringify` writes as `null`). Two ids equal as doubles then collide in every table keyed by id. JSON-RPC does not limit numbers to doubles, and clients with 64-bit ids exist.

So a text that may hold such a literal (`mayHoldInexactNumbers`: a run of 16 digits or dots, or an exponent of 3 digits or more; two quick regular-expression tests, which an ordinary message fails) is scanned before it is parsed, and each number literal outside the strings whose value a double does not give back is replaced by a stand-in string: a prefix and the literal's text (`\uE000rxmp:…:n:9007199254740993`). As an id or a progress token the stand-in is a string, so every table keys it exactly, and it never equals another id (`1` and `"1"` stay apart too, as JSON-RPC requires). Serializing (`restoreNumbers`, which `serializeJson` and `stringifyJson` run) writes the literal back, bare, as it came. Looking for stand-ins costs next to nothing: the prefix starts with a character outside Latin-1, which V8 finds absent from a one-byte string at once.

The value is what counts, not the spelling: `1E2` is still written `100`, and `-0` is written `0` (it is zero).

Code that reads such a number from a parsed message gets the stand-in, a string, where a double would have lost its value; where messages leave for code that expects plain numbers (the SDK's transports), `plainNumbers` turns stand-ins into numbers.
*/

/**
Stand-ins: this prefix (random, so no JSON text holds it by chance, and a peer cannot forge one) and the literal's text. Its first character, from the Private Use Area, makes it cheap to look for (see above).
*/
const numberPrefix = `\uE000rxmp:${randomBytes(12).toString('hex')}:n:`;

/**
Whether a stand-in was ever made: until then, serialized texts hold none and are not searched.
*/
let standInsMade = false;

const quote = 0x22;
const backslash = 0x5C;
const minus = 0x2D;
const zero = 0x30;
const nine = 0x39;
const dot = 0x2E;
const colon = 0x3A;

// Spelled out rather than `{16}`: V8 skips through a fixed-length pattern (Boyer–Moore), and through a counted repetition one character at a time, several times slower.
const longDigitRun = new RegExp(String.raw`[\d.]`.repeat(16));
// An exponent follows a digit, and a literal is followed by white space, `,`, `]`, `}` or the end: prose and hex text (ids, hashes: `550e8400-e29b`) rarely match.
const longExponent = /\d[eE][+-]?\d\d\d+(?:[\s,\]}]|$)/;
const jsonNumber = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function isDigit(code: number): boolean {
	return code >= zero && code <= nine;
}

/**
The cheap test: whether a JSON text may hold a number literal that a double does not give back. Such a literal has 16 digits or more (a double holds any 15), or an exponent of 3 digits or more (out of range, or below the normal doubles): with at most 15 digits and an exponent of at most 2, the value is a normal double's. False positives (digits in strings) only cost a scan.
*/
export function mayHoldInexactNumbers(text: string): boolean {
	return longDigitRun.test(text) || longExponent.test(text);
}

/**
A decimal number's value as one text: sign, significant digits, exponent (`-12e3` for -12000 and -12.0e3 alike), or `0` (for -0 too).
*/
function decimalKey(text: string): string {
	const negative = text.charCodeAt(0) === minus;
	let exponentAt = text.indexOf('e');
	if (exponentAt === -1) {
		exponentAt = text.indexOf('E');
	}

	const mantissa = text.slice(negative ? 1 : 0, exponentAt === -1 ? undefined : exponentAt);
	const point = mantissa.indexOf('.');
	const digits = point === -1 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
	let first = 0;
	while (first < digits.length && digits.charCodeAt(first) === zero) {
		first++;
	}

	let last = digits.length;
	while (last > first && digits.charCodeAt(last - 1) === zero) {
		last--;
	}

	if (first === last) {
		return '0';
	}

	const exponent = (exponentAt === -1 ? 0 : Number(text.slice(exponentAt + 1))) + (point === -1 ? mantissa.length : point) - first;
	return `${negative ? '-' : ''}${digits.slice(first, last)}e${exponent}`;
}

/**
Whether a JSON number literal comes back with its value from a double: parsed, then written as `JSON.stringify` writes it.
*/
export function survivesDouble(literal: string): boolean {
	const value = Number(literal);
	if (!Number.isFinite(value)) {
		// `JSON.stringify` writes `null`.
		return false;
	}

	return decimalKey(literal) === decimalKey(String(value));
}

/**
Whether `text[at]`, a quote, is escaped: preceded by an odd number of backslashes.
*/
function isEscaped(text: string, at: number): boolean {
	let count = 0;
	for (let index = at - 1; index >= 0 && text.charCodeAt(index) === backslash; index--) {
		count++;
	}

	return count % 2 === 1;
}

/**
Where the string literal opening at `open` ends: just past its closing quote, or the end of an unterminated text.
*/
function stringEnd(text: string, open: number): number {
	let close = text.indexOf('"', open + 1);
	while (close !== -1 && isEscaped(text, close)) {
		close = text.indexOf('"', close + 1);
	}

	return close === -1 ? text.length : close + 1;
}

function isNumberCharacter(code: number): boolean {
	return isDigit(code) || code === dot || code === minus || code === 0x2B || code === 0x65 || code === 0x45;
}

function isWhitespace(code: number): boolean {
	return code === 0x20 || code === 0x09 || code === 0x0A || code === 0x0D;
}

/**
Whether the first character after white space from `at` is a colon: what precedes it is in a key's place.
*/
function beforeColon(text: string, at: number): boolean {
	let next = at;
	while (isWhitespace(text.charCodeAt(next))) {
		next++;
	}

	return text.charCodeAt(next) === colon;
}

/**
Replace each number literal of a JSON text that a double does not give back (outside strings; a well-formed literal, in a value's place) by its stand-in, quoted. A text that is not JSON stays not JSON: only a literal where a value may stand is replaced, by a string, which may stand there too. `JSON.parse` of the result is the value with the stand-ins in place.
*/
export function guardNumbers(text: string): string {
	const {length} = text;
	let result = '';
	let copied = 0;
	let index = 0;
	while (index < length) {
		const code = text.charCodeAt(index);
		if (code === quote) {
			index = stringEnd(text, index);
			continue;
		}

		if (code !== minus && !isDigit(code)) {
			index++;
			continue;
		}

		let end = index + 1;
		while (end < length && isNumberCharacter(text.charCodeAt(end))) {
			end++;
		}

		const literal = text.slice(index, end);
		// At most 15 digits and no exponent: a double always gives the value back.
		const mayLose = literal.length > 15 || literal.includes('e') || literal.includes('E');
		if (mayLose && jsonNumber.test(literal) && !survivesDouble(literal) && !beforeColon(text, end)) {
			result += `${text.slice(copied, index)}"${numberPrefix}${literal}"`;
			copied = end;
		}

		index = end;
	}

	if (copied === 0) {
		return text;
	}

	standInsMade = true;
	return result + text.slice(copied);
}

/**
`JSON.parse`, with the number literals a double does not give back parsed as stand-ins.
*/
export function parseJson(text: string, reviver?: (this: any, key: string, value: unknown) => unknown): unknown {
	return JSON.parse(mayHoldInexactNumbers(text) ? guardNumbers(text) : text, reviver);
}

/**
Whether a value is a stand-in for a number literal.
*/
export function isNumberStandIn(value: unknown): value is string {
	return typeof value === 'string' && value.startsWith(numberPrefix);
}

/**
The JSON text of a number a stand-in stands for.
*/
export function standInText(standIn: string): string {
	return standIn.slice(numberPrefix.length);
}

/**
Write the stand-ins of a serialized JSON text (as `JSON.stringify` writes it) back as the literals they stand for. Only a whole string that is a stand-in of a well-formed literal is replaced; in a key's place, the literal stays quoted.
*/
export function restoreNumbers(text: string): string {
	if (!standInsMade) {
		return text;
	}

	let at = text.indexOf(numberPrefix);
	if (at === -1) {
		return text;
	}

	let result = '';
	let copied = 0;
	while (at !== -1) {
		const start = at + numberPrefix.length;
		let end = start;
		while (end < text.length && isNumberCharacter(text.charCodeAt(end))) {
			end++;
		}

		const open = at - 1;
		if (text.charCodeAt(open) === quote && !isEscaped(text, open) && text.charCodeAt(end) === quote && jsonNumber.test(text.slice(start, end))) {
			const literal = text.slice(start, end);
			result += text.slice(copied, open) + (beforeColon(text, end + 1) ? `"${literal}"` : literal);
			copied = end + 1;
		}

		at = text.indexOf(numberPrefix, end);
	}

	return result + text.slice(copied);
}

/**
`JSON.stringify`, with stand-ins written back as the number literals they stand for.
*/
export function stringifyJson(value: unknown): string {
	return restoreNumbers(JSON.stringify(value));
}

function plainValue(value: unknown): unknown {
	if (typeof value === 'string') {
		return value.startsWith(numberPrefix) ? Number(standInText(value)) : value;
	}

	if (typeof value !== 'object' || value === null) {
		return value;
	}

	if (Array.isArray(value)) {
		const items = value as unknown[];
		let copy: unknown[] | undefined;
		for (const [index, item] of items.entries()) {
			const plain = plainValue(item);
			if (plain !== item) {
				copy ??= [...items];
				copy[index] = plain;
			}
		}

		return copy ?? items;
	}

	let copy: Record<string, unknown> | undefined;
	for (const [key, item] of Object.entries(value)) {
		const plain = plainValue(item);
		if (plain !== item) {
			copy ??= {...value};
			copy[key] = plain;
		}
	}

	return copy ?? value;
}

/**
A value with its stand-ins made plain numbers (doubles, as `JSON.parse` would have made them), for code that expects what `JSON.parse` gives; the value itself when it holds none. Parts without stand-ins are shared, not copied.
*/
export function plainNumbers<T>(value: T): T {
	return standInsMade ? plainValue(value) as T : value;
}
