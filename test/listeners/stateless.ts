import test from 'ava';
import {
	connectStreamable,
	eventually,
	startListener,
	textOf,
} from '../helpers/listener.js';

const jsonHeaders = {'content-type': 'application/json', accept: 'application/json, text/event-stream'};

test('stateless: an SDK client works, each POST is its own session, and each ends once answered', async t => {
	const listener = await startListener(t, {stateless: true});
	const {client, transport} = await connectStreamable(t, `${listener.url}/mcp`);
	t.is(transport.sessionId, undefined);
	const {tools} = await client.listTools();
	t.true(tools.some(tool => tool.name === 'echo'));
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'one'}})), 'one');
	const progress: number[] = [];
	t.is(textOf(await client.callTool({name: 'progress', arguments: {steps: 2, delayMs: 1}}, undefined, {
		onprogress(update) {
			progress.push(update.progress);
		},
	})), 'done 2');
	t.deepEqual(progress, [1, 2]);

	// Initialize, initialized, tools/list, two calls: one session each, all stateless, all ended.
	t.is(listener.sessions.length, 5);
	t.true(listener.sessions.every(session => session.stateless && session.face === 'streamable-http'));
	t.is(new Set(listener.sessions.map(session => session.id)).size, 5);
	t.true(await eventually(() => listener.stats().sessions === 0 && listener.stats().streams === 0));
	await client.close();
	t.deepEqual(await listener.stop(), []);
});

test('stateless: no Mcp-Session-Id, GET and DELETE are 405, and concurrent requests are not crossed', async t => {
	const listener = await startListener(t, {stateless: true});
	const initialize = await fetch(`${listener.url}/mcp`, {
		method: 'POST',
		headers: jsonHeaders,
		body: JSON.stringify({
			jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'raw', version: '1'}},
		}),
	});
	t.is(initialize.status, 200);
	t.is(initialize.headers.get('mcp-session-id'), null);
	t.is(initialize.headers.get('content-type'), 'application/json');
	t.like(await initialize.json(), {id: 1, result: {serverInfo: {name: 'echo-fixture'}}});

	for (const method of ['GET', 'DELETE']) {
		// eslint-disable-next-line no-await-in-loop
		const response = await fetch(`${listener.url}/mcp`, {method, headers: {accept: 'text/event-stream'}});
		t.is(response.status, 405, `${method}`);
		// eslint-disable-next-line no-await-in-loop
		await response.body?.cancel();
	}

	const replies = await Promise.all(Array.from({length: 8}, async (_, index) => {
		const response = await fetch(`${listener.url}/mcp`, {
			method: 'POST',
			headers: {...jsonHeaders, 'mcp-protocol-version': '2025-06-18'},
			body: JSON.stringify({
				jsonrpc: '2.0', id: 7, method: 'tools/call', params: {name: 'echo', arguments: {text: `request ${index}`}},
			}),
		});
		return response.json() as Promise<{id: number; result: {content: Array<{text: string}>}}>;
	}));
	t.deepEqual(replies.map(reply => reply.result.content[0]!.text), Array.from({length: 8}, (_, index) => `request ${index}`));

	const notification = await fetch(`${listener.url}/mcp`, {
		method: 'POST',
		headers: jsonHeaders,
		body: JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'}),
	});
	t.is(notification.status, 202);
	t.is(await notification.text(), '');
	t.true(await eventually(() => listener.stats().sessions === 0));
	t.deepEqual(await listener.stop(), []);
	t.is(listener.pids.length, 10);
});
