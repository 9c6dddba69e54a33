import {PassThrough} from 'node:stream';
import test from 'ava';
import {firstValueFrom, Subject, toArray} from 'rxjs';
import {processStdio} from '../../source/transports/process-stdio.js';
import {createLogger} from '../../source/logger.js';
import type {ErrorResponse, Message, Response} from '../../source/types.js';

function setup() {
	const stdin = new PassThrough();
	const stdout = new PassThrough();
	const logged: string[] = [];
	const logger = createLogger({
		write(line) {
			logged.push(line);
		},
	});
	const written: string[] = [];
	stdout.setEncoding('utf8');
	stdout.on('data', (chunk: string) => {
		written.push(chunk);
	});
	return {
		stdin, stdout, logger, logged, written,
	};
}

test('reads messages from stdin, writes to stdout, completes when stdin ends', async t => {
	const {stdin, stdout, logger, written} = setup();
	const outgoing = new Subject<Message>();
	const received = firstValueFrom(processStdio({stdin, stdout, logger})(outgoing).pipe(toArray()));
	stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]\n');
	outgoing.next({jsonrpc: '2.0', id: 1, result: {}});
	stdin.end();
	t.deepEqual(await received, [
		{jsonrpc: '2.0', id: 1, method: 'ping'},
		{jsonrpc: '2.0', method: 'a'},
		{jsonrpc: '2.0', method: 'b'},
	]);
	t.is(written.join(''), '{"jsonrpc":"2.0","id":1,"result":{}}\n');
});

test('invalid JSON and non-JSON-RPC lines are logged and skipped; a broken request gets an error reply; nothing else is lost', async t => {
	const {stdin, stdout, logger, logged, written} = setup();
	const received = firstValueFrom(processStdio({stdin, stdout, logger})(new Subject<Message>()).pipe(toArray()));
	stdin.write('this is not json\n42\nnull\n');
	stdin.write('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"oops"\n');
	stdin.write('{"hello":"world"}\n');
	stdin.write('{"jsonrpc":"2.0","id":6,"method":7}\n');
	stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
	stdin.end();
	t.deepEqual(await received, [{jsonrpc: '2.0', id: 2, method: 'ping'}]);
	t.true(logged.some(line => line.includes('not JSON') && line.includes('this is not json')));
	t.true(logged.some(line => line.includes('not JSON-RPC') && line.includes('hello')));
	const replies = written.join('').trim().split('\n').map(line => JSON.parse(line) as {id: number; error: {code: number}});
	t.deepEqual(replies.map(reply => [reply.id, reply.error.code]), [[5, -32_700], [6, -32_600]]);
});

test('a request over the size limit is answered with an error instead of being lost', async t => {
	const {stdin, stdout, logger, logged, written} = setup();
	const received = firstValueFrom(processStdio({
		stdin, stdout, logger, maxLineBytes: 100,
	})(new Subject<Message>()).pipe(toArray()));
	stdin.write(`{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"data":"${'x'.repeat(500)}"}}\n`);
	stdin.write('{"jsonrpc":"2.0","id":3,"method":"ping"}\n');
	stdin.end();
	t.deepEqual(await received, [{jsonrpc: '2.0', id: 3, method: 'ping'}]);
	t.true(logged.some(line => line.includes('over the limit of 100 bytes (raise it with the `maxLineBytes` option)')), `${logged.join('')}`);
	const reply = JSON.parse(written.join('')) as {id: string; error: {code: number; message: string}};
	t.is(reply.id, 'big');
	t.is(reply.error.code, -32_003);
	t.regex(reply.error.message, /exceeds the proxy's limit of 100 bytes \(raise it with the `maxLineBytes` option\)$/);
});

test('the error for a message over the size limit names the setting as `settingNames` names it', async t => {
	const {stdin, stdout, logger, logged, written} = setup();
	const received = firstValueFrom(processStdio({
		stdin, stdout, logger, maxLineBytes: 100, settingNames: {maxLineBytes: '--max-message-bytes'},
	})(new Subject<Message>()).pipe(toArray()));
	stdin.write(`{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"data":"${'x'.repeat(500)}"}}\n`);
	stdin.end();
	t.deepEqual(await received, []);
	t.true(logged.some(line => line.includes('over the limit of 100 bytes (raise it with --max-message-bytes)')), `${logged.join('')}`);
	const reply = JSON.parse(written.join('')) as {id: string; error: {code: number; message: string}};
	t.regex(reply.error.message, /exceeds the proxy's limit of 100 bytes \(raise it with --max-message-bytes\)$/);
});

test('a message over the size limit whose id comes last (as the SDK writes responses) is still answered, in one chunk or many', async t => {
	const {stdin, stdout, logger, written} = setup();
	const received = firstValueFrom(processStdio({
		stdin, stdout, logger, maxLineBytes: 100,
	})(new Subject<Message>()).pipe(toArray()));
	const filler = 'x'.repeat(300);
	stdin.write(`{"result":{"content":[{"type":"text","text":"${filler}","id":1}]},"jsonrpc":"2.0","id":"late\\"one"}\n`);
	const chunked = `{"result":{"text":"${filler}"},"jsonrpc":"2.0","id":12}\r\n`;
	for (let start = 0; start < chunked.length; start += 7) {
		stdin.write(chunked.slice(start, start + 7));
	}

	stdin.write(`{"method":"sampling/createMessage","params":{"text":"${filler}"},"jsonrpc":"2.0","id":5}\n`);
	// Not the message's own id: in a nested object, or inside a string.
	stdin.write(`{"result":{"text":"${filler}","inner":{"id":6}}}\n`);
	stdin.write(`{"result":{"text":"${filler},\\"id\\":7}"}}\n`);
	stdin.end();
	const answers = await received;
	t.deepEqual(answers.map(message => [(message as Response).id, (message as ErrorResponse).error?.code]), [['late"one', -32_003], [12, -32_003]]);
	const replies = written.join('').trim().split('\n').map(line => JSON.parse(line) as ErrorResponse);
	t.deepEqual(replies.map(reply => [reply.id, reply.error.code]), [[5, -32_003]], 'a request from the other side is refused to its sender');
});

test('text glued before a message on the same line is skipped and the message kept; deep or broken responses still answer their request', async t => {
	const {stdin, stdout, logger, logged} = setup();
	const outgoing = new Subject<Message>();
	const received = firstValueFrom(processStdio({stdin, stdout, logger})(outgoing).pipe(toArray()));
	const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
	stdin.write([
		'Loading {config}… {"jsonrpc":"2.0","id":1,"method":"ping"}',
		'{"jsonrpc":"2.0","id":{"result":{"ok":true},"jsonrpc":"2.0","id":2}',
		`{"jsonrpc":"2.0","id":3,"result":${deep}}`,
		'{"jsonrpc":"1.0","id":4,"result":{}}',
		'no message here {"a":1}',
		'',
	].join('\n'));
	stdin.end();
	t.deepEqual(await received, [
		{jsonrpc: '2.0', id: 1, method: 'ping'},
		{result: {ok: true}, jsonrpc: '2.0', id: 2},
		{jsonrpc: '2.0', id: 3, error: {code: -32_603, message: 'Stdin sent an invalid response: nested deeper than 1000 levels'}},
		{jsonrpc: '2.0', id: 4, error: {code: -32_603, message: 'Stdin sent an invalid response: `jsonrpc` is not "2.0"'}},
	]);
	t.regex(logged.join(''), /skipped 18 characters that are not JSON before a message on the same line: "Loading {config}… "/);
	t.regex(logged.join(''), /skipped a line that is not JSON \(23 characters\)/);
});
