import {Buffer} from 'node:buffer';
import net from 'node:net';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import test, {type ExecutionContext} from 'ava';
import {LoggingMessageNotificationSchema} from '@modelcontextprotocol/sdk/types.js';
import {echoServer} from '../helpers/fixtures.js';
import {postHeaders, rawSession} from '../helpers/raw-http.js';
import {startServerMode, textOf, type RunningProxy} from '../helpers/server-mode.js';

/*
Memory stays bounded across sessions: the bytes queued for clients that do not read stay within --max-queued-bytes, whatever the child sends.
*/

const mebibyte = 1024 * 1024;

type Queued = {bytes: number; limit: number; shed: number; closedSessions: number};

/**
Open a raw connection that sends `request` and never reads what comes back: its receive window fills, then the proxy's side of it.
*/
function stalledConnection(t: ExecutionContext, port: number, request: string): net.Socket {
	const socket = net.connect({port, host: '127.0.0.1'});
	socket.pause();
	socket.on('error', () => undefined);
	socket.write(request);
	t.teardown(() => {
		socket.destroy();
	});
	return socket;
}

function headers(port: number, session: string, extra: string): string {
	return `Host: 127.0.0.1:${port}\r\nMcp-Session-Id: ${session}\r\nMcp-Protocol-Version: 2025-06-18\r\n${extra}\r\n`;
}

/**
Sample `/status` until `done` settles (at most `samples` times); resolves to the largest queued byte count seen.
*/
async function peakQueued(proxy: RunningProxy, done: Promise<unknown>, samples = 400): Promise<number> {
	const state = {finished: false};
	void done.finally(() => {
		state.finished = true;
	});
	let peak = 0;
	for (let index = 0; index < samples && !state.finished; index++) {
		// eslint-disable-next-line no-await-in-loop
		const {body} = await proxy.status();
		// No counter is no bound.
		peak = Math.max(peak, (body.queued as Queued | undefined)?.bytes ?? Number.POSITIVE_INFINITY);
		// eslint-disable-next-line no-await-in-loop
		await delay(50);
	}

	return peak;
}

test('stalled clients (a GET stream and a call in flight, nothing read) and a child flooding log notifications: queued bytes stay within the budget, the oldest notifications of the slowest are shed and logged, answers arrive', async t => {
	t.timeout(120_000);
	const proxy = await startServerMode(t, ['--max-queued-bytes', '4MiB', '--', process.execPath, echoServer]);
	const {port} = new URL(proxy.base);
	const stalled: string[] = [];
	// A log goes to the sessions waiting on the server (it carries no request id): each stalled one has a slow call in flight, whose POST stream it never reads.
	const slowCall = JSON.stringify({
		jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name: 'slow', arguments: {ms: 60_000}},
	});
	for (let index = 0; index < 8; index++) {
		// eslint-disable-next-line no-await-in-loop
		const session = await rawSession(`${proxy.base}/mcp`);
		stalled.push(session);
		stalledConnection(t, Number(port), `GET /mcp HTTP/1.1\r\n${headers(Number(port), session, 'Accept: text/event-stream\r\n')}`);
		stalledConnection(t, Number(port), `POST /mcp HTTP/1.1\r\n${headers(Number(port), session, `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(slowCall)}\r\n`)}${slowCall}`);
	}

	const client = await proxy.connect('/mcp');
	let logs = 0;
	client.setNotificationHandler(LoggingMessageNotificationSchema, () => {
		logs++;
	});
	// 200 notifications of 64 KiB: 12.5 MiB, to each of nine sessions.
	const flood = client.callTool({name: 'flood-logs', arguments: {count: 200, bytes: 64 * 1024}}, undefined, {timeout: 90_000});
	const peak = await peakQueued(proxy, flood);
	t.is(textOf(await flood), 'sent 200 log notifications', 'the flood\'s own answer arrives');
	t.true(peak <= 4 * mebibyte, `queued bytes peaked at ${peak}`);
	const {body} = await proxy.status();
	const queued = body.queued as Queued;
	t.is(queued.limit, 4 * mebibyte);
	t.true(queued.bytes <= 4 * mebibyte, `${queued.bytes} bytes queued after the flood`);
	t.true(queued.shed > 0, 'notifications were shed');
	t.is(queued.closedSessions, 0, 'no session held responses enough to be closed');
	t.true(await proxy.logged(/Shed \d+ notifications and resumption copies \([\d.]+ [KM]iB\) that clients were not reading: \d+ for session [\w-]+/), 'the shed notifications are logged');
	t.true(stalled.some(session => proxy.stderr().includes(`for session ${session}`)), 'the log names the slowest sessions');
	t.true(logs > 0, 'the client that reads got log notifications');
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'still served'}})), 'still served');
});

test('a session holding more unread responses than the whole budget is closed; the other sessions go on', async t => {
	t.timeout(120_000);
	const proxy = await startServerMode(t, ['--max-queued-bytes', '2MiB', '--', process.execPath, echoServer]);
	const port = Number(new URL(proxy.base).port);
	const session = await rawSession(`${proxy.base}/mcp`);
	// A progress token makes the answer an SSE stream; 6 MiB of it is more than the budget, and the client reads none of it.
	const body = JSON.stringify({
		jsonrpc: '2.0', id: 2, method: 'tools/call', params: {name: 'big', arguments: {bytes: 6 * mebibyte, blocks: 1}, _meta: {progressToken: 'p'}},
	});
	const accept = `Content-Type: ${postHeaders['content-type']}\r\nAccept: ${postHeaders.accept}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
	stalledConnection(t, port, `POST /mcp HTTP/1.1\r\n${headers(port, session, accept)}${body}`);
	const closed = new RegExp(String.raw`Session ${session}: closed, holding [\d.]+ MiB of responses and requests its client does not read`);
	t.true(await proxy.logged(closed, 30_000), 'the closed session is logged');
	const {body: status} = await proxy.status();
	t.like(status.queued, {closedSessions: 1});
	t.true((status.queued as Queued).bytes <= 2 * mebibyte);
	const gone = await fetch(`${proxy.base}/mcp`, {
		method: 'POST', headers: {...postHeaders, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18'}, body: JSON.stringify({jsonrpc: '2.0', id: 3, method: 'ping'}),
	});
	t.is(gone.status, 404, 'the closed session is gone: its client starts a new one');
	const client = await proxy.connect('/mcp');
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'others go on'}})), 'others go on');
});

/**
A raw POST of `tools/call big` (`bytes` characters, answered as JSON: no progress token) in `session`.
*/
function bigCall(port: number, session: string, id: number, bytes: number): string {
	const body = JSON.stringify({
		jsonrpc: '2.0', id, method: 'tools/call', params: {name: 'big', arguments: {bytes, blocks: 1}},
	});
	const accept = `Content-Type: ${postHeaders['content-type']}\r\nAccept: ${postHeaders.accept}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
	return `POST /mcp HTTP/1.1\r\n${headers(port, session, accept)}${body}`;
}

test('JSON answers nobody reads count in the budget: a session holding more of them than the limit is closed, their connections cut', async t => {
	t.timeout(120_000);
	const proxy = await startServerMode(t, ['--max-queued-bytes', '8MiB', '--', process.execPath, echoServer]);
	const port = Number(new URL(proxy.base).port);
	const session = await rawSession(`${proxy.base}/mcp`);
	// Six answers of 4 MiB, each on a connection that never reads: 24 MiB against a budget of 8.
	for (let index = 0; index < 6; index++) {
		stalledConnection(t, port, bigCall(port, session, 10 + index, 4 * mebibyte));
	}

	const closed = new RegExp(String.raw`Session ${session}: closed, holding [\d.]+ MiB of responses and requests its client does not read`);
	t.true(await proxy.logged(closed, 30_000), 'the session holding the unread answers is closed, and logged');
	const {body} = await proxy.status();
	const queued = body.queued as Queued;
	t.true(queued.closedSessions >= 1, 'counted as closed');
	t.true(queued.bytes <= 8 * mebibyte, `${queued.bytes} bytes queued after the cut`);
	const client = await proxy.connect('/mcp');
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'others go on'}})), 'others go on');
});

test('JSON answers waiting on one connection (pipelined requests) stay within the limit of a stream: past 64 MiB the connection is closed', async t => {
	t.timeout(120_000);
	const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
	const port = Number(new URL(proxy.base).port);
	const session = await rawSession(`${proxy.base}/mcp`);
	// Twenty pipelined calls answered with 4 MiB each, on one connection that does not read: 80 MiB.
	const requests = Array.from({length: 20}, (_, index) => bigCall(port, session, 100 + index, 4 * mebibyte)).join('');
	const socket = stalledConnection(t, port, requests);
	const peak = await peakQueued(proxy, delay(8000), 160);
	t.true(peak > 0, 'the answers waiting for the connection are counted');
	t.true(peak <= 68 * mebibyte, `queued bytes peaked at ${peak}`);
	// Now read what came: the connection was closed before the last answers.
	let received = 0;
	const ended = new Promise<void>(resolve => {
		socket.on('data', (chunk: Uint8Array) => {
			received += chunk.length;
		});
		socket.once('close', () => {
			resolve();
		});
	});
	socket.resume();
	await Promise.race([ended, delay(30_000)]);
	t.true(socket.destroyed, 'the proxy closed the connection');
	t.true(received < 20 * 4 * mebibyte, `${received} bytes arrived, not all 80 MiB`);
	const {body} = await proxy.status();
	t.is((body.queued as Queued).bytes, 0, 'nothing is held for it any more');
});

test('a child flooding standard error while ours is not read: the proxy holds at most about 1 MiB of it, the child is not slowed, and a line counts what was dropped', async t => {
	t.timeout(120_000);
	const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
	const client = await proxy.connect('/mcp');
	const stderr = proxy.process.stderr!;
	stderr.pause();
	const before = proxy.stderr().length;
	const lines = 200_000;
	// 20 MB of lines of 100 characters; the answer comes once the child wrote them all.
	t.is(textOf(await client.callTool({name: 'flood-stderr', arguments: {lines, bytes: 100}}, undefined, {timeout: 90_000})), `wrote ${lines} lines to standard error`);
	stderr.resume();
	const notice = /dropped (\d+) lines of the child's standard error: our standard error is not being read/;
	const noticed = await proxy.logged(notice, 20_000);
	const flooded = proxy.stderr().slice(before).split('\n').filter(line => /^e{100}$/.test(line)).length;
	// What reached us after the flood was held by the proxy while we did not read (plus a pipe's worth in the kernel).
	t.true(flooded * 101 <= 2 * mebibyte, `${flooded} lines (${flooded * 101} bytes) were held for our standard error`);
	t.true(noticed, 'a line says how many lines were dropped');
	const dropped = Number(notice.exec(proxy.stderr())?.[1]);
	t.is(flooded + dropped, lines, 'every line was either forwarded or counted as dropped');
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'still served'}})), 'still served');
});
