import {PassThrough} from 'node:stream';
import test from 'ava';
import {readStderr, StderrTail} from '../../../source/transports/stdio-child/stderr.js';

test('the tail keeps the last 10 non-empty lines, each cut to 1000 characters, and the unended last one', t => {
	const tail = new StderrTail();
	for (let index = 0; index < 15; index++) {
		tail.add(`line ${index}\n\n`);
	}

	tail.add(`${'x'.repeat(1500)}\nunended`);
	const lines = tail.text().split('\n');
	t.is(lines.length, 11);
	t.is(lines[0], 'line 6');
	t.is(lines[9], 'x'.repeat(1000));
	t.is(lines[10], 'unended');
});

test('a function sink gets every chunk, and its flush when the stream ends; the tail sees the chunks too', async t => {
	const stream = new PassThrough();
	const chunks: string[] = [];
	let flushed = 0;
	const sink = Object.assign((chunk: string) => {
		chunks.push(chunk);
	}, {
		flush() {
			flushed++;
		},
	});
	const tail = new StderrTail();
	readStderr(stream, sink, tail);
	stream.end('one\ntwo');
	await new Promise(resolve => {
		stream.once('end', resolve);
	});
	t.is(chunks.join(''), 'one\ntwo');
	t.is(flushed, 1);
	t.is(tail.text(), 'one\ntwo');
});

test('\'ignore\' forwards nothing but keeps the tail', async t => {
	const stream = new PassThrough();
	const tail = new StderrTail();
	readStderr(stream, 'ignore', tail);
	stream.end('kept for the error\n');
	await new Promise(resolve => {
		stream.once('end', resolve);
	});
	t.is(tail.text(), 'kept for the error');
});
