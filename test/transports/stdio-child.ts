import process from 'node:process';
import {Writable} from 'node:stream';
import {setTimeout as delay} from 'node:timers/promises';
import test from 'ava';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js';
import {
	CreateMessageRequestSchema,
	ElicitRequestSchema,
	ListRootsRequestSchema,
	LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
	firstValueFrom,
	lastValueFrom,
	NEVER,
	Subject,
	take,
	toArray,
} from 'rxjs';
import {link} from '../../source/link.js';
import {spawnStdio} from '../../source/transports/stdio-child.js';
import {forwardLines} from '../../source/transports/stderr-forward.js';
import {fromSdkTransport} from '../../source/transports/sdk-transport.js';
import {ChildExitError, SpawnError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';
import type {Message} from '../../source/types.js';
import {echoServer, fixture} from '../helpers/fixtures.js';
import {isAlive, waitForExit} from '../helpers/processes.js';

const quietLogger = createLogger({level: 'silent'});

const textOf = (result: unknown) => (result as {content: Array<{text: string}>}).content[0]!.text;

test('an SDK client reaches the fixture child through link and calls every tool, including a 20 MB result', async t => {
	const [clientSide, proxySide] = InMemoryTransport.createLinkedPair();
	const linked = link(fromSdkTransport(proxySide), spawnStdio({command: process.execPath, args: [echoServer], logger: quietLogger})).subscribe({
		error(error: unknown) {
			t.fail(`the link failed: ${String(error)}`);
		},
	});
	t.teardown(() => {
		linked.unsubscribe();
	});

	const client = new Client({name: 'test', version: '1.0.0'}, {capabilities: {sampling: {}, elicitation: {}, roots: {}}});
	client.setRequestHandler(CreateMessageRequestSchema, async request => ({
		role: 'assistant',
		model: 'test-model',
		content: {type: 'text', text: `echo of ${(request.params.messages[0]!.content as {text: string}).text}`},
	}));
	client.setRequestHandler(ElicitRequestSchema, async () => ({action: 'accept', content: {answer: '42'}}));
	client.setRequestHandler(ListRootsRequestSchema, async () => ({roots: [{uri: 'file:///tmp/a'}, {uri: 'file:///tmp/b'}]}));
	const logs: unknown[] = [];
	client.setNotificationHandler(LoggingMessageNotificationSchema, notification => {
		logs.push(notification.params.data);
	});
	await client.connect(clientSide);

	const {tools} = await client.listTools();
	t.true(tools.length >= 10);
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'héllo'}})), 'héllo');
	t.is(textOf(await client.callTool({name: 'slow', arguments: {ms: 50}})), 'slept 50 ms');
	const progress: number[] = [];
	t.is(textOf(await client.callTool({name: 'progress', arguments: {steps: 3, delayMs: 1}}, undefined, {
		onprogress(update) {
			progress.push(update.progress);
		},
	})), 'done 3');
	t.deepEqual(progress, [1, 2, 3]);
	t.deepEqual(logs, ['finished 3 steps']);
	t.is(textOf(await client.callTool({name: 'sample', arguments: {prompt: 'hi'}})), 'sampled: echo of hi');
	t.is(textOf(await client.callTool({name: 'elicit', arguments: {message: 'answer?'}})), 'accept: {"answer":"42"}');
	t.is(textOf(await client.callTool({name: 'roots', arguments: {}})), 'file:///tmp/a,file:///tmp/b');
	t.regex(textOf(await client.callTool({name: 'whoami', arguments: {}})), /^\d+$/);
	t.is(textOf(await client.callTool({name: 'touch', arguments: {uri: 'echo://x'}})), 'touched echo://x');
	t.is(textOf(await client.callTool({name: 'notify-change', arguments: {}})), 'notified');
	const big = textOf(await client.callTool({name: 'big', arguments: {bytes: 20 * 1024 * 1024}}));
	t.is(big.length, 20 * 1024 * 1024);
	t.is(big, 'x'.repeat(20 * 1024 * 1024));
	await client.close();
});

test('completing the outgoing messages shuts the child down and completes', async t => {
	let pid = 0;
	const outgoing = new Subject<Message>();
	const done = lastValueFrom(spawnStdio({
		command: process.execPath,
		args: [echoServer],
		logger: quietLogger,
		onSpawn(value) {
			pid = value;
		},
	})(outgoing).pipe(toArray()));
	outgoing.next({jsonrpc: '2.0', id: 1, method: 'ping'});
	await delay(300);
	outgoing.complete();
	const received = await done;
	t.deepEqual(received, [{jsonrpc: '2.0', id: 1, result: {}}]);
	t.false(isAlive(pid));
});

test('a child that ignores the end of its input and SIGTERM is killed, its grandchild with it', async t => {
	const outgoing = new Subject<Message>();
	const done = lastValueFrom(spawnStdio({
		command: process.execPath, args: [fixture('stubborn-server.js')], logger: quietLogger, stderr: 'ignore', shutdownTimeout: 300,
	})(outgoing).pipe(toArray()));
	await delay(300);
	outgoing.complete();
	const received = await done;
	const announced = received[0] as unknown as {params: {pid: number; grandchild: number}};
	t.truthy(announced.params.pid);
	t.false(isAlive(announced.params.pid));
	t.true(await waitForExit(announced.params.grandchild, 2000), 'the grandchild is gone');
});

test('unsubscribing kills the child and its process group without waiting', async t => {
	const announced = new Subject<{pid: number; grandchild: number}>();
	const subscription = spawnStdio({
		command: process.execPath, args: [fixture('stubborn-server.js')], logger: quietLogger, stderr: 'ignore', shutdownTimeout: 200,
	})(NEVER).subscribe(message => {
		announced.next((message as unknown as {params: {pid: number; grandchild: number}}).params);
	});
	const {pid, grandchild} = await firstValueFrom(announced);
	t.true(isAlive(pid));
	subscription.unsubscribe();
	t.true(await waitForExit(pid, 3000), 'the child is gone');
	t.true(await waitForExit(grandchild, 3000), 'the grandchild is gone');
});

test('a command that does not exist fails with a message naming it and the fix', async t => {
	const error = await t.throwsAsync(lastValueFrom(spawnStdio({command: 'no-such-mcp-server-xyz', logger: quietLogger})(NEVER)), {instanceOf: SpawnError});
	t.regex(error.message, /`no-such-mcp-server-xyz`: command not found on PATH\. Install it/);
});

test('a file that is not executable fails with a message naming it and the fix', async t => {
	const error = await t.throwsAsync(lastValueFrom(spawnStdio({command: fixture('not-executable.sh'), logger: quietLogger})(NEVER)), {instanceOf: SpawnError});
	t.regex(error.message, /permission denied\. Make it executable \(chmod \+x/);
});

test('a missing working directory fails clearly', async t => {
	const error = await t.throwsAsync(lastValueFrom(spawnStdio({
		command: process.execPath, args: [echoServer], cwd: '/no/such/dir', logger: quietLogger,
	})(NEVER)), {instanceOf: SpawnError});
	t.regex(error.message, /working directory `\/no\/such\/dir` does not exist/);
});

test('a child that crashes errors with its exit code and the end of its standard error', async t => {
	const error = await t.throwsAsync(lastValueFrom(spawnStdio({
		command: process.execPath,
		args: ['-e', 'console.error("something broke: bad config"); process.exit(3)'],
		logger: quietLogger,
		stderr: 'ignore',
	})(NEVER)), {instanceOf: ChildExitError});
	t.regex(error.message, /exited with code 3; its last output on standard error:\nsomething broke: bad config/);
	t.is((error).exitCode, 3);
});

test('a child that exits with code 0 completes', async t => {
	const received = await lastValueFrom(spawnStdio({command: process.execPath, args: ['-e', 'console.log(JSON.stringify({jsonrpc: "2.0", method: "bye"}))'], logger: quietLogger})(NEVER).pipe(toArray()));
	t.deepEqual(received, [{jsonrpc: '2.0', method: 'bye'}]);
});

test('junk lines from a child are logged and skipped; every answer still arrives', async t => {
	const logged: string[] = [];
	const logger = createLogger({
		write(line) {
			logged.push(line);
		},
	});
	const outgoing = new Subject<Message>();
	const answers = firstValueFrom(spawnStdio({command: process.execPath, args: [fixture('garbage-server.js')], logger})(outgoing).pipe(take(8), toArray()));
	for (let id = 1; id <= 8; id++) {
		outgoing.next({
			jsonrpc: '2.0', id, method: 'test/echo', params: {n: id},
		});
	}

	const received = await answers;
	outgoing.complete();
	t.deepEqual(received.map(message => 'id' in message ? message.id : undefined), [1, 2, 3, 4, 5, 6, 7, 8]);
	t.true(logged.some(line => line.includes('not JSON') && line.includes('Starting up')));
	t.true(logged.some(line => line.includes('not JSON-RPC')));
});

test('the child gets only the default environment unless asked, plus explicit variables', async t => {
	process.env['RX_MCP_PROXY_TEST_SECRET'] = 'do-not-leak';
	t.teardown(() => {
		delete process.env['RX_MCP_PROXY_TEST_SECRET'];
	});
	const script = 'console.log(JSON.stringify({jsonrpc: "2.0", method: "env", params: {secret: process.env.RX_MCP_PROXY_TEST_SECRET ?? null, extra: process.env.EXTRA ?? null, path: Boolean(process.env.PATH)}}))';
	const run = async (passEnvironment: boolean) => {
		const [message] = await lastValueFrom(spawnStdio({
			command: process.execPath, args: ['-e', script], env: {EXTRA: 'yes'}, passEnvironment, logger: quietLogger,
		})(NEVER).pipe(toArray()));
		return (message as {params: unknown}).params;
	};

	t.deepEqual(await run(false), {secret: null, extra: 'yes', path: true});
	t.deepEqual(await run(true), {secret: 'do-not-leak', extra: 'yes', path: true});
});

test('standard error forwarded to a stream nobody reads: about 1 MiB is held, the rest is dropped and counted once it drains, the child is not slowed', async t => {
	t.timeout(60_000);
	const received: string[] = [];
	const stalled: {release: (() => void) | undefined} = {release: undefined};
	const sink = new Writable({
		decodeStrings: false,
		write(chunk: string, _encoding, callback) {
			received.push(chunk);
			if (stalled.release === undefined && received.length === 1) {
				// The first write never finishes until released: everything after waits in the stream.
				stalled.release = callback;
			} else {
				callback();
			}
		},
	});
	const lines = 100_000;
	const script = String.raw`for (let i = 0; i < ${lines}; i++) process.stderr.write('e'.repeat(100) + '\n'); console.log('{"jsonrpc":"2.0","method":"done"}');`;
	// The child exits once done: the transport completes after every byte of its standard error was read.
	const messages = await lastValueFrom(spawnStdio({
		command: process.execPath, args: ['-e', script], stderr: sink, logger: quietLogger,
	})(NEVER).pipe(toArray()));
	t.is(messages.length, 1, 'the child wrote every line and went on');
	t.true(sink.writableLength <= (1024 * 1024) + (128 * 1024), `${sink.writableLength} bytes wait in the stream`);
	stalled.release!();
	const notice = /dropped (\d+) lines of the child's standard error: our standard error is not being read/;
	for (let index = 0; index < 200 && !notice.test(received.join('')); index++) {
		// eslint-disable-next-line no-await-in-loop
		await delay(50);
	}

	const text = received.join('');
	const dropped = Number(notice.exec(text)?.[1]);
	const forwarded = text.split('\n').filter(line => /^e{100}$/.test(line)).length;
	t.true(dropped > 0, 'a line counts the dropped ones');
	t.is(forwarded + dropped, lines);
});

test('a function sink with a flush gets the last line of standard error that has no newline', async t => {
	const received: string[] = [];
	const script = String.raw`process.stderr.write('first\nlast words without a newline'); console.log('{"jsonrpc":"2.0","method":"done"}');`;
	const messages = await lastValueFrom(spawnStdio({
		command: process.execPath, args: ['-e', script], stderr: forwardLines({target: collect(received)}), logger: quietLogger,
	})(NEVER).pipe(toArray()));
	t.is(messages.length, 1);
	for (let index = 0; index < 100 && !received.join('').includes('last words'); index++) {
		// eslint-disable-next-line no-await-in-loop
		await delay(20);
	}

	t.is(received.join(''), 'first\nlast words without a newline\n');
});

function collect(received: string[]): Writable {
	return new Writable({
		decodeStrings: false,
		write(chunk: string, _encoding, callback) {
			received.push(chunk);
			callback();
		},
	});
}
