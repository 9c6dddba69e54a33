import {createParser, type EventSourceMessage} from 'eventsource-parser';
import {LimitError} from '../errors.js';

export type {EventSourceMessage} from 'eventsource-parser';

export type ReadEventStreamOptions = {
	onEvent: (event: EventSourceMessage) => void;
	/**
	The server's `retry:` field, in milliseconds.
	*/
	onRetry?: (milliseconds: number) => void;
	/**
	The largest event accepted, in characters; a larger one ends the stream with a `LimitError`.
	*/
	maxEventLength?: number;
};

/**
Read a `text/event-stream` body to its end, handing each event to `onEvent`. Resolves when the server ends the stream; rejects when reading fails (the connection broke, it was aborted) or an event is too large. An event cut off by the end of the stream is not delivered.

@example
```
const response = await fetch(url, {headers: {accept: 'text/event-stream'}});
await readEventStream(response.body!, {onEvent: event => console.log(event.data)});
```
*/
export async function readEventStream(body: ReadableStream<Uint8Array>, options: ReadEventStreamOptions): Promise<void> {
	const {onEvent, onRetry, maxEventLength} = options;
	let failure: Error | undefined;
	const parser = createParser({
		onEvent,
		onRetry,
		maxBufferSize: maxEventLength,
		onError(error) {
			if (error.type === 'max-buffer-size-exceeded') {
				failure = new LimitError(`An event from the remote server is larger than ${maxEventLength} characters`);
			}
		},
	});
	const decoder = new TextDecoder();
	const reader = body.getReader();
	try {
		for (;;) {
			// eslint-disable-next-line no-await-in-loop
			const {done, value} = await reader.read();
			if (done) {
				return;
			}

			parser.feed(decoder.decode(value, {stream: true}));
			if (failure) {
				throw failure;
			}
		}
	} finally {
		reader.cancel().catch(() => undefined);
	}
}
