// Client mode between real SDK v2 (2.4.0) peers of both eras (issue 18, client side): a 2026-07-28 client over stdio reaches a modern-only or dual-era Streamable HTTP server through the built CLI
// (headers, progress, logs, cancellation by closing the POST), a dual-era client is bridged to a 2025-only server (the proxy answers its probe), and a 2025 client is unchanged.
// A scripted modern server (raw node:http) checks what the spec asks of the client that no SDK server shows: tools with invalid x-mcp-header annotations left out of tools/list,
// and a broken response stream failing its request without a GET or a resumption.
import {Buffer} from 'node:buffer';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {Client} from '@modelcontextprotocol/client';
import {StdioClientTransport} from '@modelcontextprotocol/client/stdio';
import {cli} from '../helpers/fixtures.js';
import {startRemoteProcess} from '../helpers/remote.js';
import {
	runSdk2Client, sdk2Outcome, sdk2Scenarios, startSdk2Server, type Sdk2Mode, type Sdk2ServerKind,
} from '../helpers/sdk2.js';

const everyScenario = (server: Sdk2ServerKind) => Object.fromEntries(sdk2Scenarios.map(name => [name, server === 'http-v1' && (name === 'logs' || name === 'headers') ? 'skipped' : 'ok']));

const modernCallHeaders = {
	'mcp-protocol-version': '2026-07-28',
	'mcp-method': 'tools/call',
	'mcp-name': 'headers',
	'mcp-param-region': '=?base64?WsO8cmljaA==?=',
	'mcp-param-priority': '3',
};

const pairs: Array<{mode: Sdk2Mode; server: Sdk2ServerKind; era: 'modern' | 'legacy'}> = [
	{mode: 'pinned', server: 'http-modern', era: 'modern'},
	{mode: 'pinned', server: 'http-dual', era: 'modern'},
	{mode: 'auto', server: 'http-dual', era: 'modern'},
	// Bridged: the proxy answers the probe for the 2025-only server (test/interop/bridge-to-2025.ts).
	{mode: 'auto', server: 'http-v1', era: 'modern'},
	{mode: 'legacy', server: 'http-dual', era: 'legacy'},
];

for (const {mode, server, era} of pairs) {
	test.serial(`${mode} SDK v2 client → client mode → ${server} server: connects in the ${era} era, every scenario works`, async t => {
		t.timeout(90_000);
		const started = await startSdk2Server(t, server);
		const report = await runSdk2Client(t, {mode, target: [process.execPath, cli, started.target as string]});
		const diagnostics = `${JSON.stringify(report.scenarios, undefined, 2)}\nclient and proxy stderr:\n${report.stderr}\nserver stderr:\n${started.stderr()}`;
		t.is(report.error, undefined, diagnostics);
		t.is(report.era, era);
		t.deepEqual(Object.fromEntries(sdk2Scenarios.map(name => [name, sdk2Outcome(report.scenarios[name])])), everyScenario(server), diagnostics);
		// What the server saw: the modern headers on a modern call (none on a 2025 one, nothing where the scenario is skipped).
		const seen = report.scenarios.headers?.headers ?? {};
		const mirrored = Object.fromEntries(['mcp-protocol-version', 'mcp-method', 'mcp-name', 'mcp-param-region', 'mcp-param-priority'].filter(name => name in seen).map(name => [name, seen[name]]));
		// The SDK v1 server has no `headers` tool: nothing was seen.
		t.deepEqual(mirrored, server === 'http-v1' ? {} : (era === 'modern' ? modernCallHeaders : {'mcp-protocol-version': '2025-11-25'}));
	});
}

test.serial('a dual-era client → client mode → a legacy SSE server: server/discover fails, so the proxy bridges it onto 2025 sessions, which fall back to legacy SSE', async t => {
	t.timeout(60_000);
	const {urls} = await startRemoteProcess(t);
	const report = await runSdk2Client(t, {mode: 'auto', target: [process.execPath, cli, urls.sse], scenarios: ['tools', 'progress']});
	t.is(report.error, undefined, `${report.stderr}`);
	t.is(report.era, 'modern');
	t.deepEqual([sdk2Outcome(report.scenarios.tools), sdk2Outcome(report.scenarios.progress)], ['ok', 'ok'], `${report.stderr}`);
	t.regex(report.stderr, /over legacy SSE \(auto-detected/);
	t.regex(report.stderr, /bridged onto 2025 sessions/);
});

type ModernClient = {client: Client; stderr: () => string};

/**
An SDK v2 client pinned to 2026-07-28, over stdio to the built CLI in client mode in front of `url`; closed in teardown.
*/
async function modernClientThroughProxy(t: ExecutionContext, url: string): Promise<ModernClient> {
	const transport = new StdioClientTransport({
		command: process.execPath, args: [cli, url], env: process.env as Record<string, string>, stderr: 'pipe',
	});
	let stderr = '';
	transport.stderr?.on('data', (chunk: Uint8Array) => {
		stderr += Buffer.from(chunk).toString('utf8');
	});
	const client = new Client({name: 'era-client-test', version: '1.0.0'}, {capabilities: {}, versionNegotiation: {mode: {pin: '2026-07-28'}}});
	t.teardown(async () => {
		await client.close().catch(() => undefined);
	});
	await client.connect(transport);
	return {client, stderr: () => stderr};
}

const textOf = (result: unknown) => (result as {content: Array<{text?: string}>}).content[0]?.text;

test.serial('a modern client\'s cancellation closes its POST: the server sees the request cancelled, and nothing else is sent for it', async t => {
	t.timeout(60_000);
	const started = await startSdk2Server(t, 'http-modern');
	const {client, stderr} = await modernClientThroughProxy(t, started.target as string);
	const controller = new AbortController();
	const slow = client.callTool({name: 'slow', arguments: {ms: 20_000}}, {signal: controller.signal});
	let stats: {slowStarted: number; slowCancelled: number; slowFinished: number} = {slowStarted: 0, slowCancelled: 0, slowFinished: 0};
	for (let round = 0; round < 100 && stats.slowStarted === 0; round++) {
		// eslint-disable-next-line no-await-in-loop
		stats = JSON.parse(textOf(await client.callTool({name: 'stats', arguments: {}}))!) as typeof stats;
	}

	controller.abort();
	await t.throwsAsync(slow);
	for (let round = 0; round < 100 && stats.slowCancelled === 0; round++) {
		// eslint-disable-next-line no-await-in-loop
		stats = JSON.parse(textOf(await client.callTool({name: 'stats', arguments: {}}))!) as typeof stats;
	}

	t.deepEqual(stats, {slowStarted: 1, slowCancelled: 1, slowFinished: 0}, `${stderr()}`);
	t.notRegex(stderr(), /notifications\/cancelled|HTTP 4\d\d/);
});

type Seen = {method: string; headers: http.IncomingHttpHeaders; body: {id?: unknown; method?: string}};

/**
A scripted modern server: answers `server/discover`, a `tools/list` with one tool whose x-mcp-header annotation is invalid, and `tools/call` of `break` with a progress event and then a broken stream. Records every request.
*/
async function scriptedModernServer(t: ExecutionContext): Promise<{url: string; seen: Seen[]}> {
	const seen: Seen[] = [];
	const meta = {'io.modelcontextprotocol/serverInfo': {name: 'scripted', version: '1'}};
	const good = {name: 'echo', inputSchema: {type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 'Region'}}}};
	const bad = {name: 'bad', inputSchema: {type: 'object', properties: {amount: {type: 'number', 'x-mcp-header': 'Amount'}}}};
	const server = http.createServer((request, response) => {
		const chunks: Uint8Array[] = [];
		request.on('data', (chunk: Uint8Array) => {
			chunks.push(chunk);
		});
		request.on('end', () => {
			const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen['body'] : {};
			seen.push({method: request.method ?? '', headers: request.headers, body});
			const reply = (result: Record<string, unknown>) => {
				response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({jsonrpc: '2.0', id: body.id, result: {resultType: 'complete', _meta: meta, ...result}}));
			};

			switch (request.method === 'POST' ? String(body.method) : 'not POST') {
				case 'not POST': {
					response.writeHead(405, {allow: 'POST'}).end();
					break;
				}

				case 'server/discover': {
					reply({
						supportedVersions: ['2026-07-28'], capabilities: {tools: {}}, ttlMs: 0, cacheScope: 'private',
					});
					break;
				}

				case 'tools/list': {
					reply({tools: [bad, good], ttlMs: 0, cacheScope: 'private'});
					break;
				}

				case 'tools/call': {
					// An event id: a 2025 client would resume the stream with it.
					response.writeHead(200, {'content-type': 'text/event-stream'});
					response.write('id: 1\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"about to break"}}\n\n', () => {
						response.destroy();
					});
					break;
				}

				default: {
					response.writeHead(202).end();
				}
			}
		});
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen};
}

test.serial('a modern tools/list leaves out tools with invalid x-mcp-header annotations; a broken modern stream fails its request, with no GET and no resumption', async t => {
	t.timeout(60_000);
	const {url, seen} = await scriptedModernServer(t);
	const {client, stderr} = await modernClientThroughProxy(t, url);
	const {tools} = await client.listTools();
	t.deepEqual(tools.map(tool => tool.name), ['echo']);
	t.regex(stderr(), /Left tool 'bad' out of tools\/list: invalid x-mcp-header declaration — amount: .*got number/);

	const error = await t.throwsAsync(client.callTool({name: 'echo', arguments: {region: 'eu west'}}));
	t.regex(error?.message ?? '', /ended the response stream before answering `tools\/call`.*not resumed/);
	const call = seen.find(entry => entry.body.method === 'tools/call');
	t.like(call?.headers, {
		'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo', 'mcp-param-region': 'eu west',
	});
	t.false(seen.some(entry => entry.headers['mcp-session-id'] !== undefined), 'no session id');
	t.deepEqual(seen.filter(entry => entry.method !== 'POST'), [], 'no GET stream, no resumption');
});
