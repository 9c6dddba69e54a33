/**
The kind of an SSE stream of a Streamable HTTP session: `g` for a standalone GET stream, `p` for the stream that answers a POST.
*/
export type StreamKind = 'g' | 'p';

export type StreamKey = {kind: StreamKind; stream: number};

type StoredEvent = {
	stream: number;
	kind: StreamKind;
	sequence: number;
	data: string;
};

export type EventStoreOptions = {
	/**
	How many events are kept.
	*/
	maxEvents: number;
	/**
	How many bytes of event data are kept; an event larger than this alone is not kept at all.
	*/
	maxBytes: number;
};

/**
Format an event id: `<kind><stream>-<sequence>`, unique within a session, naming its stream.
*/
export function formatEventId(kind: StreamKind, stream: number, sequence: number): string {
	return `${kind}${stream}-${sequence}`;
}

const eventIdPattern = /^([gp])(\d{1,15})-(\d{1,15})$/;

/**
Parse an event id made by `formatEventId`, or `undefined`.
*/
export function parseEventId(id: string): (StreamKey & {sequence: number}) | undefined {
	const match = eventIdPattern.exec(id);
	if (!match) {
		return undefined;
	}

	return {kind: match[1] as StreamKind, stream: Number(match[2]), sequence: Number(match[3])};
}

/**
A session's bounded, in-memory record of the SSE events it sent, for resumption with `Last-Event-ID`. The oldest events go first when either bound is reached. Events are kept serialized, as they were written.

@example
```
const store = new EventStore({maxEvents: 1000, maxBytes: 4 * 1024 * 1024});
const id = store.append('p', 3, '{"jsonrpc":"2.0","id":1,"result":{}}');
store.after({kind: 'p', stream: 3, sequence: 0});
//=> [{id, data: '{"jsonrpc":"2.0","id":1,"result":{}}'}]
```
*/
export class EventStore {
	private readonly events: StoredEvent[] = [];
	private head = 0;
	private bytes = 0;
	private sequence = 0;
	/**
	The newest sequence number evicted (or never kept because it was too large).
	*/
	private droppedThrough = 0;
	private readonly maxEvents: number;
	private readonly maxBytes: number;

	constructor(options: EventStoreOptions) {
		this.maxEvents = options.maxEvents;
		this.maxBytes = options.maxBytes;
	}

	get size(): number {
		return this.events.length - this.head;
	}

	/**
	Give the next event id of a stream, storing `data` under it when it fits. Returns the id.
	*/
	append(kind: StreamKind, stream: number, data: string): string {
		const sequence = ++this.sequence;
		if (this.maxEvents > 0 && data.length <= this.maxBytes) {
			this.events.push({
				stream, kind, sequence, data,
			});
			this.bytes += data.length;
			this.evict();
		} else if (this.maxEvents > 0) {
			this.droppedThrough = sequence;
		}

		return formatEventId(kind, stream, sequence);
	}

	/**
	The kept events of a stream that came after an event of it, oldest first.
	*/
	after(key: StreamKey & {sequence: number}): Array<{id: string; data: string}> {
		const result: Array<{id: string; data: string}> = [];
		for (let index = this.head; index < this.events.length; index++) {
			const event = this.events[index]!;
			if (event.stream === key.stream && event.kind === key.kind && event.sequence > key.sequence) {
				result.push({id: formatEventId(event.kind, event.stream, event.sequence), data: event.data});
			}
		}

		return result;
	}

	/**
	Whether events that came after `sequence` may have been dropped to keep the store within its bounds, so that a replay from there can be incomplete.
	*/
	droppedAfter(sequence: number): boolean {
		return this.droppedThrough > sequence;
	}

	/**
	Whether an event sequence number was handed out by this store.
	*/
	issued(sequence: number): boolean {
		return sequence <= this.sequence;
	}

	clear(): void {
		this.events.length = 0;
		this.head = 0;
		this.bytes = 0;
	}

	private evict(): void {
		while (this.events.length - this.head > this.maxEvents || this.bytes > this.maxBytes) {
			const event = this.events[this.head]!;
			this.events[this.head] = undefined as unknown as StoredEvent;
			this.head++;
			this.bytes -= event.data.length;
			this.droppedThrough = event.sequence;
		}

		// Compact now and then, so the array does not grow without bound.
		if (this.head > 1024 && this.head * 2 > this.events.length) {
			this.events.splice(0, this.head);
			this.head = 0;
		}
	}
}
