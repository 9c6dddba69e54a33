import process from 'node:process';
import {boundedWriter, type WritableTarget} from '../bounded-write.js';

/*
Forward a child's standard error to a stream of ours, line by line, without ever holding more than a bound when that stream is not read.
*/

export type LineForwarderOptions = {
	/**
	Where the lines go.

	@default process.stderr
	*/
	target?: WritableTarget;
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
	const out = boundedWriter(target, {
		maxBufferedBytes,
		notice: dropped => `${prefix}mcp-proxy: dropped ${dropped} line${dropped === 1 ? '' : 's'} of the child's standard error: our standard error is not being read\n`,
	});

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

		if (out.full()) {
			out.drop(lines.length);
			return;
		}

		out.write(transform(lines.map(line => `${prefix}${line}\n`).join('')));
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
