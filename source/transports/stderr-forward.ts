import process from 'node:process';

/*
Forward a child's standard error to a stream of ours, line by line, without ever holding more than a bound when that stream is not read.
*/

export type LineForwarderOptions = {
	/**
	Where the lines go.

	@default process.stderr
	*/
	target?: NodeJS.WritableStream & {readonly writableLength: number};
	/**
	Put before each line (a named server's `[name] `).
	*/
	prefix?: string;
	/**
	Applied to the lines before they are written (redaction).
	*/
	transform?: (text: string) => string;
	/**
	Bytes the target may hold unwritten; lines that come while it holds more are dropped, and counted.

	@default 1048576 (1 MiB)
	*/
	maxBufferedBytes?: number;
};

/**
A line longer than this is forwarded in pieces rather than held whole.
*/
const maxPartialLength = 64 * 1024;

export const defaultMaxStderrBytes = 1024 * 1024;

/**
Drains waited for, per target: one listener each, however many children write to it.
*/
const drainWaiters = new WeakMap<NodeJS.WritableStream, Set<() => void>>();

function onDrain(target: NodeJS.WritableStream, callback: () => void): void {
	let waiters = drainWaiters.get(target);
	if (!waiters) {
		const fresh = new Set<() => void>();
		waiters = fresh;
		drainWaiters.set(target, fresh);
		target.once('drain', () => {
			drainWaiters.delete(target);
			for (const waiter of fresh) {
				waiter();
			}
		});
	}

	waiters.add(callback);
}

/**
A function to give a child's standard error chunks to (and `flush()` when it closes): whole lines go to `target` while it takes them. When more than `maxBufferedBytes` wait there unwritten (nobody reads our standard error), lines are dropped rather than held, and never is the child slowed (a child blocked on its standard error stops answering); once the target drains, one line says how many were dropped.

@example
```
spawnStdio({command: 'node', args: ['server.js'], stderr: forwardLines({prefix: '[fetch] '})});
```
*/
export function forwardLines(options: LineForwarderOptions = {}): ((chunk: string) => void) & {flush: () => void} {
	const {
		target = process.stderr,
		prefix = '',
		transform = (text: string) => text,
		maxBufferedBytes = defaultMaxStderrBytes,
	} = options;
	let partial = '';
	let dropped = 0;

	const drained = () => {
		if (dropped > 0) {
			target.write(`${prefix}mcp-proxy: dropped ${dropped} line${dropped === 1 ? '' : 's'} of the child's standard error: our standard error is not being read\n`);
			dropped = 0;
		}
	};

	const forward = (chunk: string) => {
		const lines = (partial + chunk).split('\n');
		partial = lines.pop()!;
		if (partial.length > maxPartialLength) {
			// A child that never ends its line is not buffered without bound.
			lines.push(partial);
			partial = '';
		}

		if (lines.length === 0) {
			return;
		}

		if (target.writableLength > maxBufferedBytes) {
			if (dropped === 0) {
				onDrain(target, drained);
			}

			dropped += lines.length;
			return;
		}

		target.write(transform(lines.map(line => `${prefix}${line}\n`).join('')));
	};

	return Object.assign(forward, {
		/**
		Forward the last line, unended (the child's standard error closed).
		*/
		flush() {
			if (partial !== '') {
				forward('\n');
			}
		},
	});
}
