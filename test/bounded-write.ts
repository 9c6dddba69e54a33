import {spawn} from 'node:child_process';
import {once} from 'node:events';
import process from 'node:process';
import {Writable} from 'node:stream';
import test from 'ava';
import {boundedWriter} from '../source/bounded-write.js';

function stalledSink(received: string[]): {sink: Writable; release: () => void} {
	const held: {callback: (() => void) | undefined} = {callback: undefined};
	const sink = new Writable({
		decodeStrings: false,
		write(chunk: string, _encoding, callback) {
			received.push(chunk);
			if (held.callback === undefined && received.length === 1) {
				// The first write never finishes until released: everything after waits in the stream.
				held.callback = callback;
			} else {
				callback();
			}
		},
	});
	return {
		sink,
		release() {
			held.callback?.();
		},
	};
}

test('text beyond the bound is dropped and counted, and one notice says how much once the target drains', async t => {
	const received: string[] = [];
	const {sink, release} = stalledSink(received);
	const out = boundedWriter(sink, {maxBufferedBytes: 20_000, notice: dropped => `dropped ${dropped}\n`});
	for (let index = 0; index < 400; index++) {
		out.write(`${'x'.repeat(99)}\n`);
	}

	t.true(sink.writableLength <= 20_100, `${sink.writableLength} bytes wait`);
	t.true(out.full());
	out.drop(5);
	const drained = once(sink, 'drain');
	release();
	await drained;
	await new Promise(resolve => {
		setImmediate(resolve);
	});
	const text = received.join('');
	const written = text.split('\n').filter(line => line === 'x'.repeat(99)).length;
	const dropped = Number(/dropped (\d+)/.exec(text)?.[1]);
	t.is(written + dropped, 405, 'every line is either written or counted');
	t.true(dropped > 0);
	t.false(out.full());
});

test('the log never holds more than a bound in our standard error when nobody reads it', async t => {
	// The child logs 50 MB while its standard error is a pipe nobody reads, then reports what waits unwritten.
	const script = String.raw`
		const {createLogger} = await import(${JSON.stringify(new URL('../distribution/logger.js', import.meta.url).href)});
		const logger = createLogger();
		for (let i = 0; i < 50000; i++) logger.info('y'.repeat(1000));
		process.stdout.write(String(process.stderr.writableLength) + '\n');
		process.exit(0);
	`;
	const child = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'pipe']});
	t.teardown(() => child.kill('SIGKILL'));
	child.stderr.pause();
	let output = '';
	child.stdout.setEncoding('utf8');
	child.stdout.on('data', (chunk: string) => {
		output += chunk;
	});
	const timer = setTimeout(() => {
		child.kill('SIGKILL');
	}, 60_000);
	t.teardown(() => {
		clearTimeout(timer);
	});
	await once(child, 'exit');
	const waiting = Number(output.trim());
	t.true(Number.isFinite(waiting) && output.trim() !== '', `the child reported ${JSON.stringify(output)}`);
	t.true(waiting <= (1024 * 1024) + 2048, `${waiting} bytes of log wait unwritten`);
});
