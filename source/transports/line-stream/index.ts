/*
Newline-delimited JSON-RPC over a readable/writable pair (a child's pipes, our standard input and output) wired to a subscriber and an outgoing stream: the reader (line-reader.ts) emits what arrives, the writer (line-writer.ts) sends what goes out, and a message that cannot be sent is answered or logged here.
*/
import type {Readable, Writable} from 'node:stream';
import type {Observable, Subscriber, Subscription} from 'rxjs';
import type {Message} from '../../types.js';
import {errorCodes, LimitError} from '../../errors.js';
import type {Logger} from '../../logger.js';
import {raiseWith, type SettingNames} from '../../setting-names.js';
import {errorResponse, isRequest} from '../../wire/message.js';
import {stringifyJson} from '../../wire/exact-numbers.js';
import {LineReader} from './line-reader.js';
import {LineWriter} from './line-writer.js';

export {salvageMessage} from './line-reader.js';
export {LineWriter} from './line-writer.js';

export const defaultMaxLineBytes = 128 * 1024 * 1024;
export const defaultMaxQueueBytes = 256 * 1024 * 1024;

export type LineStreamOptions = {
	/**
	The longest line accepted, in bytes.
	*/
	maxLineBytes: number;
	/**
	How many bytes may wait for the writable to drain before further messages are refused.
	*/
	maxQueueBytes: number;
	logger: Logger;
	/**
	Names the peer in log lines, such as "child `node server.js`" or "stdin".
	*/
	label: string;
	/**
	How a line over `maxLineBytes` says to raise it (see `SettingNames`).
	*/
	settingNames?: SettingNames;
};

/**
Write an outgoing message; one the writer refuses (the peer stopped reading, the stream is closed) is answered with an error when it is a request, logged otherwise.
*/
function send(writer: LineWriter, message: Message, subscriber: Subscriber<Message>, {logger, label}: LineStreamOptions): void {
	try {
		writer.write(message);
	} catch (error) {
		const reason = error instanceof Error ? error.message : String(error);
		if (isRequest(message)) {
			logger.error(`${label}: refused request ${stringifyJson(message.id)} (${message.method}): ${reason}`);
			subscriber.next(errorResponse(message.id, error instanceof LimitError ? errorCodes.overloaded : errorCodes.connectionClosed, `The proxy could not deliver the request: ${reason}`));
		} else {
			logger.error(`${label}: dropped a message: ${reason}`);
		}
	}
}

/**
Wire a readable/writable pair carrying newline-delimited JSON-RPC to a subscriber and an outgoing stream.

- Each complete line is parsed once and emitted; a batch array emits its elements.
- A line that is not JSON but ends with a message (text written without a newline, glued to the next message) keeps that message; the text before it is logged and skipped.
- A line that is not JSON, not JSON-RPC, or too long is logged with its first bytes and skipped; nothing else is lost. If it was recognizably a request, the sender gets a JSON-RPC error for it; if it was a response, an error response for its id is emitted instead, so the request it answers is not left hanging.
- A message that cannot be queued because the peer stopped reading is answered with an error (requests) or logged (others).

Returns the writer (for graceful shutdown) and the subscription of the outgoing side.
*/
export function wireLineStreams({readable, writable, subscriber, outgoing$, options, onReadableEnd, onOutgoingComplete}: {
	readable: Readable;
	writable: Writable;
	subscriber: Subscriber<Message>;
	outgoing$: Observable<Message>;
	options: LineStreamOptions;
	onReadableEnd: () => void;
	onOutgoingComplete: () => void;
}): {writer: LineWriter; subscription: Subscription; dispose: () => void} {
	const {logger, label, maxLineBytes} = options;
	const writer = new LineWriter(writable, options.maxQueueBytes);
	const reader = new LineReader({
		subscriber, writer, maxLineBytes, raise: raiseWith(options.settingNames, 'maxLineBytes'), logger, label,
	});

	const onData = (chunk: Uint8Array) => {
		reader.push(chunk);
	};

	const onEnd = () => {
		reader.end();
		writer.flushTurn();
		onReadableEnd();
	};

	readable.on('data', onData);
	readable.once('end', onEnd);

	const subscription = outgoing$.subscribe({
		next(message) {
			send(writer, message, subscriber, options);
		},
		error(error: unknown) {
			subscriber.error(error);
		},
		complete() {
			writer.flushTurn();
			// Deferred: the caller may still be setting up when an empty stream completes at once.
			queueMicrotask(onOutgoingComplete);
		},
	});

	return {
		writer,
		subscription,
		dispose() {
			readable.off('data', onData);
			readable.off('end', onEnd);
			writer.dispose();
			subscription.unsubscribe();
		},
	};
}
