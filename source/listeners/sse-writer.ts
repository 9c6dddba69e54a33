/*
Writing an SSE stream to one HTTP response: events framed and queued within bounds, backpressure from the socket, keep-alive comments, and what a slow reader makes the stream give up.
*/
import type {OutgoingHttpHeaders, ServerResponse} from 'node:http';
import {
	hold, release, type Holder, type Payload,
} from './payload.js';

/**
How many bytes may wait for one stream's client, in its queue and its socket's buffer, before the stream is cut as too slow. Cut streams of a Streamable HTTP session can be resumed from the event store.
*/
export const maxBufferedBytes = 64 * 1024 * 1024;

const baseHeaders: OutgoingHttpHeaders = {
	'Content-Type': 'text/event-stream',
	'Cache-Control': 'no-cache, no-transform',
	'X-Accel-Buffering': 'no',
};

/**
An event waiting for the socket to drain: its head (`id:`, `event:`, `data: `) and message, or raw SSE text alone. `undefined` once shed.
*/
type Frame = {
	head: string;
	payload: Payload | undefined;
	/**
	The event's sequence number in the session's event store, 0 if none.
	*/
	sequence: number;
};

/**
The holder of a stream's payloads: its session, which also sheds from the stream and cuts it. A session that ended stays in the queue budget until its last stream stops (a stream ending after its session still drains).
*/
export type StreamOwner = Holder & {
	/**
	Its open streams, oldest first.
	*/
	readonly streams: Set<SseStream>;
	readonly ended: boolean;
	/**
	Where the session keeps copies for resumption: a response or request written to the client's connection may be shed there from then on.
	*/
	readonly store?: {unpin(sequence: number): void};
	/**
	JSON answers waiting for their connection: they too keep an ended session in the budget.
	*/
	readonly answers?: ReadonlySet<unknown>;
};

/**
One Server-Sent Events response: writes events and comments, ends once, and reports the client going away. Writing to a stream whose client left does nothing.

Events go to the socket while it takes them; once it pushes back they wait in the stream's own queue, written as it drains, where the queue budget can shed the notifications among them (\`shedOldest\`). Long messages are written as the bytes their payload shares with every other stream.

@example
```
const stream = new SseStream(response, keepAlive, {'Mcp-Session-Id': id});
stream.send('{"jsonrpc":"2.0","method":"notifications/message","params":{}}', {id: 'g1-1'});
stream.end();
```
*/
export class SseStream {
	/**
	Called once when the stream stops, by `end()` or because the client left (`ended` tells which).
	*/
	onClose: ((ended: boolean) => void) | undefined;

	private open = true;
	private endedByUs = false;
	private ending = false;
	private readonly response: ServerResponse;
	private readonly keepAlive: KeepAlive;
	private readonly owner: StreamOwner | undefined;
	/**
	Events waiting for the socket, oldest first from `first`; shed ones are `undefined`.
	*/
	private frames: Array<Frame | undefined> = [];
	private first = 0;
	/**
	No frame before this index can be shed.
	*/
	private shedFrom = 0;
	private queuedBytes = 0;
	/**
	The budget's count of shed payloads when the queue was last cleared of them.
	*/
	private purgedAt = 0;
	/**
	Events handed to the socket, whose write has not finished (their payloads held until then), oldest first.
	*/
	private writing: Frame[] = [];
	private writingFirst = 0;
	private readonly onWritten: () => void;

	constructor(response: ServerResponse, keepAlive: KeepAlive, headers?: OutgoingHttpHeaders, owner?: StreamOwner) {
		this.response = response;
		this.keepAlive = keepAlive;
		this.owner = owner;
		this.onWritten = () => {
			this.written();
		};

		if (response.destroyed) {
			// The client is already gone: a stream that never opens.
			this.open = false;
			return;
		}

		response.writeHead(200, headers ? {...baseHeaders, ...headers} : baseHeaders);
		// Send the headers now: a client waits for them before it reads events.
		response.flushHeaders();
		keepAlive.add(this);
		owner?.streams.add(this);
		response.once('close', () => {
			this.stop();
		});
		response.on('drain', () => {
			this.flush();
		});
	}

	get isOpen(): boolean {
		return this.open;
	}

	/**
	Bytes of events waiting in the stream's queue (not counting the socket's buffer).
	*/
	get backlog(): number {
		return this.queuedBytes;
	}

	/**
	Write an event with `data` (one line of JSON), an optional `id` and `event` name.
	*/
	send(data: string, options: {id?: string; event?: string} = {}): void {
		this.write(`${eventHead(options.id, options.event)}${data}\n\n`);
	}

	/**
	Write an event carrying a message, with an optional `id` (and its `sequence` in the session's event store) and `event` name.
	*/
	sendPayload(payload: Payload, options: {id?: string; event?: string; sequence?: number} = {}): void {
		if (this.open && !this.ending && !payload.shed) {
			this.push(eventHead(options.id, options.event), payload, options.sequence ?? 0);
		}
	}

	/**
	Write a comment line (keep-alive). A stream whose client is behind gets none: it has data coming.
	*/
	comment(text: string): void {
		if (this.open && this.frames.length === this.first && !this.response.writableNeedDrain) {
			this.response.write(`: ${text}\n\n`);
		}
	}

	/**
	Write raw SSE text.
	*/
	write(text: string): void {
		if (this.open && !this.ending) {
			this.push(text, undefined, 0);
		}
	}

	/**
	End the stream once the events waiting in its queue are written; the notifications among them are dropped.
	*/
	end(): void {
		if (!this.open || this.ending) {
			return;
		}

		this.endedByUs = true;
		if (this.frames.length > this.first) {
			this.ending = true;
			while (this.shedOldest() !== undefined) {
				// Nobody is waiting for them past the end.
			}

			if (this.frames.length > this.first) {
				return;
			}
		}

		this.response.end();
		this.stop();
	}

	/**
	Drop the connection without ending the stream properly (the client sees a cut, and may resume).
	*/
	destroy(): void {
		if (!this.open) {
			return;
		}

		this.response.destroy();
		this.stop();
	}

	/**
	Drop the oldest notification waiting in the queue. Returns it and its event-store sequence number, or `undefined` when none waits.
	*/
	shedOldest(): Frame | undefined {
		for (let index = Math.max(this.shedFrom, this.first); index < this.frames.length; index++) {
			const frame = this.frames[index];
			if (frame?.payload?.sheddable && !frame.payload.shed) {
				this.frames[index] = undefined;
				this.shedFrom = index + 1;
				this.queuedBytes -= frame.head.length + frame.payload.size;
				this.letGo(frame.payload);
				return frame;
			}
		}

		this.shedFrom = this.frames.length;
		return undefined;
	}

	private push(head: string, payload: Payload | undefined, sequence: number): void {
		if (this.frames.length === this.first && !this.response.writableNeedDrain) {
			this.writeFrame({head, payload, sequence});
			return;
		}

		const size = head.length + (payload?.size ?? 0);
		if (this.queuedBytes + size + this.response.writableLength > maxBufferedBytes && !(this.purgeShed() && this.queuedBytes + size + this.response.writableLength <= maxBufferedBytes)) {
			// The client does not read: cut it rather than buffer without bound.
			this.destroy();
			return;
		}

		this.frames.push({head, payload, sequence});
		this.queuedBytes += size;
		if (payload && this.owner) {
			payload.queuedBy = this.owner.id;
			hold(this.owner, payload);
		}
	}

	/**
	Take the notifications the queue budget shed out of the queue, if it shed any since the last time. Returns whether it did (the queue may be smaller now).
	*/
	private purgeShed(): boolean {
		const shed = this.owner?.budget?.shedSoFar() ?? 0;
		if (shed === this.purgedAt) {
			return false;
		}

		this.purgedAt = shed;
		const kept: Array<Frame | undefined> = [];
		for (let index = this.first; index < this.frames.length; index++) {
			const frame = this.frames[index];
			if (frame?.payload?.shed) {
				this.queuedBytes -= frame.head.length + frame.payload.size;
				this.letGo(frame.payload);
			} else if (frame) {
				kept.push(frame);
			}
		}

		this.frames = kept;
		this.first = 0;
		this.shedFrom = 0;
		return true;
	}

	private writeFrame(frame: Frame): void {
		const {response} = this;
		const {head, payload} = frame;
		if (payload === undefined) {
			response.write(head);
			return;
		}

		if (payload.bytes === undefined) {
			response.write(`${head}${payload.text!}\n\n`, this.onWritten);
		} else {
			response.cork();
			response.write(head);
			response.write(payload.bytes);
			response.write('\n\n', this.onWritten);
			response.uncork();
		}

		if (this.owner) {
			hold(this.owner, payload);
		}

		this.writing.push(frame);
	}

	private written(): void {
		if (!this.open || this.writingFirst === this.writing.length) {
			return;
		}

		const {payload, sequence} = this.writing[this.writingFirst]!;
		this.writing[this.writingFirst++] = undefined as unknown as Frame;
		if (this.writingFirst === this.writing.length) {
			this.writing = [];
			this.writingFirst = 0;
		}

		if (sequence > 0 && !payload!.sheddable) {
			this.owner?.store?.unpin(sequence);
		}

		this.letGo(payload!);
	}

	private letGo(payload: Payload): void {
		if (this.owner) {
			release(this.owner, payload);
		}
	}

	private flush(): void {
		if (!this.open) {
			return;
		}

		const {frames} = this;
		while (this.first < frames.length && !this.response.writableNeedDrain) {
			const frame = frames[this.first];
			frames[this.first++] = undefined;
			if (frame) {
				this.queuedBytes -= frame.head.length + (frame.payload?.size ?? 0);
				if (!frame.payload?.shed) {
					this.writeFrame(frame);
				}

				if (frame.payload) {
					this.letGo(frame.payload);
				}
			}
		}

		if (this.first === frames.length) {
			this.frames = [];
			this.first = 0;
			this.shedFrom = 0;
			if (this.ending) {
				this.ending = false;
				this.response.end();
				this.stop();
			}
		} else if (this.first > 1024 && this.first * 2 > frames.length) {
			// Compact now and then, so the array does not grow without bound.
			frames.splice(0, this.first);
			this.shedFrom = Math.max(0, this.shedFrom - this.first);
			this.first = 0;
		}
	}

	private stop(): void {
		if (!this.open) {
			return;
		}

		this.open = false;
		this.keepAlive.delete(this);
		// What waits in the queue or the socket goes with the connection.
		for (let index = this.first; index < this.frames.length; index++) {
			const payload = this.frames[index]?.payload;
			if (payload) {
				this.letGo(payload);
			}
		}

		for (let index = this.writingFirst; index < this.writing.length; index++) {
			this.letGo(this.writing[index]!.payload!);
		}

		this.frames = [];
		this.first = 0;
		this.queuedBytes = 0;
		this.writing = [];
		this.writingFirst = 0;
		const {owner} = this;
		if (owner) {
			owner.streams.delete(this);
			if (owner.ended && owner.streams.size === 0 && (owner.answers?.size ?? 0) === 0) {
				owner.budget?.delete(owner);
			}
		}

		const callback = this.onClose;
		this.onClose = undefined;
		callback?.(this.endedByUs);
	}
}

function eventHead(id: string | undefined, event: string | undefined): string {
	if (id === undefined) {
		return event === undefined ? 'data: ' : `event: ${event}\ndata: `;
	}

	return event === undefined ? `id: ${id}\ndata: ` : `id: ${id}\nevent: ${event}\ndata: `;
}

/**
One timer for all open SSE streams of a listener: every `interval` ms each gets a comment line, so proxies and idle timeouts do not cut quiet streams.
*/
export class KeepAlive {
	private readonly streams = new Set<SseStream>();
	private timer: NodeJS.Timeout | undefined;
	private readonly interval: number;

	constructor(interval: number) {
		this.interval = interval;
	}

	get count(): number {
		return this.streams.size;
	}

	add(stream: SseStream): void {
		this.streams.add(stream);
		if (this.timer === undefined && this.interval > 0) {
			this.timer = setInterval(() => {
				for (const each of this.streams) {
					each.comment('keep-alive');
				}
			}, this.interval);
			this.timer.unref();
		}
	}

	delete(stream: SseStream): void {
		this.streams.delete(stream);
		if (this.streams.size === 0 && this.timer !== undefined) {
			clearInterval(this.timer);
			this.timer = undefined;
		}
	}

	/**
	End every open stream (the listener is closing).
	*/
	endAll(): void {
		for (const stream of this.streams) {
			stream.end();
		}
	}
}
