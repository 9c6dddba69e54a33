/*
A child's standard error as spawnStdio reads it: handed to the sink the options name (ours, a stream, a function, nowhere), and its last lines kept for the error raised if the child dies.
*/
import type {Readable} from 'node:stream';
import type {SpawnStdioOptions} from './options.js';
import {forwardLines} from './stderr-forward.js';

/**
The last 10 non-empty lines of a child's standard error (each cut to 1000 characters), for the error raised when it dies.
*/
export class StderrTail {
	private readonly lines: string[] = [];
	private partial = '';

	add(chunk: string): void {
		const parts = (this.partial + chunk).split('\n');
		this.partial = parts.pop()!.slice(-1000);
		for (const line of parts) {
			if (line.trim() !== '') {
				this.lines.push(line.slice(0, 1000));
			}
		}

		if (this.lines.length > 10) {
			this.lines.splice(0, this.lines.length - 10);
		}
	}

	text(): string {
		const lines = this.partial.trim() === '' ? this.lines : [...this.lines, this.partial];
		return lines.join('\n');
	}
}

/**
Read a child's standard error: each chunk to `tail` and to the sink `stderr` names; the sink's `flush` (a function sink may have one, `forwardLines` has) runs when the stream ends, so a last line without a newline is not lost.
*/
export function readStderr(stream: Readable | undefined, stderr: NonNullable<SpawnStdioOptions['stderr']>, tail: StderrTail): void {
	if (!stream) {
		return;
	}

	let forward: ((chunk: string) => void) | undefined;
	if (typeof stderr === 'function') {
		forward = stderr;
		const {flush} = stderr as {flush?: unknown};
		if (typeof flush === 'function') {
			stream.once('end', () => {
				flush.call(stderr);
			});
		}
	} else if (stderr !== 'ignore') {
		const lines = forwardLines(stderr === 'inherit' ? {} : {target: stderr});
		forward = lines;
		stream.once('end', lines.flush);
	}

	stream.setEncoding('utf8');
	stream.on('data', (chunk: string) => {
		tail.add(chunk);
		forward?.(chunk);
	});
}
