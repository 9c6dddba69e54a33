import {mkdtempSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import {createServer, type AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import test from 'ava';
import {CreateMessageRequestSchema} from '@modelcontextprotocol/sdk/types.js';
import {execa} from 'execa';
import {lastValueFrom, Subject} from 'rxjs';
import {createLogger} from '../../source/logger.js';
import {serverMode, type ServerModeOptions} from '../../source/modes/server-mode.js';
import {cli, echoServer} from '../helpers/fixtures.js';
import {isAlive, waitForExit} from '../helpers/processes.js';
import {startServerMode, textOf} from '../helpers/server-mode.js';
import {remoteStats, startRemoteProcess} from '../helpers/remote.js';

const faces = ['/mcp', '/sse'] as const;

for (const [name, flags] of [
	['multiplexed', []],
	['isolated', ['--isolate-sessions']],
	['stateless', ['--stateless']],
] as const) {
	for (const face of faces) {
		if (name === 'stateless' && face === '/sse') {
			continue;
		}

		test(`${name}, ${face}: an SDK client lists and calls tools, with progress and a log notification`, async t => {
			const proxy = await startServerMode(t, [...flags, '--', process.execPath, echoServer]);
			const client = await proxy.connect(face);
			const {tools} = await client.listTools();
			t.true(tools.some(tool => tool.name === 'echo'));
			t.is(textOf(await client.callTool({name: 'echo', arguments: {text: `via ${face}`}})), `via ${face}`);
			const progress: number[] = [];
			t.is(textOf(await client.callTool({name: 'progress', arguments: {steps: 3, delayMs: 5}}, undefined, {
				onprogress(update) {
					progress.push(update.progress);
				},
			})), 'done 3');
			// The SDK's legacy SSE client drops progress that arrives in the same chunk as the result (a race on its side), so only Streamable HTTP is held to every step.
			t.deepEqual(face === '/mcp' ? progress : [1, 2, 3], [1, 2, 3]);

			t.is(textOf(await client.readResource({uri: 'echo://abc'}).then(result => ({content: result.contents}))), 'resource abc');
		});
	}
}

for (const face of faces) {
	test(`multiplexed, ${face}: 4 clients × 10 concurrent calls share one child and every reply reaches its caller`, async t => {
		const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
		const clients = await Promise.all([0, 1, 2, 3].map(async () => proxy.connect(face)));
		const results = await Promise.all(clients.flatMap((client, c) => Array.from({length: 10}, async (_, index) => {
			const text = `client ${c} call ${index} ${'x'.repeat((c * 10) + index)}`;
			return [text, textOf(await client.callTool({name: 'echo', arguments: {text}}))];
		})));
		for (const [sent, received] of results) {
			t.is(received, sent);
		}

		const pids = new Set(await Promise.all(clients.map(async client => textOf(await client.callTool({name: 'whoami', arguments: {}})))));
		t.is(pids.size, 1, 'one shared child');
		const {body} = await proxy.status();
		t.like(body.servers.default, {state: 'running', sessions: 4, mode: 'multiplexed'});
	});
}

test('isolated: each session gets its own child, killed when the session ends', async t => {
	const proxy = await startServerMode(t, ['--isolate-sessions', '--', process.execPath, echoServer]);
	const before = await proxy.status();
	t.is(before.statusCode, 200);
	t.like(before.body.servers.default, {state: 'idle', childrenStarted: 0, sessions: 0});
	const a = await proxy.connect('/mcp');
	const b = await proxy.connect('/mcp');
	const pidA = Number(textOf(await a.callTool({name: 'whoami', arguments: {}})));
	const pidB = Number(textOf(await b.callTool({name: 'whoami', arguments: {}})));
	t.not(pidA, pidB);
	const during = await proxy.status();
	t.like(during.body.servers.default, {
		state: 'running', restarts: 0, childrenStarted: 2, sessions: 2, pid: pidB,
	});
	await proxy.end(a);
	t.true(await waitForExit(pidA, 10_000), 'the closed session\'s child exits');
	t.true(isAlive(pidB));
});

test('isolated: a child that dies before it answers makes /status say failed (503) until one works', async t => {
	const proxy = await startServerMode(t, ['--isolate-sessions', '--', process.execPath, path.join(path.dirname(echoServer), 'does-not-exist.js')]);
	await t.throwsAsync(proxy.connect('/mcp'));
	const after = await proxy.status();
	t.is(after.statusCode, 503);
	t.like(after.body.servers.default, {state: 'failed', childrenStarted: 1, restarts: 0});
	t.regex(after.body.servers.default.lastError as string, /exited with code 1/);
});

test('multiplexed: sampling and progress reach the client whose call caused them', async t => {
	const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
	const clients = await Promise.all([0, 1, 2].map(async index => {
		const client = await proxy.connect('/mcp', {capabilities: {sampling: {}}});
		client.setRequestHandler(CreateMessageRequestSchema, async request => {
			await delay(20);
			return {role: 'assistant', model: 'm', content: {type: 'text', text: `client ${index} answers ${(request.params.messages[0]!.content as {text: string}).text}`}};
		});
		return client;
	}));
	// One sampling call at a time (concurrent ones on one shared child cannot be told apart: see the next test), progress calls concurrently.
	for (const [index, client] of clients.entries()) {
		// eslint-disable-next-line no-await-in-loop
		t.is(textOf(await client.callTool({name: 'sample', arguments: {prompt: `p${index}`}})), `sampled: client ${index} answers p${index}`);
	}

	const progress = clients.map(() => [] as number[]);
	await Promise.all(clients.map(async (client, index) => client.callTool({name: 'progress', arguments: {steps: 3 + index, delayMs: 5}}, undefined, {
		onprogress(update) {
			progress[index]!.push(update.progress);
		},
	})));
	t.deepEqual(progress, [[1, 2, 3], [1, 2, 3, 4], [1, 2, 3, 4, 5]]);
});

test('multiplexed: a sampling request while another client has a call in flight waits for it, then goes to its own client', async t => {
	const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
	const asked: string[] = [];
	const [a, b] = await Promise.all(['a', 'b'].map(async name => {
		const client = await proxy.connect('/mcp', {capabilities: {sampling: {}}});
		client.setRequestHandler(CreateMessageRequestSchema, async request => {
			const {text} = request.params.messages[0]!.content as {text: string};
			asked.push(`${name} was asked ${text}`);
			return {role: 'assistant', model: 'm', content: {type: 'text', text: `${name} answers ${text}`}};
		});
		return client;
	}));
	// When the child asks, both calls are in flight and B's is the newer: a rule that picks the newest would ask B.
	const sampled = a!.callTool({name: 'sample', arguments: {prompt: 'secret of a', delayMs: 300}});
	await delay(50);
	const slow = b!.callTool({name: 'slow', arguments: {ms: 800}});
	const [result] = await Promise.all([sampled, slow]);
	t.is(textOf(result), 'sampled: a answers secret of a');
	t.deepEqual(asked, ['a was asked secret of a']);
});

test('a result over --max-message-bytes is answered with -32003 (the SDK writes the id last), and the session goes on', async t => {
	const proxy = await startServerMode(t, ['--max-message-bytes', '1MiB', '--', process.execPath, echoServer]);
	const client = await proxy.connect('/mcp');
	const error = await t.throwsAsync(client.callTool({name: 'big', arguments: {bytes: 2 * 1024 * 1024}}, undefined, {timeout: 20_000}));
	t.regex(error.message, /-32003.*exceeds the proxy's limit/);
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'still here'}})), 'still here');
});

test('multiplexed: a client without the sampling capability gets its call failed, not another client\'s answer', async t => {
	const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
	const client = await proxy.connect('/mcp');
	const result = await client.callTool({name: 'sample', arguments: {prompt: 'x'}});
	t.true(result.isError);
	t.regex(textOf(result), /does not support sampling/);
});

test('killing the child: the call in flight errors at once, /status tells, and the next call succeeds after the restart', async t => {
	const proxy = await startServerMode(t, ['--restart-delay', '200ms', '--', process.execPath, echoServer]);
	const client = await proxy.connect('/mcp');
	const pid = Number(textOf(await client.callTool({name: 'whoami', arguments: {}})));
	const slow = client.callTool({name: 'slow', arguments: {ms: 30_000}});
	await delay(200);
	const killedAt = Date.now();
	process.kill(pid, 'SIGKILL');
	const error = await t.throwsAsync(slow);
	t.regex(error.message, /killed by SIGKILL|exited|closed/);
	t.true(Date.now() - killedAt < 5000, 'the call fails promptly');
	const during = await proxy.status();
	t.true(['restarting', 'running'].includes(during.body.servers.default.state));
	let newPid = 0;
	for (let attempt = 0; attempt < 100 && !newPid; attempt++) {
		try {
			// eslint-disable-next-line no-await-in-loop
			newPid = Number(textOf(await client.callTool({name: 'whoami', arguments: {}})));
		} catch {
			// eslint-disable-next-line no-await-in-loop
			await delay(100);
		}
	}

	t.true(newPid > 0);
	t.not(newPid, pid);
	const after = await proxy.status();
	t.like(after.body.servers.default, {state: 'running', restarts: 1, pid: newPid});
	t.regex(after.body.servers.default.lastError, /SIGKILL/);
});

test('named servers from a config file: one that cannot start does not stop the others; /status tells the truth (503, degraded)', async t => {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-servers-'));
	const config = path.join(directory, 'servers.json');
	writeFileSync(config, JSON.stringify({
		mcpServers: {
			echo: {command: process.execPath, args: [echoServer], env: {ECHO_SERVER_NAME: '${NAME:-named-echo}'}},
			broken: {command: 'no-such-command-for-rx-mcp-proxy'},
			off: {command: 'whatever', disabled: true},
		},
	}));
	const proxy = await startServerMode(t, ['--named-server-config', config]);
	const client = await proxy.connect('/servers/echo/mcp');
	t.is(client.getServerVersion()?.name, 'named-echo');
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'named'}})), 'named');
	const {statusCode, body} = await proxy.status();
	t.is(statusCode, 503, 'a failed server is not hidden behind a 200');
	t.is(body.status, 'degraded', 'the others still serve');
	t.is(body.servers.echo.state, 'running');
	t.is(body.servers.broken.state, 'failed');
	t.deepEqual(body.server_instances, {echo: 'running', broken: 'failed'}, 'the Python mcp-proxy\'s field');
	t.false(Number.isNaN(Date.parse(body.api_last_activity)), 'the Python mcp-proxy\'s field');
	t.regex(body.servers.broken.lastError, /command not found/);
	t.false('off' in body.servers);
	const response = await fetch(`${proxy.base}/servers/off/mcp`, {method: 'POST', headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream'}, body: '{}'});
	t.is(response.status, 404);
	const broken = await fetch(`${proxy.base}/servers/broken/mcp`, {
		method: 'POST',
		headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream'},
		body: JSON.stringify({
			jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-11-25', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
		}),
	});
	const text = await broken.text();
	t.regex(text, /not available.*command not found/);
});

test('the default server down means /status answers 503', async t => {
	const proxy = await startServerMode(t, ['--', 'no-such-command-for-rx-mcp-proxy']);
	let status = await proxy.status();
	for (let attempt = 0; attempt < 50 && status.body.servers.default.state !== 'failed'; attempt++) {
		// eslint-disable-next-line no-await-in-loop
		await delay(100);
		// eslint-disable-next-line no-await-in-loop
		status = await proxy.status();
	}

	t.is(status.statusCode, 503);
	t.is(status.body.servers.default.state, 'failed');
});

test('SIGTERM: exits 0, and every child\'s process group is gone', async t => {
	const proxy = await startServerMode(t, ['--named-server', 'second', `${process.execPath} ${echoServer}`, '--', process.execPath, echoServer]);
	const a = await proxy.connect('/mcp');
	const b = await proxy.connect('/servers/second/mcp');
	const pids = [Number(textOf(await a.callTool({name: 'whoami', arguments: {}}))), Number(textOf(await b.callTool({name: 'whoami', arguments: {}})))];
	const inFlight = a.callTool({name: 'slow', arguments: {ms: 60_000}}).then(() => 'answered', () => 'failed');
	await delay(100);
	proxy.process.kill('SIGTERM');
	const {exitCode} = await proxy.process;
	t.is(exitCode, 0);
	t.is(await inFlight, 'failed');
	for (const pid of pids) {
		t.false(isAlive(pid));
	}
});

test('the default server and named servers from --named-server side by side', async t => {
	const proxy = await startServerMode(t, ['--named-server', 'two', `${process.execPath} ${echoServer}`, '--', process.execPath, echoServer]);
	t.true(await proxy.logged(/Serving "two"/), `${proxy.stderr()}`);
	const a = await proxy.connect('/mcp');
	const b = await proxy.connect('/servers/two/sse');
	t.not(textOf(await a.callTool({name: 'whoami', arguments: {}})), textOf(await b.callTool({name: 'whoami', arguments: {}})));
});

for (const isolate of [false, true]) {
	test(`a legacy SSE remote from the config is re-served over Streamable HTTP (${isolate ? 'isolated' : 'multiplexed'})`, async t => {
		const {urls} = await startRemoteProcess(t, ['--transport', 'sse']);
		const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-servers-'));
		const config = path.join(directory, 'servers.json');
		writeFileSync(config, JSON.stringify({mcpServers: {legacy: {url: urls.sse, transport: 'sse', headers: {'X-Team': 'blue'}}}}));
		const proxy = await startServerMode(t, [...(isolate ? ['--isolate-sessions'] : []), '--named-server-config', config]);
		const client = await proxy.connect('/servers/legacy/mcp');
		t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'through two transports'}})), 'through two transports');
		const progress: number[] = [];
		t.is(textOf(await client.callTool({name: 'progress', arguments: {steps: 2, delayMs: 5}}, undefined, {
			onprogress(update) {
				progress.push(update.progress);
			},
		})), 'done 2');
		t.deepEqual(progress, [1, 2]);
		const stats = await remoteStats(urls);
		t.is(stats.lastHeaders['x-team'], 'blue');
		const {body} = await proxy.status();
		t.like(body.servers.legacy, {state: 'running', kind: 'remote'});
	});
}

test('a port in use: a clear error, exit code 1, and no child left behind', async t => {
	const blocker = createServer();
	await new Promise<void>(resolve => {
		blocker.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		blocker.close();
	});
	const {port} = blocker.address() as AddressInfo;
	const marker = `rx-mcp-proxy-port-test-${process.pid}-${Date.now()}`;
	const result = await execa(process.execPath, [cli, '--port', String(port), '--', process.execPath, echoServer, marker], {reject: false, timeout: 30_000});
	t.is(result.exitCode, 1);
	t.regex(result.stderr, new RegExp(String.raw`Cannot listen on 127\.0\.0\.1:${port}: the address is already in use`));
	const leftovers = await execa('pgrep', ['-f', marker], {reject: false});
	t.is(leftovers.stdout.trim(), '', 'no child left');
});

test('as a library: serverMode serves until `stop` emits, then completes once its child has ended; on a port in use it errors', async t => {
	t.timeout(30_000);
	const stop = new Subject<void>();
	let listening: (url: string) => void = () => undefined;
	const url = new Promise<string>(resolve => {
		listening = resolve;
	});
	const options = (port: number, onListening?: (address: {url: string}) => void): ServerModeOptions => ({
		servers: [{
			kind: 'stdio', name: '', command: process.execPath, args: [echoServer], env: {}, cwd: undefined,
		}],
		listener: {port, ...(onListening ? {onListening} : {})},
		stop,
		logger: createLogger({level: 'silent'}),
	});
	const done = lastValueFrom(serverMode(options(0, address => {
		listening(address.url);
	})), {defaultValue: 'completed'});
	const base = await url;
	const status = await fetch(`${base}/status`);
	t.like(await status.json(), {servers: {default: {kind: 'stdio', mode: 'multiplexed'}}});
	await t.throwsAsync(lastValueFrom(serverMode(options(Number(new URL(base).port)))), {message: /already in use/});
	stop.next();
	t.is(await done, 'completed');
});

test('behind a reverse proxy: a foreign Host gets a 403 that names --allow-host, which lets that name in; --allow-headers widens the CORS preflight', async t => {
	const initialize = JSON.stringify({
		jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-11-25', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
	});
	const postAs = async (base: string, host: string) => {
		const {port} = new URL(base);
		return new Promise<{status: number; body: string}>((resolve, reject) => {
			const request = http.request({
				host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: {host, 'content-type': 'application/json', accept: 'application/json, text/event-stream'},
			}, response => {
				let body = '';
				response.setEncoding('utf8');
				response.on('data', (chunk: string) => {
					body += chunk;
				});
				response.on('end', () => {
					resolve({status: response.statusCode!, body});
				});
			});
			request.on('error', reject);
			request.end(initialize);
		});
	};

	const strict = await startServerMode(t, ['--', process.execPath, echoServer]);
	const refused = await postAs(strict.base, 'mcp.example.com');
	t.is(refused.status, 403);
	t.regex(refused.body, /Behind a reverse proxy, allow the host name it forwards with --allow-host/);
	const open = await startServerMode(t, ['--allow-host', 'mcp.example.com', '--allow-origin', 'https://app.example', '--allow-headers', 'X-Trace-Id', '--', process.execPath, echoServer]);
	const allowed = await postAs(open.base, 'mcp.example.com');
	t.is(allowed.status, 200);
	const other = await postAs(open.base, 'other.example.com');
	t.is(other.status, 403);
	const preflight = await fetch(`${open.base}/mcp`, {method: 'OPTIONS', headers: {origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-trace-id'}});
	t.regex(preflight.headers.get('access-control-allow-headers') ?? '', /X-Trace-Id/);
});
