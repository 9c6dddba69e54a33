import {Buffer} from 'node:buffer';
import http from 'node:http';
import test, {type ExecutionContext} from 'ava';
import {
	concat, firstValueFrom, NEVER, of, Subject,
} from 'rxjs';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {startRemoteServer} from '../../fixtures/remote-server.js';
import {remote} from '../../source/transports/remote.js';
import {toSdkTransport} from '../../source/transports/sdk-transport.js';
import {UnsupportedTransportError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';
import type {Message} from '../../source/types.js';
import {startGateway} from '../helpers/gateway.js';
import {eventually} from '../helpers/remote.js';
import {serveOnLoopback} from '../helpers/loopback-server.js';

for (const [face, path, expected] of [
	['both', 'mcp', /over Streamable HTTP \(auto-detected\)/],
	['sse', 'sse', /answered the Streamable HTTP initialize with HTTP 405; trying legacy SSE[\s\S]*over legacy SSE \(auto-detected: Streamable HTTP was refused with HTTP 405\)/],
] as const) {
	test(`auto-detection against a ${face} server at /${path}`, async t => {
		const server = await startRemoteServer({transport: face});
		t.teardown(async () => server.close());
		const logged: string[] = [];
		const logger = createLogger({
			write(line) {
				logged.push(line);
			},
		});
		const client = new Client({name: 'test', version: '1.0.0'});
		t.teardown(async () => client.close());
		await client.connect(toSdkTransport(remote({url: path === 'mcp' ? server.urls.mcp : server.urls.sse, logger})));
		const {tools} = await client.listTools();
		t.true(tools.length > 0);
		t.regex(logged.join(''), expected);
		t.true(logged.some(line => line.startsWith('[I')));
	});
}

test('auto-detection against a URL that serves neither transport fails clearly', async t => {
	// Nothing at /mcp on an SSE-only server.
	const server = await startRemoteServer({transport: 'sse'});
	t.teardown(async () => server.close());
	const initialize = {
		jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
	} as const;
	const error = await t.throwsAsync(firstValueFrom(remote({url: server.urls.mcp, logger: createLogger({level: 'silent'})})(concat(of(initialize), NEVER))));
	t.true(error instanceof UnsupportedTransportError);
	t.regex(error.message, /speaks neither Streamable HTTP \(POST initialize: HTTP 404: Not Found\) nor legacy SSE \(.*HTTP 404.*\)\. Check the URL\./);
});

test('a forced transport is used as configured', async t => {
	const server = await startRemoteServer();
	t.teardown(async () => server.close());
	const logged: string[] = [];
	const logger = createLogger({
		write(line) {
			logged.push(line);
		},
	});
	const client = new Client({name: 'test', version: '1.0.0'});
	t.teardown(async () => client.close());
	await client.connect(toSdkTransport(remote({url: server.urls.sse, transport: 'sse', logger})));
	const {tools} = await client.listTools();
	t.true(tools.length > 0);
	t.regex(logged.join(''), /Using legacy SSE to reach http:\/\/127\.0\.0\.1:\d+\/sse \(as configured\)/);
	t.throws(() => remote({url: server.urls.sse, transport: 'websocket' as 'sse'}), {instanceOf: TypeError});
});

/**
A gateway in front of `target` that answers the first request with `status` and forwards the others. Resolves to its URL for `target`'s path.
*/
async function refusingFirst(t: ExecutionContext, target: string, status: number): Promise<string> {
	const {url} = await startGateway(t, target, (_request, response, index) => {
		if (index > 0) {
			return false;
		}

		response.writeHead(status, {'content-type': 'text/plain'}).end(`refused with ${status}`);
		return true;
	});
	return `${url}${new URL(target).pathname}`;
}

const initializeRequest = (id: number): Message => ({
	jsonrpc: '2.0', id, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
});

for (const status of [503, 401]) {
	test(`auto-detection: a first initialize answered HTTP ${status} leaves the choice open; the next falls back to legacy SSE, and so do reconnections`, async t => {
		const server = await startRemoteServer({transport: 'sse'});
		t.teardown(async () => server.close());
		const url = await refusingFirst(t, server.urls.sse, status);
		const logged: string[] = [];
		const transport = remote({
			url,
			logger: createLogger({
				write(line) {
					logged.push(line);
				},
			}),
		});
		const outgoing = new Subject<Message>();
		const received: Message[] = [];
		const errors: unknown[] = [];
		const subscription = transport(outgoing).subscribe({
			next(message) {
				received.push(message);
			},
			error(error: unknown) {
				errors.push(error);
			},
		});
		t.teardown(() => {
			subscription.unsubscribe();
		});
		const answers = (id: number) => received.filter(message => 'id' in message && message.id === id && !('method' in message));
		outgoing.next(initializeRequest(1));
		t.true(await eventually(() => answers(1).length > 0));
		t.regex(JSON.stringify(answers(1)), new RegExp(`HTTP ${status}`));
		outgoing.next(initializeRequest(2));
		t.true(await eventually(() => answers(2).length > 0 || errors.length > 0), 'the second initialize is answered');
		t.deepEqual(errors, []);
		t.true('result' in answers(2)[0]!, `${JSON.stringify(answers(2))}`);
		// Only the second initialize went to legacy SSE: the first is answered once.
		t.is(answers(1).length, 1);
		t.is(answers(2).length, 1);
		t.regex(logged.join(''), /over legacy SSE \(auto-detected: Streamable HTTP was refused with HTTP 405\)/);
		// A reconnection goes straight to legacy SSE.
		const again = await firstValueFrom(transport(concat(of(initializeRequest(3)), NEVER)));
		t.like(again, {id: 3});
		t.true('result' in again, `${JSON.stringify(again)}`);
		t.is(logged.join('').match(/trying legacy SSE/g)?.length, 1);
	});
}

test('the x-mcp-header declarations a 2026-07-28 tools/list taught are used by the next connections: a reconnected client that does not list again still sends Mcp-Param-*', async t => {
	const seen: Array<Record<string, string | string[] | undefined>> = [];
	const tool = {name: 'weather', inputSchema: {type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 'Region'}}}};
	const server = http.createServer((request, response) => {
		const chunks: Uint8Array[] = [];
		request.on('data', (chunk: Uint8Array) => {
			chunks.push(chunk);
		});
		request.on('end', () => {
			const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {id: number; method: string};
			seen.push(request.headers);
			const result = body.method === 'tools/list'
				? {
					resultType: 'complete', tools: [tool], ttlMs: 0, cacheScope: 'private',
				}
				: {resultType: 'complete', content: []};
			response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({jsonrpc: '2.0', id: body.id, result}));
		});
	});
	const url = `${await serveOnLoopback(t, server)}/mcp`;
	const transport = remote({url, logger: createLogger({level: 'silent'})});
	const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};
	const listTools: Message = {
		jsonrpc: '2.0', id: 1, method: 'tools/list', params: {_meta: envelope},
	};
	const call: Message = {
		jsonrpc: '2.0', id: 2, method: 'tools/call', params: {name: 'weather', arguments: {region: 'eu'}, _meta: envelope},
	};
	// The first connection (the one that detects Streamable HTTP) lists the tools; the second only calls one.
	t.like(await firstValueFrom(transport(concat(of(listTools), NEVER))), {id: 1});
	t.like(await firstValueFrom(transport(concat(of(call), NEVER))), {id: 2});
	t.like(seen[1], {'mcp-method': 'tools/call', 'mcp-name': 'weather', 'mcp-param-region': 'eu'});
});

test('an initialize that claims 2026-07-28 is only a request: a modern server\'s 404 (-32601) answers it and is no reason to try legacy SSE', async t => {
	const methods: string[] = [];
	const server = http.createServer((request, response) => {
		const chunks: Uint8Array[] = [];
		request.on('data', (chunk: Uint8Array) => {
			chunks.push(chunk);
		});
		request.on('end', () => {
			methods.push(`${request.method!} ${chunks.length === 0 ? '' : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as {method: string}).method}`);
			if (request.method !== 'POST') {
				response.writeHead(405).end();
				return;
			}

			const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {id: number; method: string};
			// As the SDK's modern server answers a method the era does not have.
			const [status, reply] = body.method === 'initialize'
				? [404, {error: {code: -32_601, message: 'Method not found'}}]
				: [200, {result: {resultType: 'complete', tools: []}}];
			response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify({jsonrpc: '2.0', id: body.id, ...reply}));
		});
	});
	const url = `${await serveOnLoopback(t, server)}/mcp`;
	const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};
	const outgoing$ = new Subject<Message>();
	const received: Message[] = [];
	const subscription = remote({url, logger: createLogger({level: 'silent'})})(outgoing$).subscribe({
		next(message) {
			received.push(message);
		},
	});
	t.teardown(() => {
		subscription.unsubscribe();
	});
	outgoing$.next({
		jsonrpc: '2.0', id: 1, method: 'initialize', params: {
			protocolVersion: '2026-07-28', capabilities: {}, clientInfo: {name: 'x', version: '1'}, _meta: envelope,
		},
	});
	await eventually(() => received.length === 1);
	outgoing$.next({
		jsonrpc: '2.0', id: 2, method: 'tools/list', params: {_meta: envelope},
	});
	await eventually(() => received.length === 2);
	t.like(received[0], {id: 1, error: {code: -32_601}});
	t.like(received[1], {id: 2, result: {tools: []}});
	t.deepEqual(methods, ['POST initialize', 'POST tools/list']);
});

test('a 2026-07-28 call refused for its headers (-32020) heals itself: the tools are listed once more and the call sent once more with the Mcp-Param-* they declare', async t => {
	const seen: string[] = [];
	const tool = {name: 'weather', inputSchema: {type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 'Region'}}}};
	const server = http.createServer((request, response) => {
		const chunks: Uint8Array[] = [];
		request.on('data', (chunk: Uint8Array) => {
			chunks.push(chunk);
		});
		request.on('end', () => {
			const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {id: number; method: string};
			const region = request.headers['mcp-param-region'];
			seen.push(`${body.method}${typeof region === 'string' ? ` ${region}` : ''}`);
			if (body.method === 'tools/call' && region === undefined) {
				response.writeHead(400, {'content-type': 'application/json'}).end(JSON.stringify({
					jsonrpc: '2.0', id: body.id, error: {code: -32_020, message: 'Header mismatch: Mcp-Param-Region is absent'},
				}));
				return;
			}

			const result = body.method === 'tools/list' ? {resultType: 'complete', tools: [tool]} : {resultType: 'complete', content: [{type: 'text', text: 'sunny'}]};
			response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({jsonrpc: '2.0', id: body.id, result}));
		});
	});
	const url = `${await serveOnLoopback(t, server)}/mcp`;
	const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};
	const call: Message = {
		jsonrpc: '2.0', id: 7, method: 'tools/call', params: {name: 'weather', arguments: {region: 'eu'}, _meta: envelope},
	};
	const answer = await firstValueFrom(remote({url, logger: createLogger({level: 'silent'})})(concat(of(call), NEVER)));
	t.like(answer, {id: 7, result: {content: [{text: 'sunny'}]}});
	t.deepEqual(seen, ['tools/call', 'tools/list', 'tools/call eu']);
});
