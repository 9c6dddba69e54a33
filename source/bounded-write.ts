/*
Write text to a stream that may not be read (our standard error, when nobody drains the pipe) without ever holding more than a bound: what comes while more waits unwritten is dropped and counted, and one line says how much once the stream drains.
*/

export type WritableTarget = NodeJS.WritableStream & {readonly writableLength: number};

export type BoundedWriterOptions = {
	/**
	Bytes the target may hold unwritten; text that comes while it holds more is dropped, and counted. Above the target's `writableHighWaterMark` (a stream announces its drain only past it).
	*/
	maxBufferedBytes: number;
	/**
	The line written once the target drains after `dropped` units (lines, usually) were dropped.
	*/
	notice: (dropped: number) => string;
};

/**
Drains waited for, per target: one listener each, however many writers write to it.
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

export type BoundedWriter = {
	/**
	Write `text`, or drop it and count `units` (default 1) when the target holds too much.
	*/
	write(text: string, units?: number): void;
	/**
	Whether text given now would be dropped: callers check it to skip rendering what would be dropped (then `drop`).
	*/
	full(): boolean;
	/**
	Count `units` dropped without rendering them.
	*/
	drop(units: number): void;
};

/**
A writer putting text in `target` while it holds at most `maxBufferedBytes` unwritten, and otherwise dropping it with a count that `notice` reports when the target drains. It never waits and never throws for a full target.

@example
```
const out = boundedWriter(process.stderr, {maxBufferedBytes: 1024 * 1024, notice: dropped => `dropped ${dropped} lines\n`});
out.write('a line\n');
```
*/
export function boundedWriter(target: WritableTarget, options: BoundedWriterOptions): BoundedWriter {
	const {maxBufferedBytes, notice} = options;
	let dropped = 0;
	const drained = () => {
		if (dropped > 0) {
			const count = dropped;
			dropped = 0;
			target.write(notice(count));
		}
	};

	const full = () => target.writableLength > maxBufferedBytes;
	const drop = (units: number) => {
		if (dropped === 0) {
			onDrain(target, drained);
		}

		dropped += units;
	};

	return {
		full,
		drop,
		write(text, units = 1) {
			if (full()) {
				drop(units);
			} else {
				target.write(text);
			}
		},
	};
}
