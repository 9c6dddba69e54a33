import {createParser, type EventSourceMessage} from 'eventsource-parser';

export type SseEvent = {event: string | undefined; data: string; id: string | undefined};

export type SseConnection = {
	response: Response;
	/**
	The next event (comments excluded); rejects after `ms` or when the stream ends first.
	*/
	next: (ms?: number) => Promise<SseEvent>;
	/**
	The parsed data of the next event.
	*/
	nextMessage: (ms?: number) => Promise<unknown>;
	/**
	Every event until the stream ends (bounded by `ms`).
	*/
	rest: (ms?: number) => Promise<SseEvent[]>;
	/**
	Comments seen so far (keep-alives).
	*/
	comments: string[];
	close: () => void;
};

/**
Read a response as Server-Sent Events.
*/
export function readSse(response: Response, controller = new AbortController()): SseConnection {
	const queue: SseEvent[] = [];
	const comments: string[] = [];
	let ended = false;
	let wake: (() => void) | undefined;
	const parser = createParser({
		onEvent(message: EventSourceMessage) {
			queue.push({event: message.event, data: message.data, id: message.id});
			wake?.();
		},
		onComment(comment) {
			comments.push(comment);
		},
	});

	void (async () => {
		try {
			const decoder = new TextDecoder();
			for await (const chunk of response.body! as unknown as AsyncIterable<Uint8Array>) {
				parser.feed(decoder.decode(chunk, {stream: true}));
			}
		} catch {
			// Aborted or cut: the stream ended.
		}

		ended = true;
		wake?.();
	})();

	/**
	Wait until `done()` holds (checked after each event and at the end of the stream) or the deadline passes.
	*/
	const waitFor = async (done: () => boolean, ms: number): Promise<boolean> => {
		if (done()) {
			return true;
		}

		return new Promise<boolean>(resolve => {
			const timer = setTimeout(() => {
				wake = undefined;
				resolve(done());
			}, ms);
			wake = () => {
				if (done()) {
					clearTimeout(timer);
					wake = undefined;
					resolve(true);
				}
			};
		});
	};

	const next = async (ms = 10_000): Promise<SseEvent> => {
		await waitFor(() => queue.length > 0 || ended, ms);
		if (queue.length === 0) {
			throw new Error(ended ? 'The SSE stream ended' : 'No SSE event in time');
		}

		return queue.shift()!;
	};

	const rest = async (ms = 10_000): Promise<SseEvent[]> => {
		if (!await waitFor(() => ended, ms)) {
			throw new Error('The SSE stream did not end in time');
		}

		return queue.splice(0);
	};

	return {
		response,
		next,
		async nextMessage(ms?: number) {
			const event = await next(ms);
			return JSON.parse(event.data) as unknown;
		},
		rest,
		comments,
		close() {
			controller.abort();
		},
	};
}

/**
GET a URL as an SSE stream.
*/
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
	const controller = new AbortController();
	const response = await fetch(url, {headers: {accept: 'text/event-stream', ...headers}, signal: controller.signal});
	return readSse(response, controller);
}
