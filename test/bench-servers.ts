// The benchmark's own servers must be correct MCP servers, or every figure measured against them means nothing.
// These tests check them with the official SDK client; they measure nothing (benchmarks are `npm run bench`).
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {echoServer, root} from './helpers/fixtures.js';

async function startServer(script: string, args: string[] = []): Promise<{url: string; child: ChildProcessWithoutNullStreams}> {
	const child = spawn(process.execPath, [path.join(root, 'test/bench/servers', script), ...args], {stdio: 'pipe'});
	const url = await new Promise<string>((resolve, reject) => {
		let output = '';
		child.stdout.on('data', (chunk: Uint8Array) => {
			output += String(chunk);
			const match = /http:\/\/127\.0\.0\.1:\d+\/mcp/.exec(output);
			if (match) {
				resolve(match[0]);
			}
		});
		child.once('exit', code => {
			reject(new Error(`${script} exited with ${code}`));
		});
		setTimeout(() => {
			reject(new Error(`${script} printed no URL within 10 s`));
		}, 10_000).unref();
	});
	return {url, child};
}

async function connect(url: string) {
	const client = new Client({name: 'bench-servers-test', version: '1.0.0'});
	const transport = new StreamableHTTPClientTransport(new URL(url));
	await client.connect(transport);
	return {client, transport};
}

const relayArgs = [process.execPath, echoServer];
const argsOf = (script: string) => (script === 'floor-relay.js' ? relayArgs : []);

for (const script of ['floor-http-server.js', 'remote-server.js', 'floor-relay.js']) {
	test(`${script} serves echo and big to the SDK client, and ends sessions on DELETE`, async t => {
		const {url, child} = await startServer(script, argsOf(script));
		t.teardown(() => {
			child.kill('SIGKILL');
		});

		const {client, transport} = await connect(url);
		const {tools} = await client.listTools();
		t.true(tools.some(tool => tool.name === 'echo'));
		t.true(tools.some(tool => tool.name === 'big'));
		t.deepEqual(await client.callTool({name: 'echo', arguments: {text: 'héllo'}}), {content: [{type: 'text', text: 'héllo'}]});
		const big = await client.callTool({name: 'big', arguments: {bytes: 100_000}}) as {content: Array<{text: string}>};
		t.is(big.content[0]!.text.length, 100_000);

		const sessionId = transport.sessionId!;
		await transport.terminateSession();
		const after = await fetch(url, {
			method: 'POST',
			headers: {
				'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18',
			},
			body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'ping'}),
		});
		t.is(after.status, 404);
		await client.close();
	});
}

test('floor-http-server.js refuses a request without a session and answers GET with 405', async t => {
	const {url, child} = await startServer('floor-http-server.js');
	t.teardown(() => {
		child.kill('SIGKILL');
	});

	const headers = {'content-type': 'application/json', accept: 'application/json, text/event-stream'};
	const noSession = await fetch(url, {method: 'POST', headers, body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'})});
	t.is(noSession.status, 400);
	const get = await fetch(url, {headers: {accept: 'text/event-stream'}});
	t.is(get.status, 405);
});

test('floor-relay.js keeps concurrent sessions apart: each call gets its own answer, though their request ids are the same', async t => {
	const {url, child} = await startServer('floor-relay.js', relayArgs);
	t.teardown(() => {
		child.kill('SIGKILL');
	});

	const clients = await Promise.all([1, 2, 3].map(async () => connect(url)));
	const answers = await Promise.all(clients.flatMap(({client}, index) => [1, 2, 3, 4].map(async call => client.callTool({name: 'echo', arguments: {text: `${index}.${call}`}}))));
	t.deepEqual(answers.map(answer => (answer as {content: Array<{text: string}>}).content[0]!.text), [0, 1, 2].flatMap(index => [1, 2, 3, 4].map(call => `${index}.${call}`)));
	await Promise.all(clients.map(async ({client}) => client.close()));
});
