import {Buffer} from 'node:buffer';
import type {ServerResponse} from 'node:http';
import test from 'ava';
import fc from 'fast-check';
import {formatEventId, parseEventId} from '../../source/listeners/event-store.js';
import {KeepAlive, SseStream} from '../../source/listeners/sse-writer.js';
import {readEventStream, type EventSourceMessage} from '../../source/transports/sse-reader.js';
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

test('event ids round-trip through parseEventId', t => {
	fc.assert(fc.property(fc.constantFrom('g' as const, 'p' as const), fc.integer({min: 0, max: 999_999_999}), fc.integer({min: 0, max: 999_999_999}), (kind, stream, sequence) => {
		t.deepEqual(parseEventId(formatEventId(kind, stream, sequence)), {kind, stream, sequence});
	}), {numRuns: 200});
	for (const bad of ['', 'g1', 'x1-2', 'g-1-2', 'g1-2-3', 'p1-2\n', `g1-${'9'.repeat(16)}`]) {
		t.is(parseEventId(bad), undefined, `${JSON.stringify(bad)} is refused`);
	}
});
