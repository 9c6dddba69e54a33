/*
Newline-delimited JSON from a byte stream: lines split across chunks, each within a byte limit, an oversize line skipped and reported.
*/
import {Buffer} from 'node:buffer';
import {cutLongStrings, longStringBytes, type SkeletonLine} from './long-strings.js';

/**
What the decoder found in the byte stream.
*/
export type DecodedLine
	= | {kind: 'line'; text: string}
		/**
		A long line whose long string values were kept as bytes (see `long-strings.ts`); `text()` decodes the whole line.
		*/
		| {kind: 'skeleton'; line: SkeletonLine; text: () => string}
		/**
		A line over the limit, skipped: only its first and last bytes are kept (where a message's `id` is: SDKs write it first or last).
		*/
		| {kind: 'oversize'; head: string; tail: string; bytes: number};

const newline = 0x0A;
const carriageReturn = 0x0D;
const headBytes = 4096;
const tailBytes = 4096;
const maxScratchBytes = 16 * 1024 * 1024;

/**
Splits a byte stream into `\n`-terminated UTF-8 lines (a `\r` before the `\n` is dropped). Bytes are decoded only once a line is whole, so a multi-byte character split across chunks survives. A line longer than `maxLineBytes` is not buffered: its first and last bytes are kept (for diagnosis, and to find its `id`) and the rest skipped up to the next newline.
*/
export class LineDecoder {
	private pending: Uint8Array[] = [];
	private pendingBytes = 0;
	private skipping: {head: Uint8Array; tail: Uint8Array; bytes: number} | undefined;
	/**
	Where a line that spans chunks is joined before decoding, reused from line to line: a fresh buffer of a megabyte costs more to allocate than to fill. Lines over `maxScratchBytes` get a buffer of their own.
	*/
	private scratch: Uint8Array | undefined;

	private readonly maxLineBytes: number;
	private readonly longStringBytes: number;

	/**
	@param maxLineBytes The longest line kept; longer ones are reported as oversize.
	@param options.longStringBytes String values at least this long, in lines that arrive in more than one chunk, are kept as bytes (a `skeleton` line).
	*/
	constructor(maxLineBytes: number, {longStringBytes: minLongString = longStringBytes}: {longStringBytes?: number} = {}) {
		this.maxLineBytes = maxLineBytes;
		this.longStringBytes = minLongString;
	}

	/**
	Feed a chunk; returns the lines it completed.
	*/
	push(chunk: Uint8Array): DecodedLine[] {
		const lines: DecodedLine[] = [];
		let start = 0;
		while (start < chunk.length) {
			const end = chunk.indexOf(newline, start);
			if (end === -1) {
				this.keep(chunk.subarray(start));
				break;
			}

			if (this.pendingBytes === 0 && !this.skipping) {
				// The common case, a line whole within the chunk: decoded in place, no intermediate views.
				this.finishWithin(chunk, start, end, lines);
			} else {
				this.finish(chunk.subarray(start, end), lines);
			}

			start = end + 1;
		}

		return lines;
	}

	/**
	The input ended: a final line without a newline still counts.
	*/
	end(): DecodedLine[] {
		const lines: DecodedLine[] = [];
		if (this.pendingBytes > 0 || this.skipping) {
			this.finish(new Uint8Array(0), lines);
		}

		return lines;
	}

	private keep(part: Uint8Array): void {
		if (this.skipping) {
			this.skipping.bytes += part.length;
			this.skipping.tail = lastBytes([this.skipping.tail, part], tailBytes);
			return;
		}

		if (this.pendingBytes + part.length > this.maxLineBytes) {
			const head = concat([...this.pending, part], Math.min(headBytes, this.pendingBytes + part.length));
			this.skipping = {head, tail: lastBytes([...this.pending, part], tailBytes), bytes: this.pendingBytes + part.length};
			this.pending = [];
			this.pendingBytes = 0;
			return;
		}

		// Node never reuses a chunk's memory once emitted, so keeping a view is safe.
		this.pending.push(part);
		this.pendingBytes += part.length;
	}

	private scratchOf(bytes: number): Uint8Array {
		if (!this.scratch || this.scratch.length < bytes) {
			this.scratch = Buffer.allocUnsafeSlow(Math.min(Math.max(bytes * 1.25, 64 * 1024), maxScratchBytes));
		}

		return this.scratch;
	}

	private finishWithin(chunk: Uint8Array, start: number, end: number, lines: DecodedLine[]): void {
		if (end - start > this.maxLineBytes) {
			this.finish(chunk.subarray(start, end), lines);
			return;
		}

		const stop = end > start && chunk[end - 1] === carriageReturn ? end - 1 : end;
		if (stop > start) {
			lines.push({kind: 'line', text: decodeRange(chunk, start, stop)});
		}
	}

	private finish(tail: Uint8Array, lines: DecodedLine[]): void {
		if (this.skipping) {
			const {head, bytes} = this.skipping;
			const last = lastBytes([this.skipping.tail, tail], tailBytes);
			this.skipping = undefined;
			lines.push({
				kind: 'oversize', head: decode(head), tail: decode(last), bytes: bytes + tail.length,
			});
			return;
		}

		const total = this.pendingBytes + tail.length;
		if (total > this.maxLineBytes) {
			const parts = [...this.pending, tail];
			const head = concat(parts, Math.min(headBytes, total));
			this.pending = [];
			this.pendingBytes = 0;
			lines.push({
				kind: 'oversize', head: decode(head), tail: decode(lastBytes(parts, tailBytes)), bytes: total,
			});
			return;
		}

		let line: Uint8Array;
		let parts: Uint8Array[] | undefined;
		if (this.pendingBytes === 0) {
			line = tail;
		} else {
			parts = this.pending;
			parts.push(tail);
			line = concat(parts, total, total <= maxScratchBytes ? this.scratchOf(total) : undefined);
			this.pending = [];
			this.pendingBytes = 0;
		}

		let {length} = line;
		if (length > 0 && line[length - 1] === carriageReturn) {
			length--;
		}

		if (length === 0) {
			return;
		}

		// The parts stay as they are (Node never reuses a chunk's memory); the scratch buffer does not.
		const skeleton = parts !== undefined && length >= this.longStringBytes ? cutLongStrings(line, length, parts, this.longStringBytes) : undefined;
		if (skeleton) {
			lines.push({kind: 'skeleton', line: skeleton, text: () => decode(concat(parts!, length))});
			return;
		}

		lines.push({kind: 'line', text: decode(line.subarray(0, length))});
	}
}

const textDecoder = new TextDecoder();

function decode(bytes: Uint8Array): string {
	return Buffer.isBuffer(bytes) ? bytes.toString('utf8') : textDecoder.decode(bytes);
}

function decodeRange(bytes: Uint8Array, start: number, end: number): string {
	return Buffer.isBuffer(bytes) ? bytes.toString('utf8', start, end) : textDecoder.decode(bytes.subarray(start, end));
}

/**
The last `count` bytes of the parts joined (fewer if they hold fewer), without a `\r` that ends them.
*/
function lastBytes(parts: Uint8Array[], count: number): Uint8Array {
	const result = Buffer.allocUnsafe(Math.min(count, parts.reduce((sum, part) => sum + part.length, 0)));
	let offset = result.length;
	for (let index = parts.length - 1; index >= 0 && offset > 0; index--) {
		const part = parts[index]!;
		const take = Math.min(part.length, offset);
		offset -= take;
		result.set(part.subarray(part.length - take), offset);
	}

	return result.at(-1) === carriageReturn ? result.subarray(0, -1) : result;
}

function concat(parts: Uint8Array[], limit: number, into?: Uint8Array): Uint8Array {
	const result = into ? into.subarray(0, limit) : Buffer.allocUnsafe(limit);
	let offset = 0;
	for (const part of parts) {
		if (offset >= limit) {
			break;
		}

		const take = Math.min(part.length, limit - offset);
		result.set(part.subarray(0, take), offset);
		offset += take;
	}

	return result;
}
