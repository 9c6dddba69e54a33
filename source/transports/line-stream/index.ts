import type {Readable, Writable} from 'node:stream';
import type {Observable, Subscriber, Subscription} from 'rxjs';
import type {Message} from '../types.js';
import {
	errorCodes, LimitError, tooLargeMessage, TransportError,
} from '../errors.js';
import type {Logger} from '../logger.js';
import {raiseWith, type SettingNames} from '../setting-names.js';
import {
	checkMessage,
	errorResponse,
	isRequest,
	sniffMessage,
	toMessages,
} from '../wire/message.js';
import {jsonText, parseSkeleton, serializeJson} from '../wire/long-strings.js';
import {parseJson, stringifyJson} from '../wire/exact-numbers.js';
import {LineDecoder, type DecodedLine} from '../wire/line-decoder.js';

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

function capitalize(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

const maxSalvageAttempts = 16;

/**
A line that is not JSON but ends with a JSON object: text written without a newline (a progress message, half a line of a crashed write) glued to the message after it. The longest suffix that parses as a JSON-RPC message is that message.
*/
export function salvageMessage(text: string): {value: unknown; skipped: number} | undefined {
	if (!text.endsWith('}')) {
		return undefined;
	}

	let start = text.indexOf('{', 1);
	for (let attempt = 0; attempt < maxSalvageAttempts && start !== -1; attempt++) {
		try {
			const value: unknown = parseJson(text.slice(start));
			if (checkMessage(value, text.length - start) === undefined) {
				return {value, skipped: start};
			}
		} catch {
			// Not there yet.
		}

		start = text.indexOf('{', start + 1);
	}

	return undefined;
}

function preview(text: string): string {
	const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
	return JSON.stringify(shown);
}

/**
Writes one JSON line per message, respecting backpressure: while the stream asks us to wait for `drain`, lines queue here up to a byte bound.

Lines written in the same turn of the event loop go out together: the first is written at once, the stream is then corked until the loop has handled the rest of what it polled, so many requests arriving together reach the peer in one system call and one wake-up instead of one each.
*/
export class LineWriter {
	private readonly queue: string[] = [];
	private queuedBytes = 0;
	private readonly writable: Writable;
	private readonly maxQueueBytes: number;
	private readonly onDrain: () => void;
	private readonly endTurn: () => void;
	private turn: 'idle' | 'open' | 'corked' = 'idle';

	constructor(writable: Writable, maxQueueBytes: number) {
		this.writable = writable;
		this.maxQueueBytes = maxQueueBytes;
		this.onDrain = () => {
			this.flush();
		};

		this.endTurn = () => {
			const corked = this.turn === 'corked';
			this.turn = 'idle';
			if (corked) {
				this.writable.uncork();
			}
		};

		writable.on('drain', this.onDrain);
	}

	/**
	Write a message. Throws a `LimitError` when the queue is full; the message is then not written.
	*/
	write(message: Message): void {
		const text = serializeJson(message);
		if (typeof text === 'string') {
			this.writeLine(`${text}\n`);
			return;
		}

		// Long strings kept as bytes go out as they are, between the string pieces, in one corked write.
		if (this.writesNow()) {
			this.writable.cork();
			for (const piece of text.pieces) {
				if (typeof piece === 'string') {
					this.writable.write(piece);
				} else {
					for (const view of piece) {
						this.writable.write(view);
					}
				}
			}

			this.writable.write('\n');
			this.writable.uncork();
			return;
		}

		this.writeLine(`${jsonText(text)}\n`);
	}

	writeLine(line: string): void {
		if (this.writesNow()) {
			this.writable.write(line);
			return;
		}

		if (this.queuedBytes + line.length > this.maxQueueBytes) {
			throw new LimitError(`The write queue is full (${this.maxQueueBytes} bytes waiting for the peer to read)`);
		}

		this.queue.push(line);
		this.queuedBytes += line.length;
	}

	get pending(): number {
		return this.queue.length;
	}

	/**
	Hand the lines held back in this turn of the event loop to the stream now (when the other side is ending, say).
	*/
	flushTurn(): void {
		this.endTurn();
	}

	/**
	Resolves once every queued line has been handed to the stream.
	*/
	async flushed(): Promise<void> {
		while (this.queue.length > 0 && !this.writable.destroyed) {
			// eslint-disable-next-line no-await-in-loop
			await new Promise<void>(resolve => {
				this.writable.once('drain', resolve);
				this.writable.once('close', resolve);
			});
		}
	}

	dispose(): void {
		this.endTurn();
		this.writable.off('drain', this.onDrain);
	}

	/**
	Whether a line can go to the stream now (nothing queued, no drain awaited); if so, this turn of the event loop is accounted for. Throws when the stream is closed.
	*/
	private writesNow(): boolean {
		if (this.writable.destroyed || this.writable.writableEnded) {
			throw new TransportError('The stream is closed');
		}

		if (this.queue.length > 0 || this.writable.writableNeedDrain) {
			return false;
		}

		if (this.turn === 'idle') {
			this.turn = 'open';
			setImmediate(this.endTurn);
		} else if (this.turn === 'open') {
			this.turn = 'corked';
			this.writable.cork();
		}

		return true;
	}

	private flush(): void {
		while (this.queue.length > 0 && !this.writable.writableNeedDrain) {
			const line = this.queue.shift()!;
			this.queuedBytes -= line.length;
			this.writable.write(line);
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
	const {logger, label} = options;
	const decoder = new LineDecoder(options.maxLineBytes);
	const writer = new LineWriter(writable, options.maxQueueBytes);
	const raise = raiseWith(options.settingNames, 'maxLineBytes');

	const replyToSender = (message: Message) => {
		try {
			writer.write(message);
		} catch (error) {
			logger.debug(`${label}: could not write an error reply:`, error);
		}
	};

	// The line being handled: an invalid message is quoted from its text, since re-serializing a hostile value can overflow the stack.
	let currentLine: string | (() => string) = '';
	const onInvalid = (reason: string, item: unknown) => {
		logger.warning(`${label}: skipped a message that is not JSON-RPC 2.0 (${reason}): ${preview(typeof currentLine === 'string' ? currentLine : currentLine())}`);
		const object = typeof item === 'object' && item !== null && !Array.isArray(item) ? item as Record<string, unknown> : undefined;
		const id = object?.['id'];
		if (!object || (typeof id !== 'string' && typeof id !== 'number')) {
			return;
		}

		if ('method' in object) {
			replyToSender(errorResponse(id, errorCodes.invalidRequest, `Invalid request: ${reason}`));
		} else {
			// A broken answer still ends the wait of the request it answers.
			subscriber.next(errorResponse(id, errorCodes.internalError, `${capitalize(label)} sent an invalid response: ${reason}`));
		}
	};

	// Check a parsed line and emit its messages. `attach`, when given, runs between the checks and the emits (a skeleton's long strings are put in place then, so that the checks never decode them).
	const emitParsed = (value: unknown, textLength: number, attach?: () => void) => {
		if (Array.isArray(value)) {
			const messages = toMessages(value, onInvalid, textLength);
			attach?.();
			for (const message of messages) {
				subscriber.next(message);
			}

			return;
		}

		// One message per line, the usual case: checked without building an array.
		const reason = checkMessage(value, textLength);
		attach?.();
		if (reason === undefined) {
			subscriber.next(value as Message);
		} else {
			onInvalid(reason, value);
		}
	};

	// A line with long strings kept as bytes: parsed with stand-ins for them. False when the skeleton does not parse: the whole line is then handled as text, which reports what is wrong with it.
	const handleSkeleton = (line: DecodedLine & {kind: 'skeleton'}): boolean => {
		let parsed: ReturnType<typeof parseSkeleton>;
		try {
			parsed = parseSkeleton(line.line);
		} catch {
			return false;
		}

		currentLine = line.text;
		emitParsed(parsed.value, line.line.skeleton.length, parsed.attach);
		return true;
	};

	const handle = (lines: DecodedLine[]) => {
		for (const line of lines) {
			if (line.kind === 'oversize') {
				const sniffed = sniffMessage(line.head, line.tail);
				logger.error(`${label}: skipped a message of ${line.bytes} bytes, over the limit of ${options.maxLineBytes} bytes (${raise}); it began ${preview(line.head)}`);
				if (sniffed?.kind === 'request') {
					replyToSender(errorResponse(sniffed.id, errorCodes.messageTooLarge, tooLargeMessage(`Request of ${line.bytes} bytes`, options.maxLineBytes, undefined, raise)));
				} else if (sniffed) {
					subscriber.next(errorResponse(sniffed.id, errorCodes.messageTooLarge, tooLargeMessage(`Response of ${line.bytes} bytes`, options.maxLineBytes, undefined, raise)));
				}

				continue;
			}

			if (line.kind === 'skeleton' && handleSkeleton(line)) {
				continue;
			}

			const text = line.kind === 'line' ? line.text : line.text();
			let value: unknown;
			try {
				value = parseJson(text);
			} catch {
				const salvaged = salvageMessage(text);
				if (salvaged) {
					logger.warning(`${label}: skipped ${salvaged.skipped} characters that are not JSON before a message on the same line: ${preview(text.slice(0, salvaged.skipped))}`);
					value = salvaged.value;
				}
			}

			if (value === undefined) {
				logger.warning(`${label}: skipped a line that is not JSON (${text.length} characters): ${preview(text)}`);
				const sniffed = sniffMessage(text.slice(0, 4096), text.slice(-4096));
				if (sniffed?.kind === 'request') {
					replyToSender(errorResponse(sniffed.id, errorCodes.parseError, 'Parse error: the request is not valid JSON'));
				} else if (sniffed) {
					subscriber.next(errorResponse(sniffed.id, errorCodes.parseError, 'The server sent a response that is not valid JSON'));
				}

				continue;
			}

			currentLine = text;
			emitParsed(value, text.length);
		}
	};

	const onData = (chunk: Uint8Array) => {
		handle(decoder.push(chunk));
	};

	const onEnd = () => {
		handle(decoder.end());
		writer.flushTurn();
		onReadableEnd();
	};

	readable.on('data', onData);
	readable.once('end', onEnd);

	const subscription = outgoing$.subscribe({
		next(message) {
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
