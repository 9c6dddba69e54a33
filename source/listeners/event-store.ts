/*
The events a Streamable HTTP session keeps for resumption: numbered per stream, bounded in count and bytes, replayed after a client's `Last-Event-ID`.
*/
import {
	hold, release, type Holder, type Payload,
} from './payload.js';

/**
The kind of an SSE stream of a Streamable HTTP session: `g` for a standalone GET stream, `p` for the stream that answers a POST.
*/
export type StreamKind = 'g' | 'p';

export type StreamKey = {kind: StreamKind; stream: number};

type StoredEvent = {
	stream: number;
	kind: StreamKind;
	sequence: number;
	payload: Payload;
	/**
	A response or request not yet written to the client's connection: this copy may be the only one, so it is never shed.
	*/
	pinned: boolean;
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
	/**
	Who holds the kept payloads (the session, which counts them in the queue budget).
	*/
	holder?: Holder;
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
A session's bounded, in-memory record of the SSE events it sent, for resumption with `Last-Event-ID`. The oldest events go first when either bound is reached. Events are kept serialized, as they were written: the payloads the streams wrote, shared with them.

@example
```
const store = new EventStore({maxEvents: 1000, maxBytes: 4 * 1024 * 1024});
const id = store.append('p', 3, new Payload('{"jsonrpc":"2.0","id":1,"result":{}}', 'response'));
store.after({kind: 'p', stream: 3, sequence: 0});
//=> [{id, payload}]
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
	private readonly holder: Holder | undefined;

	constructor(options: EventStoreOptions) {
		this.maxEvents = options.maxEvents;
		this.maxBytes = options.maxBytes;
		this.holder = options.holder;
	}

	get size(): number {
		return this.events.length - this.head;
	}

	/**
	The sequence number the next event will get.
	*/
	get nextSequence(): number {
		return this.sequence + 1;
	}

	/**
	Give the next event id of a stream, storing `payload` under it when it fits. Returns the id.
	*/
	append(kind: StreamKind, stream: number, payload: Payload): string {
		const sequence = ++this.sequence;
		if (this.maxEvents > 0 && payload.size <= this.maxBytes && !payload.shed) {
			this.events.push({
				stream, kind, sequence, payload, pinned: !payload.sheddable,
			});
			this.bytes += payload.size;
			if (this.holder) {
				payload.queuedBy ??= this.holder.id;
				hold(this.holder, payload);
			}

			this.evict();
		} else if (this.maxEvents > 0) {
			this.droppedThrough = sequence;
		}

		return formatEventId(kind, stream, sequence);
	}

	/**
	The kept events of a stream that came after an event of it, oldest first.
	*/
	after(key: StreamKey & {sequence: number}): Array<{id: string; payload: Payload; sequence: number}> {
		const result: Array<{id: string; payload: Payload; sequence: number}> = [];
		for (let index = this.head; index < this.events.length; index++) {
			const event = this.events[index]!;
			if (event.payload.shed) {
				// Shed by the queue budget: the replay goes without it.
				this.droppedThrough = Math.max(this.droppedThrough, event.sequence);
			} else if (event.stream === key.stream && event.kind === key.kind && event.sequence > key.sequence) {
				result.push({id: formatEventId(event.kind, event.stream, event.sequence), payload: event.payload, sequence: event.sequence});
			}
		}

		return result;
	}

	/**
	Drop the event with this sequence number (a notification shed from a stream's queue), so a replay does not bring it back. Returns whether it was kept.
	*/
	remove(sequence: number): boolean {
		const index = this.indexOf(sequence);
		if (index !== -1) {
			this.drop(index);
		}

		return index !== -1;
	}

	/**
	The event with this sequence number was written to the client's connection: its copy here may now be shed.
	*/
	unpin(sequence: number): void {
		const index = this.indexOf(sequence);
		if (index !== -1) {
			this.events[index]!.pinned = false;
		}
	}

	/**
	Drop the oldest copy of a response or request already written to the client's connection (the queue budget sheds it, once no notification is left to shed: those it sheds itself). Returns its size, 0 when there is none.
	*/
	shedOldest(): number {
		for (let index = this.head; index < this.events.length; index++) {
			const {payload, pinned} = this.events[index]!;
			if (payload.size > 0 && !payload.sheddable && !pinned) {
				this.drop(index);
				return payload.size;
			}
		}

		return 0;
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
		for (let index = this.head; index < this.events.length; index++) {
			this.letGo(this.events[index]!.payload);
		}

		this.events.length = 0;
		this.head = 0;
		this.bytes = 0;
	}

	private letGo(payload: Payload): void {
		if (this.holder) {
			release(this.holder, payload);
		}
	}

	private indexOf(sequence: number): number {
		let low = this.head;
		let high = this.events.length - 1;
		while (low <= high) {
			const middle = Math.floor((low + high) / 2);
			const found = this.events[middle]!.sequence;
			if (found === sequence) {
				return middle;
			}

			if (found < sequence) {
				low = middle + 1;
			} else {
				high = middle - 1;
			}
		}

		return -1;
	}

	/**
	Take out the event at `index`: a replay from before it can now be incomplete.
	*/
	private drop(index: number): void {
		const [event] = this.events.splice(index, 1);
		this.bytes -= event!.payload.size;
		this.letGo(event!.payload);
		this.droppedThrough = Math.max(this.droppedThrough, event!.sequence);
	}

	private evict(): void {
		while (this.events.length - this.head > this.maxEvents || this.bytes > this.maxBytes) {
			const event = this.events[this.head]!;
			this.events[this.head] = undefined as unknown as StoredEvent;
			this.head++;
			this.bytes -= event.payload.size;
			this.letGo(event.payload);
			this.droppedThrough = Math.max(this.droppedThrough, event.sequence);
		}

		// Compact now and then, so the array does not grow without bound.
		if (this.head > 1024 && this.head * 2 > this.events.length) {
			this.events.splice(0, this.head);
			this.head = 0;
		}
	}
}
