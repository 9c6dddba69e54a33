import {Buffer} from 'node:buffer';
import {createServer} from 'node:http';
import {once} from 'node:events';
import {connect} from 'node:net';
import test from 'ava';
import {
	firstValueFrom, lastValueFrom, toArray, take,
} from 'rxjs';
import {httpListener} from '../../source/listeners/http-listener.js';
import {TransportError} from '../../source/errors.js';
import {
	connectSse,
	connectStreamable,
	eventually,
	quietLogger,
	startListener,
	textOf,
} from '../helpers/listener.js';
import {isAlive} from '../helpers/processes.js';
import {
	initializeBody, raw, rawStatus,
} from '../helpers/raw-http.js';

test('a port in use errors the observable with a message naming host and port', async t => {
	const blocker = createServer();
	blocker.listen(0, '127.0.0.1');
	await once(blocker, 'listening');
	t.teardown(() => {
		blocker.close();
	});
	const {port} = blocker.address() as {port: number};
	const error = await t.throwsAsync(firstValueFrom(httpListener({port, logger: quietLogger})));
	t.true(error instanceof TransportError);
	t.regex(error.message, new RegExp(String.raw`127\.0\.0\.1:${port}.*already in use`));
});

test('options are validated eagerly, before anything listens (the rules: test/listeners/options.ts)', t => {
	t.throws(() => httpListener({port: 70_000}), {instanceOf: TypeError, message: /`port`.*70{4}/});
	t.notThrows(() => httpListener({eventStoreLimit: 0, servers: ['', 'x']}));
});

test('onListening gives the bound address; /status answers what the status function says', async t => {
	let address: {host: string; port: number; url: string} | undefined;
	let calls = 0;
	const listener = await startListener(t, {
		onListening(value) {
			address = value;
		},
		status() {
			calls++;
			return {statusCode: 503, body: {servers: {'': {state: 'restarting'}}}};
		},
	});
	t.deepEqual(address, {host: '127.0.0.1', port: listener.port, url: `http://127.0.0.1:${listener.port}`});
	const status = await raw(listener.port, {path: '/status'});
	t.is(status.status, 503);
	t.is(status.headers['content-type'], 'application/json');
	t.deepEqual(status.json(), {servers: {'': {state: 'restarting'}}});
	t.is(calls, 1);
	t.is(await rawStatus(listener.port, {method: 'POST', path: '/status', body: '{}'}), 405);

	const plain = await startListener(t);
	const empty = await raw(plain.port, {path: '/status'});
	t.deepEqual(empty.json(), {});
});

test('closing the listener ends every session of both faces, and every child exits', async t => {
	const listener = await startListener(t);
	const {client: streamable} = await connectStreamable(t, `${listener.url}/mcp`);
	const {client: sse} = await connectSse(t, `${listener.url}/sse`);
	t.is(textOf(await streamable.callTool({name: 'echo', arguments: {text: 'a'}})), 'a');
	t.is(textOf(await sse.callTool({name: 'echo', arguments: {text: 'b'}})), 'b');
	const slow = streamable.callTool({name: 'slow', arguments: {ms: 30_000}}).then(() => 'answered', String);
	t.is(listener.stats().sessions, 2);
	t.deepEqual(await listener.stop(), [], 'every child exited');
	t.regex(await slow, /shutting down|closed|fetch failed|terminated/i);
	t.true(listener.pids.every(pid => !isAlive(pid)));
	t.is(listener.stats().sessions, 0);
	t.is(listener.stats().connections, 0);
});

test('each session is emitted once, with a fresh id, and the observable can be re-subscribed', async t => {
	let urls: string[] = [];
	const onListening = ({url}: {url: string}) => {
		urls.push(url);
	};

	const listener = httpListener({logger: quietLogger, onListening});
	const collected = lastValueFrom(listener.pipe(take(2), toArray()));
	t.true(await eventually(() => urls.length === 1));
	const [url] = urls;
	await fetch(`${url!}/sse`, {headers: {accept: 'text/event-stream'}}).then(async response => response.body?.cancel());
	await fetch(`${url!}/sse`, {headers: {accept: 'text/event-stream'}}).then(async response => response.body?.cancel());
	const sessions = await collected;
	t.is(sessions.length, 2);
	t.not(sessions[0]!.id, sessions[1]!.id);
	t.true(sessions.every(session => session.face === 'sse' && session.server === ''));

	// Completing (take) closed the server; subscribing again opens a new one.
	urls = [];
	const again = listener.subscribe();
	t.teardown(() => {
		again.unsubscribe();
	});
	t.true(await eventually(() => urls.length === 1));
	const status = await fetch(`${urls[0]!}/status`);
	t.is(status.status, 200);
});

test('unsubscribing at once, even while a host name resolves, leaves nothing listening', async t => {
	let listened = false;
	const subscription = httpListener({
		host: 'localhost',
		logger: quietLogger,
		onListening() {
			listened = true;
		},
	}).subscribe();
	subscription.unsubscribe();
	await new Promise(resolve => {
		setTimeout(resolve, 300);
	});
	t.false(listened);
});

test('an idle client connection is kept for 65 s, past Node\'s 5 s and past the read timeout', async t => {
	const {port} = await startListener(t, {readTimeout: 1000});
	const socket = connect(port, '127.0.0.1');
	t.teardown(() => {
		socket.destroy();
	});
	let closed = false;
	socket.once('close', () => {
		closed = true;
	});
	const post = (body: string, headers = '') => {
		const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${headers}`;
		socket.write(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
	};

	post(initializeBody());
	const [head] = await once(socket, 'data') as [Uint8Array];
	const text = new TextDecoder().decode(head);
	t.regex(text, /^HTTP\/1\.1 200 /);
	t.regex(text, /\r\nkeep-alive: timeout=65\r\n/i);
	const sessionId = /\r\nmcp-session-id: (\S+)\r\n/i.exec(text)![1]!;

	// Idle for longer than Node's default keep-alive (5 s) and than the read timeout (1 s).
	await new Promise(resolve => {
		setTimeout(resolve, 5500);
	});
	t.false(closed, 'the idle connection is still open');
	post(JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'}), `Mcp-Session-Id: ${sessionId}\r\n`);
	const [next] = await once(socket, 'data') as [Uint8Array];
	t.regex(new TextDecoder().decode(next), /^HTTP\/1\.1 202 /);
});
