import {Buffer} from 'node:buffer';
import type {ServerResponse} from 'node:http';
import test from 'ava';
import fc from 'fast-check';
import {formatEventId, parseEventId} from '../../source/listeners/event-store.js';
import {KeepAlive, SseStream} from '../../source/listeners/sse-writer.js';
import {MessageTooLargeError} from '../../source/errors.js';
import {readEventStream, type EventSourceMessage, type OversizeEvent} from '../../source/wire/sse-reader.js';
import {chunk} from '../helpers/chunk.js';

/**
A stand-in for the HTTP response an `SseStream` writes to: it keeps the bytes.
*/
function capture(): {response: ServerResponse; bytes: () => Uint8Array} {
	const chunks: Uint8Array[] = [];
	const response = {
		destroyed: false,
		writableLength: 0,
		writableNeedDrain: false,
		writeHead() {
			return response;
		},
		flushHeaders() {
			// Nothing to flush.
		},
		once() {
			return response;
		},
		on() {
			return response;
		},
		write(text: string) {
			chunks.push(Buffer.from(text, 'utf8'));
			return true;
		},
		end() {
			// The stream is read whole afterwards.
		},
		destroy() {
			// Never cut here.
		},
	};
	return {response: response as unknown as ServerResponse, bytes: () => Buffer.concat(chunks)};
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
	return new ReadableStream({
		start(controller) {
			for (const part of chunks) {
				controller.enqueue(part);
			}

			controller.close();
		},
	});
}

/**
What the writer is given: one line of JSON per event (messages of any shape, any Unicode), ids as the event store makes them or arbitrary visible text, event names, and keep-alive comments in between.
*/
const written = fc.array(fc.oneof(
	{
		weight: 5, arbitrary: fc.record({
			kind: fc.constant('event' as const),
			data: fc.jsonValue().map(value => JSON.stringify(value)),
			id: fc.option(fc.oneof(
				fc.tuple(fc.constantFrom('g' as const, 'p' as const), fc.nat(), fc.nat()).map(([kind, stream, sequence]) => formatEventId(kind, stream, sequence)),
				fc.string({unit: 'grapheme', minLength: 1, maxLength: 20}).filter(text => !/[\r\n\0]/.test(text)),
			), {nil: undefined}),
			event: fc.option(fc.constantFrom('message', 'endpoint'), {nil: undefined}),
		}, {requiredKeys: ['kind', 'data']}),
	},
	{weight: 1, arbitrary: fc.record({kind: fc.constant('comment' as const), text: fc.constantFrom('keep-alive', 'ping')})},
), {maxLength: 15});

test('SSE writer → parser round trip: every event comes back whole, in order, over any chunking and any UTF-8 split', async t => {
	await fc.assert(fc.asyncProperty(written, fc.array(fc.nat(), {maxLength: 20}), async (items, cuts) => {
		const {response, bytes} = capture();
		const stream = new SseStream(response, new KeepAlive(0));
		for (const item of items) {
			if (item.kind === 'comment') {
				stream.comment(item.text);
			} else {
				stream.send(item.data, {id: item.id, event: item.event});
			}
		}

		stream.end();
		const received: EventSourceMessage[] = [];
		await readEventStream(streamOf(chunk(bytes(), cuts)), {
			onEvent(event) {
				received.push(event);
			},
		});
		const events = items.filter(item => item.kind === 'event');
		t.deepEqual(
			received.map(event => [event.data, event.event, event.id]),
			events.map(event => [event.data, event.event, event.id]),
		);
	}), {numRuns: 300});
});

test('a stream cut anywhere delivers a prefix of the events, each whole: never part of one', async t => {
	await fc.assert(fc.asyncProperty(written, fc.nat(), fc.array(fc.nat(), {maxLength: 10}), async (items, cutAt, cuts) => {
		const {response, bytes} = capture();
		const stream = new SseStream(response, new KeepAlive(0));
		for (const item of items) {
			if (item.kind === 'event') {
				stream.send(item.data, {id: item.id, event: item.event});
			}
		}

		const all = bytes();
		const truncated = all.subarray(0, cutAt % (all.length + 1));
		const received: string[] = [];
		await readEventStream(streamOf(chunk(truncated, cuts)), {
			onEvent(event) {
				received.push(event.data);
			},
		});
		const events = items.filter(item => item.kind === 'event').map(item => item.data);
		t.deepEqual(received, events.slice(0, received.length));
	}), {numRuns: 300});
});

/**
Events around a byte limit: each names itself at its start and end (`<N>…</N>`), its filler one-, two- or four-byte characters, a few of them over the limit by far (so that the reader must skip them as they arrive) or by a little (so that only their bytes, not their characters, are over); any line ending; comments between.
*/
const limit = 100;
const sized = fc.tuple(
	fc.array(fc.record({
		size: fc.oneof(fc.nat(90), fc.integer({min: 90, max: 200}), fc.integer({min: 1200, max: 4000})),
		filler: fc.constantFrom('a', 'é', '😀'),
		lines: fc.integer({min: 1, max: 3}),
		named: fc.boolean(),
		comment: fc.boolean(),
	}), {maxLength: 12}),
	fc.constantFrom('\n', '\r\n', '\r'),
);

function writeSized(events: Array<{size: number; filler: string; lines: number; named: boolean; comment: boolean}>, eol: string): {bytes: Uint8Array; data: string[]} {
	let text = '';
	const data: string[] = [];
	for (const [index, event] of events.entries()) {
		const body = event.filler.repeat(Math.ceil(event.size / Buffer.byteLength(event.filler)));
		const value = `<${index}>${body}</${index}>`;
		data.push(value);
		if (event.comment) {
			text += `: keep-alive${eol}${eol}`;
		}

		if (event.named) {
			text += `event: message${eol}`;
		}

		// The data split over lines: joined again with \n by the parser.
		const characters = [...value];
		const parts: string[] = [];
		const step = Math.ceil(characters.length / event.lines);
		for (let at = 0; at < characters.length; at += step) {
			parts.push(characters.slice(at, at + step).join(''));
		}

		data[index] = parts.join('\n');
		text += parts.map(part => `data: ${part}${eol}`).join('') + eol;
	}

	// A CR at the very end may start a CRLF: the parser waits for what follows it.
	return {bytes: Buffer.from(eol === '\r' ? `${text}\n` : text, 'utf8'), data};
}

test('events over the byte limit are skipped as they arrive, reported with their start and end, and never disturb the others, over any chunking and line ending', async t => {
	await fc.assert(fc.asyncProperty(sized, fc.array(fc.nat(), {maxLength: 30}), async ([events, eol], cuts) => {
		const {bytes, data} = writeSized(events, eol);
		const received: string[] = [];
		const skipped: OversizeEvent[] = [];
		await readEventStream(streamOf(chunk(bytes, cuts)), {
			maxEventBytes: limit,
			onEvent(event) {
				received.push(event.data);
			},
			onOversize(event) {
				skipped.push(event);
			},
		});
		const small = data.filter(value => Buffer.byteLength(value) <= limit);
		const large = data.map((value, index) => ({value, index})).filter(({value}) => Buffer.byteLength(value) > limit);
		t.deepEqual(received, small);
		t.is(skipped.length, large.length);
		for (const [at, {index}] of large.entries()) {
			t.true(skipped[at]!.head.includes(`<${index}>`), `the head of event ${index}: ${skipped[at]!.head.slice(0, 80)}`);
			t.true(skipped[at]!.tail.includes(`</${index}>`), `the tail of event ${index}: ${skipped[at]!.tail.slice(-80)}`);
		}
	}), {numRuns: 300});
});

test('without onOversize, the first event over the byte limit ends the stream with a MessageTooLargeError, after the events before it', async t => {
	await fc.assert(fc.asyncProperty(sized, fc.array(fc.nat(), {maxLength: 30}), async ([events, eol], cuts) => {
		const {bytes, data} = writeSized(events, eol);
		const received: string[] = [];
		const first = data.findIndex(value => Buffer.byteLength(value) > limit);
		const reading = readEventStream(streamOf(chunk(bytes, cuts)), {
			maxEventBytes: limit,
			onEvent(event) {
				received.push(event.data);
			},
		});
		const outcome = await reading.then(() => undefined, (error: unknown) => error);
		t.deepEqual(received, first === -1 ? data : data.slice(0, first));
		t.is(outcome instanceof MessageTooLargeError, first !== -1);
		t.true(outcome === undefined || (outcome as Error).message.includes('exceeds the proxy\'s limit of 100 bytes (raise it with the `maxEventBytes` option)'));
	}), {numRuns: 300});
});

test('event ids round-trip through parseEventId', t => {
	fc.assert(fc.property(fc.constantFrom('g' as const, 'p' as const), fc.integer({min: 0, max: 999_999_999}), fc.integer({min: 0, max: 999_999_999}), (kind, stream, sequence) => {
		t.deepEqual(parseEventId(formatEventId(kind, stream, sequence)), {kind, stream, sequence});
	}), {numRuns: 200});
	for (const bad of ['', 'g1', 'x1-2', 'g-1-2', 'g1-2-3', 'p1-2\n', `g1-${'9'.repeat(16)}`]) {
		t.is(parseEventId(bad), undefined, `${JSON.stringify(bad)} is refused`);
	}
});
