import type {OutgoingHttpHeaders, ServerResponse} from 'node:http';

/**
How many bytes may wait in one stream's socket buffer before the stream is cut as too slow. Cut streams of a Streamable HTTP session can be resumed from the event store.
*/
export const maxBufferedBytes = 64 * 1024 * 1024;

const baseHeaders: OutgoingHttpHeaders = {
	'Content-Type': 'text/event-stream',
	'Cache-Control': 'no-cache, no-transform',
	'X-Accel-Buffering': 'no',
};

/**
One Server-Sent Events response: writes events and comments, ends once, and reports the client going away. Writing to a stream whose client left does nothing.

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
	private readonly response: ServerResponse;
	private readonly keepAlive: KeepAlive;

	constructor(response: ServerResponse, keepAlive: KeepAlive, headers?: OutgoingHttpHeaders) {
		this.response = response;
		this.keepAlive = keepAlive;
		if (response.destroyed) {
			// The client is already gone: a stream that never opens.
			this.open = false;
			return;
		}

		response.writeHead(200, headers ? {...baseHeaders, ...headers} : baseHeaders);
		// Send the headers now: a client waits for them before it reads events.
		response.flushHeaders();
		keepAlive.add(this);
		response.once('close', () => {
			this.stop();
		});
	}

	get isOpen(): boolean {
		return this.open;
	}

	/**
	Write an event with `data` (one line of JSON), an optional `id` and `event` name.
	*/
	send(data: string, options: {id?: string; event?: string} = {}): void {
		let frame = '';
		if (options.id !== undefined) {
			frame += `id: ${options.id}\n`;
		}

		if (options.event !== undefined) {
			frame += `event: ${options.event}\n`;
		}

		this.write(`${frame}data: ${data}\n\n`);
	}

	/**
	Write a comment line (keep-alive).
	*/
	comment(text: string): void {
		this.write(`: ${text}\n\n`);
	}

	/**
	Write raw SSE text.
	*/
	write(text: string): void {
		if (!this.open) {
			return;
		}

		if (this.response.writableLength > maxBufferedBytes) {
			// The client does not read: cut it rather than buffer without bound.
			this.response.destroy();
			this.stop();
			return;
		}

		this.response.write(text);
	}

	end(): void {
		if (!this.open) {
			return;
		}

		this.endedByUs = true;
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

	private stop(): void {
		if (!this.open) {
			return;
		}

		this.open = false;
		this.keepAlive.delete(this);
		const callback = this.onClose;
		this.onClose = undefined;
		callback?.(this.endedByUs);
	}
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
