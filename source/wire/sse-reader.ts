import {Buffer} from 'node:buffer';
import {createParser, type EventSourceMessage} from 'eventsource-parser';
import {MessageTooLargeError, tooLargeMessage} from '../errors.js';

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
Read a `text/event-stream` body to its end, handing each event to `onEvent`. Resolves when the server ends the stream; rejects when reading fails (the connection broke, it was aborted) or an event is too large (unless `onOversize` takes those). An event cut off by the end of the stream is not delivered.

@example
```
const response = await fetch(url, {headers: {accept: 'text/event-stream'}});
await readEventStream(response.body!, {onEvent: event => console.log(event.data)});
```
*/
export async function readEventStream(body: ReadableStream<Uint8Array>, options: ReadEventStreamOptions): Promise<void> {
	const {onEvent, onRetry, maxEventBytes, onOversize} = options;
	let failure: Error | undefined;
	let overflowed = false;
	let dispatched = false;
	let pendingCr = false;
	/**
	The first characters of the event being read, kept only while they are few.
	*/
	let head = '';
	/**
	An event over the limit being skipped up to the blank line that ends it.
	*/
	let skipping: {head: string; tail: string; last: string} | undefined;

	const oversize = (event: OversizeEvent) => {
		if (onOversize) {
			onOversize(event);
		} else {
			failure ??= new MessageTooLargeError(tooLargeMessage('An event from the remote server', maxEventBytes!), maxEventBytes!);
		}
	};

	const parser = createParser({
		onEvent: maxEventBytes === undefined
			? onEvent
			: event => {
				dispatched = true;
				const {data} = event;
				if (failure) {
					return;
				}

				// Each UTF-16 unit takes at most three bytes: most events are measured without counting.
				if (data.length * 3 > maxEventBytes && Buffer.byteLength(data) > maxEventBytes) {
					oversize({head: data.slice(0, headCharacters), tail: data.slice(-tailCharacters)});
					return;
				}

				onEvent(event);
			},
		onRetry,
		maxBufferSize: maxEventBytes === undefined ? undefined : maxEventBytes + framingSlack,
		onError(error) {
			if (error.type === 'max-buffer-size-exceeded') {
				overflowed = true;
			}
		},
	});

	/**
	Feed text to the parser, keeping the start of the event in progress; an event that grows past the limit starts being skipped.
	*/
	const feed = (text: string) => {
		dispatched = false;
		if (pendingCr && text !== '' && !text.startsWith('\n')) {
			// A CR that ended the last chunk is a line end of its own: told so now, an event it completes is not counted with the next one.
			parser.feed('\n');
		}

		if (text !== '') {
			pendingCr = text.endsWith('\r');
		}

		parser.feed(text);
		if (dispatched) {
			const start = afterLastBlankLine(text);
			head = start.length > headCharacters ? start.slice(0, headCharacters) : start;
		} else if (head.length < headCharacters) {
			head = (head + text.slice(0, headCharacters)).slice(0, headCharacters);
		}

		if (overflowed) {
			overflowed = false;
			const ending = text.slice(-2);
			if (onOversize && (ending === '\n\n' || ending === '\n\r' || ending === '\r\r')) {
				// Its blank line came, but the parser waits to see whether a CR starts a CRLF.
				oversize({head, tail: lastCharacters('', text, tailCharacters)});
				parser.reset();
				head = '';
			} else if (onOversize) {
				skipping = {head, tail: lastCharacters('', text, tailCharacters), last: text.slice(-1)};
				head = '';
			} else {
				oversize({head, tail: ''});
			}
		}
	};

	/**
	Skip the oversize event's text up to its end; returns what follows it, if it ended.
	*/
	const skip = (text: string, state: NonNullable<typeof skipping>): string | undefined => {
		const joined = state.last + text;
		const match = blankLine.exec(joined);
		if (!match) {
			state.tail = lastCharacters(state.tail, text, tailCharacters);
			state.last = text.slice(-1);
			return undefined;
		}

		const end = match.index - state.last.length;
		skipping = undefined;
		pendingCr = false;
		oversize({head: state.head, tail: lastCharacters(state.tail, text.slice(0, Math.max(0, end)), tailCharacters)});
		parser.reset();
		return text.slice(end + 2);
	};

	const decoder = new TextDecoder();
	const reader = body.getReader();
	try {
		for (;;) {
			// eslint-disable-next-line no-await-in-loop
			const {done, value} = await reader.read();
			if (done) {
				return;
			}

			let text: string | undefined = decoder.decode(value, {stream: true});
			if (maxEventBytes === undefined) {
				parser.feed(text);
				continue;
			}

			if (skipping) {
				text = skip(text, skipping);
			}

			if (text !== undefined && !failure) {
				feed(text);
			}

			if (failure) {
				throw failure;
			}
		}
	} finally {
		reader.cancel().catch(() => undefined);
	}
}
