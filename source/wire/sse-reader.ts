/*
Reading an SSE response body into events, within a byte limit per event (an oversize one is skipped and reported with its head and tail).
*/
import {Buffer} from 'node:buffer';
import {createParser, type EventSourceMessage} from 'eventsource-parser';
import {MessageTooLargeError, tooLargeMessage} from '../errors.js';
import {raiseWith, type SettingNames} from '../setting-names.js';

export type {EventSourceMessage} from 'eventsource-parser';

/**
An event over the limit, skipped: its first and last characters (where a message's `id` is: SDKs write it first or last), SSE field names included.
*/
export type OversizeEvent = {head: string; tail: string};

export type ReadEventStreamOptions = {
	onEvent: (event: EventSourceMessage) => void;
	/**
	The server's `retry:` field, in milliseconds.
	*/
	onRetry?: (milliseconds: number) => void;
	/**
	The largest event data accepted, in bytes (UTF-8). An event that grows past it is not buffered: the stream ends with a `MessageTooLargeError`, or, with `onOversize`, the event is skipped to its end and reported there.
	*/
	maxEventBytes?: number;
	/**
	Skip events over `maxEventBytes` and carry on with the next one (for a stream that outlives any one message), instead of ending the stream.
	*/
	onOversize?: (event: OversizeEvent) => void;
	/**
	How the error for an event over the limit names the setting that raises it: by default this option (``the `maxEventBytes` option``); a transport that reads with its own `maxMessageBytes` passes `{maxEventBytes: …}` naming that.
	*/
	settingNames?: SettingNames;
};

/**
Room for what an event holds besides its data (`data: ` prefixes, `event:` and `id:` lines), which eventsource-parser counts with it.
*/
const framingSlack = 1024;
const headCharacters = 4096;
const tailCharacters = 4096;
/**
A blank line: a line terminator (LF, CR, or CRLF) followed by another.
*/
const blankLine = /\n\n|\n\r|\r\r/;

/**
What follows the last blank line of a chunk in which an event ended: the start of the next event.
*/
function afterLastBlankLine(text: string): string {
	if (text.endsWith('\n\n') || text.endsWith('\r\n\r\n')) {
		return '';
	}

	let at = text.lastIndexOf('\n\n');
	// Blank lines made with a CR are looked for only when a CR follows the last LF LF (most streams have none).
	if (text.includes('\r', at === -1 ? 0 : at + 2)) {
		at = Math.max(at, text.lastIndexOf('\n\r'), text.lastIndexOf('\r\r'));
	}

	// None: the blank line straddled two chunks.
	return at === -1 ? text : text.slice(at + 2);
}

function lastCharacters(previous: string, text: string, count: number): string {
	return text.length >= count ? text.slice(-count) : (previous + text).slice(-count);
}

/**
An event-stream parser that holds at most `maxEventBytes` of an event: an event over it is skipped up to its end (its start and end kept for `onOversize`), or fails the stream (`failure`) without `onOversize`.
*/
class BoundedParser {
	/**
	Set when an event was too large and nobody takes those: the stream fails with it.
	*/
	failure: Error | undefined;
	/**
	An event over the limit being skipped up to the blank line that ends it.
	*/
	skipping: {head: string; tail: string; last: string} | undefined;
	private overflowed = false;
	private dispatched = false;
	private pendingCr = false;
	/**
	The first characters of the event being read, kept only while they are few.
	*/
	private head = '';
	private readonly parser: ReturnType<typeof createParser>;
	private readonly options: ReadEventStreamOptions & {maxEventBytes: number};

	constructor(options: ReadEventStreamOptions & {maxEventBytes: number}) {
		this.options = options;
		const {onEvent, onRetry, maxEventBytes} = options;
		this.parser = createParser({
			onEvent: event => {
				this.dispatched = true;
				const {data} = event;
				if (this.failure) {
					return;
				}

				// Each UTF-16 unit takes at most three bytes: most events are measured without counting.
				if (data.length * 3 > maxEventBytes && Buffer.byteLength(data) > maxEventBytes) {
					this.oversize({head: data.slice(0, headCharacters), tail: data.slice(-tailCharacters)});
					return;
				}

				onEvent(event);
			},
			onRetry,
			maxBufferSize: maxEventBytes + framingSlack,
			onError: error => {
				if (error.type === 'max-buffer-size-exceeded') {
					this.overflowed = true;
				}
			},
		});
	}

	/**
	Feed a decoded chunk: skipped while an oversize event lasts, parsed after it.
	*/
	write(chunk: string): void {
		const text = this.skipping ? this.skip(chunk, this.skipping) : chunk;
		if (text !== undefined && !this.failure) {
			this.feed(text);
		}
	}

	private oversize(event: OversizeEvent): void {
		if (this.options.onOversize) {
			this.options.onOversize(event);
		} else {
			const {maxEventBytes, settingNames} = this.options;
			this.failure ??= new MessageTooLargeError(tooLargeMessage('An event from the remote server', maxEventBytes, undefined, raiseWith(settingNames, 'maxEventBytes')), maxEventBytes);
		}
	}

	/**
	Feed text to the parser, keeping the start of the event in progress; an event that grows past the limit starts being skipped.
	*/
	private feed(text: string): void {
		const {parser} = this;
		this.dispatched = false;
		if (this.pendingCr && text !== '' && !text.startsWith('\n')) {
			// A CR that ended the last chunk is a line end of its own: told so now, an event it completes is not counted with the next one.
			parser.feed('\n');
		}

		if (text !== '') {
			this.pendingCr = text.endsWith('\r');
		}

		parser.feed(text);
		if (this.dispatched) {
			const start = afterLastBlankLine(text);
			this.head = start.length > headCharacters ? start.slice(0, headCharacters) : start;
		} else if (this.head.length < headCharacters) {
			this.head = (this.head + text.slice(0, headCharacters)).slice(0, headCharacters);
		}

		if (this.overflowed) {
			this.overflowed = false;
			const ending = text.slice(-2);
			const {onOversize} = this.options;
			if (onOversize && (ending === '\n\n' || ending === '\n\r' || ending === '\r\r')) {
				// Its blank line came, but the parser waits to see whether a CR starts a CRLF.
				this.oversize({head: this.head, tail: lastCharacters('', text, tailCharacters)});
				parser.reset();
				this.head = '';
			} else if (onOversize) {
				this.skipping = {head: this.head, tail: lastCharacters('', text, tailCharacters), last: text.slice(-1)};
				this.head = '';
			} else {
				this.oversize({head: this.head, tail: ''});
			}
		}
	}

	/**
	Skip the oversize event's text up to its end; returns what follows it, if it ended.
	*/
	private skip(text: string, state: NonNullable<BoundedParser['skipping']>): string | undefined {
		const joined = state.last + text;
		const match = blankLine.exec(joined);
		if (!match) {
			state.tail = lastCharacters(state.tail, text, tailCharacters);
			state.last = text.slice(-1);
			return undefined;
		}

		const end = match.index - state.last.length;
		this.skipping = undefined;
		this.pendingCr = false;
		this.oversize({head: state.head, tail: lastCharacters(state.tail, text.slice(0, Math.max(0, end)), tailCharacters)});
		this.parser.reset();
		return text.slice(end + 2);
	}
}

/**
Read a `text/event-stream` body to its end, handing each event to `onEvent`. Resolves when the server ends the stream; rejects when reading fails (the connection broke, it was aborted) or an event is too large (unless `onOversize` takes those). An event cut off by the end of the stream is not delivered.

@example
```
const response = await fetch(url, {headers: {accept: 'text/event-stream'}});
await readEventStream(response.body!, {onEvent: event => console.log(event.data)});
```
*/
export async function readEventStream(body: ReadableStream<Uint8Array>, options: ReadEventStreamOptions): Promise<void> {
	const {maxEventBytes} = options;
	const unbounded = maxEventBytes === undefined ? createParser({onEvent: options.onEvent, onRetry: options.onRetry}) : undefined;
	const bounded = maxEventBytes === undefined ? undefined : new BoundedParser({...options, maxEventBytes});
	const decoder = new TextDecoder();
	const reader = body.getReader();
	try {
		for (;;) {
			// eslint-disable-next-line no-await-in-loop
			const {done, value} = await reader.read();
			if (done) {
				return;
			}

			const text = decoder.decode(value, {stream: true});
			if (bounded) {
				bounded.write(text);
				if (bounded.failure) {
					throw bounded.failure;
				}
			} else {
				unbounded!.feed(text);
			}
		}
	} finally {
		reader.cancel().catch(() => undefined);
	}
}
