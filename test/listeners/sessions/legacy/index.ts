import process from 'node:process';
import test from 'ava';
import {ignoreElements} from 'rxjs';
import {LoggingMessageNotificationSchema, type JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js';
import {
	connectSse,
	eventually,
	startListener,
	textOf,
} from '../../../helpers/listener.js';
import {isAlive} from '../../../helpers/processes.js';
import {echoServer} from '../../../helpers/fixtures.js';
import {openSse} from '../../../helpers/sse-reader.js';

/*
A legacy HTTP+SSE session at work, end to end against real children: the SSE stream and its endpoint event, the POSTs of its messages path, many clients, and nothing left behind.
*/

test('legacy SSE: an SDK client calls tools, gets progress, logs, a sampling request and a 20 MB result', async t => {
	const listener = await startListener(t);
	const {client, transport} = await connectSse(t, `${listener.url}/sse`);
	const logs: unknown[] = [];
	client.setNotificationHandler(LoggingMessageNotificationSchema, notification => {
		logs.push(notification.params.data);
	});
	t.like(listener.sessions[0], {server: '', face: 'sse', stateless: false});

	const {tools} = await client.listTools();
	t.true(tools.some(tool => tool.name === 'echo'));
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'héllo'}})), 'héllo');
	// The SDK client handles notifications a microtask after responses, so progress events that reach it in the same chunk as the result are dropped on its side (a race in the client, likelier under load). What reaches the client is observed at its transport.
	const progress: unknown[] = [];
	const deliver = transport.onmessage!;
	// eslint-disable-next-line unicorn/prefer-add-event-listener
	transport.onmessage = (message: JSONRPCMessage) => {
		if ('method' in message && message.method === 'notifications/progress') {
			progress.push(message.params);
		}

		deliver(message);
	};

	t.is(textOf(await client.callTool({name: 'progress', arguments: {steps: 3, delayMs: 1}}, undefined, {
		onprogress() {
			// Asks for progress notifications.
		},
	})), 'done 3');
	t.deepEqual(progress.map(update => (update as {progress: number}).progress), [1, 2, 3]);
	t.is(new Set(progress.map(update => (update as {progressToken: number}).progressToken)).size, 1);
	t.true(await eventually(() => logs.length === 1));
	t.is(textOf(await client.callTool({name: 'sample', arguments: {prompt: 'hi'}})), 'sampled: echo of hi');
	const big = textOf(await client.callTool({name: 'big', arguments: {bytes: 20 * 1024 * 1024}}));
	t.is(big.length, 20 * 1024 * 1024);
	const long = 'é🌍 a long request '.repeat(20_000);
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: long}})), long, 'a long string in a request, there and back');
	await client.close();
	t.true(await eventually(() => listener.stats().sessions === 0), 'closing the stream ends the session');
	t.true(await eventually(() => !isAlive(listener.pids[0]!), 10_000), 'and its child');
});

test('legacy SSE: the endpoint event names the messages path with session_id, named servers included', async t => {
	const listener = await startListener(t, {servers: ['', 'named']});
	const stream = await openSse(`${listener.url}/servers/named/sse`);
	t.teardown(() => {
		stream.close();
	});
	t.is(stream.response.status, 200);
	t.is(stream.response.headers.get('content-type'), 'text/event-stream');
	const endpoint = await stream.next();
	t.is(endpoint.event, 'endpoint');
	const [, id] = /^\/servers\/named\/messages\/\?session_id=([\u0021-\u007E]+)$/.exec(endpoint.data) ?? [];
	t.truthy(id);
	t.is(listener.sessions[0]!.id, id!);
	t.is(listener.sessions[0]!.server, 'named');

	const post = async (path: string, body: string) => fetch(`${listener.url}${path}`, {method: 'POST', headers: {'content-type': 'application/json'}, body});
	const accepted = await post(endpoint.data, JSON.stringify({jsonrpc: '2.0', id: 1, method: 'ping'}));
	t.is(accepted.status, 202);
	t.like(await stream.nextMessage(), {jsonrpc: '2.0', id: 1, result: {}});

	const wrongServer = await post(`/messages/?session_id=${id}`, JSON.stringify({jsonrpc: '2.0', id: 2, method: 'ping'}));
	t.is(wrongServer.status, 404);
	const unknown = await post('/servers/named/messages/?session_id=nope', JSON.stringify({jsonrpc: '2.0', id: 2, method: 'ping'}));
	t.is(unknown.status, 404);
	const missing = await post('/servers/named/messages/', JSON.stringify({jsonrpc: '2.0', id: 2, method: 'ping'}));
	t.is(missing.status, 400);
	const badJson = await post(endpoint.data, '{"jsonrpc": "2.0", ');
	t.is(badJson.status, 400);
	t.like(await badJson.json(), {jsonrpc: '2.0', id: null, error: {code: -32_700}});
	const notRpc = await post(endpoint.data, '{"hello": "world"}');
	t.is(notRpc.status, 400);
	t.like(await notRpc.json(), {error: {code: -32_600}});

	stream.close();
	t.true(await eventually(() => listener.stats().sessions === 0));
	const afterClose = await post(endpoint.data, JSON.stringify({jsonrpc: '2.0', id: 3, method: 'ping'}));
	t.is(afterClose.status, 404);
});

test('legacy SSE: a request id still waiting for its answer is refused (400); once answered or cancelled it may be used again', async t => {
	const listener = await startListener(t);
	const stream = await openSse(`${listener.url}/sse`);
	t.teardown(() => {
		stream.close();
	});
	const endpoint = await stream.next();
	const post = async (message: unknown) => fetch(`${listener.url}${endpoint.data}`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(message)});
	const statusOf = async (message: unknown) => {
		const response = await post(message);
		return response.status;
	};

	const call = (id: number, name: string, input: Record<string, unknown>) => ({
		jsonrpc: '2.0', id, method: 'tools/call', params: {name, arguments: input},
	});
	t.is(await statusOf({
		jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2024-11-05', capabilities: {}, clientInfo: {name: 't', version: '1'}},
	}), 202);
	t.like(await stream.nextMessage(), {id: 0, result: {protocolVersion: '2024-11-05'}});
	t.is(await statusOf({jsonrpc: '2.0', method: 'notifications/initialized'}), 202);
	t.is(await statusOf(call(9, 'slow', {ms: 30_000})), 202);
	const duplicate = await post(call(9, 'echo', {text: 'second'}));
	t.is(duplicate.status, 400);
	t.like(await duplicate.json(), {error: {code: -32_600, message: 'Invalid Request: request id 9 is already in use'}});
	const inBatch = await post([call(10, 'echo', {text: 'a'}), call(10, 'echo', {text: 'b'})]);
	t.is(inBatch.status, 400, 'the same id twice in one batch');
	t.is(await statusOf({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 9}}), 202);
	t.is(await statusOf(call(9, 'echo', {text: 'again'})), 202, 'a cancelled id is free again');
	t.like(await stream.nextMessage(), {id: 9, result: {content: [{type: 'text', text: 'again'}]}});
	t.is(await statusOf(call(9, 'echo', {text: 'and again'})), 202, 'an answered id is free again');
	t.like(await stream.nextMessage(), {id: 9, result: {content: [{type: 'text', text: 'and again'}]}});
});

test('legacy SSE: four clients with ten concurrent calls each get every reply, and only their own', async t => {
	const listener = await startListener(t);
	const clients = await Promise.all([0, 1, 2, 3].map(async () => connectSse(t, `${listener.url}/sse`)));
	await Promise.all(clients.map(async ({client}, c) => {
		await Promise.all(Array.from({length: 10}, async (_, index) => {
			const text = `sse client ${c} call ${index} ${'~'.repeat(index * 50)}`;
			t.is(textOf(await client.callTool({name: 'echo', arguments: {text}})), text);
		}));
	}));
	t.is(listener.stats().sessions, 4);
	await Promise.all(clients.map(async ({client}) => client.close()));
	t.true(await eventually(() => listener.stats().sessions === 0 && listener.stats().streams === 0));
	t.deepEqual(await listener.stop(), []);
});

test('legacy SSE: 200 rapid connects and disconnects leave no session, stream or child, and a client still works', async t => {
	// Spawning costs tens of milliseconds on a loaded machine, so one session in ten gets a real child (`cat`, which ends when its input does) and the others an in-process backend that closes when its outgoing messages do. The last client gets the echo server.
	let count = 0;
	let last = false;
	const listener = await startListener(t, {idleConnectionTimeout: 2000}, () => {
		if (last) {
			return {command: process.execPath, args: [echoServer]};
		}

		return count++ % 10 === 0 ? {command: 'cat', args: []} : (outgoing$ => outgoing$.pipe(ignoreElements()));
	});
	for (let round = 0; round < 20; round++) {
		// eslint-disable-next-line no-await-in-loop
		await Promise.all(Array.from({length: 10}, async () => {
			const controller = new AbortController();
			const response = await fetch(`${listener.url}/sse`, {signal: controller.signal, headers: {accept: 'text/event-stream'}});
			t.is(response.status, 200);
			controller.abort();
		}));
	}

	t.true(await eventually(() => listener.stats().sessions === 0 && listener.stats().streams === 0, 20_000));
	last = true;
	const {client} = await connectSse(t, `${listener.url}/sse`);
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'still here'}})), 'still here');
	await client.close();
	t.true(await eventually(() => listener.stats().sessions === 0 && listener.stats().connections === 0, 15_000), 'no socket is left once idle keep-alive connections time out');
	t.deepEqual(await listener.stop(), []);
	t.is(count, 200);
	t.is(listener.pids.length, 21);
});
