/*
The reading side of a line stream: bytes decoded into lines, each line parsed once and checked as JSON-RPC, and what is wrong with a line (too long, not JSON, not JSON-RPC, text glued before a message) logged and answered so that no request is left hanging.
*/
import type {Subscriber} from 'rxjs';
import type {Message} from '../../types.js';
import {errorCodes, tooLargeMessage} from '../../errors.js';
import type {Logger} from '../../logger.js';
import {
	checkMessage,
	errorResponse,
	sniffMessage,
	toMessages,
} from '../../wire/message.js';
import {parseSkeleton} from '../../wire/long-strings.js';
import {parseJson} from '../../wire/exact-numbers.js';
import {LineDecoder, type DecodedLine} from '../../wire/line-decoder.js';
import type {LineWriter} from './line-writer.js';

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

export type LineReaderOptions = {
	/**
	Where the messages read go, and the error responses that stand in for broken responses.
	*/
	subscriber: Subscriber<Message>;
	/**
	Where the error replies to broken requests go (back to their sender).
	*/
	writer: LineWriter;
	maxLineBytes: number;
	/**
	How a message over `maxLineBytes` says to raise it.
	*/
	raise: string;
	logger: Logger;
	label: string;
};

/**
Reads newline-delimited JSON-RPC from the chunks it is given (see `wireLineStreams` for what happens to a bad line). Its handlers are methods, made once: nothing is allocated per line beyond the parse.
*/
export class LineReader {
	private readonly decoder: LineDecoder;
	private readonly options: LineReaderOptions;
	/**
	The line being handled: an invalid message is quoted from its text, since re-serializing a hostile value can overflow the stack.
	*/
	private currentLine: string | (() => string) = '';
	private readonly onInvalid: (reason: string, item: unknown) => void;

	constructor(options: LineReaderOptions) {
		this.options = options;
		this.decoder = new LineDecoder(options.maxLineBytes);
		this.onInvalid = (reason, item) => {
			this.invalid(reason, item);
		};
	}

	push(chunk: Uint8Array): void {
		this.handle(this.decoder.push(chunk));
	}

	/**
	The readable ended: a last line without its newline is handled too.
	*/
	end(): void {
		this.handle(this.decoder.end());
	}

	private handle(lines: DecodedLine[]): void {
		for (const line of lines) {
			if (line.kind === 'oversize') {
				this.oversize(line);
			} else if (line.kind !== 'skeleton' || !this.skeleton(line)) {
				this.text(line.kind === 'line' ? line.text : line.text());
			}
		}
	}

	private oversize(line: DecodedLine & {kind: 'oversize'}): void {
		const {
			subscriber, maxLineBytes, raise, logger, label,
		} = this.options;
		const sniffed = sniffMessage(line.head, line.tail);
		logger.error(`${label}: skipped a message of ${line.bytes} bytes, over the limit of ${maxLineBytes} bytes (${raise}); it began ${preview(line.head)}`);
		if (sniffed?.kind === 'request') {
			this.replyToSender(errorResponse(sniffed.id, errorCodes.messageTooLarge, tooLargeMessage(`Request of ${line.bytes} bytes`, maxLineBytes, undefined, raise)));
		} else if (sniffed) {
			subscriber.next(errorResponse(sniffed.id, errorCodes.messageTooLarge, tooLargeMessage(`Response of ${line.bytes} bytes`, maxLineBytes, undefined, raise)));
		}
	}

	/**
	A line with long strings kept as bytes: parsed with stand-ins for them. False when the skeleton does not parse: the whole line is then handled as text, which reports what is wrong with it.
	*/
	private skeleton(line: DecodedLine & {kind: 'skeleton'}): boolean {
		let parsed: ReturnType<typeof parseSkeleton>;
		try {
			parsed = parseSkeleton(line.line);
		} catch {
			return false;
		}

		this.currentLine = line.text;
		this.emitParsed(parsed.value, line.line.skeleton.length, parsed.attach);
		return true;
	}

	private text(text: string): void {
		const {subscriber, logger, label} = this.options;
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
				this.replyToSender(errorResponse(sniffed.id, errorCodes.parseError, 'Parse error: the request is not valid JSON'));
			} else if (sniffed) {
				subscriber.next(errorResponse(sniffed.id, errorCodes.parseError, 'The server sent a response that is not valid JSON'));
			}

			return;
		}

		this.currentLine = text;
		this.emitParsed(value, text.length);
	}

	/**
	Check a parsed line and emit its messages. `attach`, when given, runs between the checks and the emits (a skeleton's long strings are put in place then, so that the checks never decode them).
	*/
	private emitParsed(value: unknown, textLength: number, attach?: () => void): void {
		const {subscriber} = this.options;
		if (Array.isArray(value)) {
			const messages = toMessages(value, this.onInvalid, textLength);
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
			this.invalid(reason, value);
		}
	}

	private invalid(reason: string, item: unknown): void {
		const {subscriber, logger, label} = this.options;
		const {currentLine} = this;
		logger.warning(`${label}: skipped a message that is not JSON-RPC 2.0 (${reason}): ${preview(typeof currentLine === 'string' ? currentLine : currentLine())}`);
		const object = typeof item === 'object' && item !== null && !Array.isArray(item) ? item as Record<string, unknown> : undefined;
		const id = object?.['id'];
		if (!object || (typeof id !== 'string' && typeof id !== 'number')) {
			return;
		}

		if ('method' in object) {
			this.replyToSender(errorResponse(id, errorCodes.invalidRequest, `Invalid request: ${reason}`));
		} else {
			// A broken answer still ends the wait of the request it answers.
			subscriber.next(errorResponse(id, errorCodes.internalError, `${capitalize(label)} sent an invalid response: ${reason}`));
		}
	}

	private replyToSender(message: Message): void {
		try {
			this.options.writer.write(message);
		} catch (error) {
			this.options.logger.debug(`${this.options.label}: could not write an error reply:`, error);
		}
	}
}
