/*
The writing side of a line stream: one JSON line per message, corked per turn of the event loop, queued up to a byte bound while the stream asks us to wait for `drain`.
*/
import type {Writable} from 'node:stream';
import type {Message} from '../../types.js';
import {LimitError, TransportError} from '../../errors.js';
import {jsonText, serializeJson} from '../../wire/long-strings.js';

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
