import {mkdtempSync, writeFileSync} from 'node:fs';
import {request as httpRequest} from 'node:http';
import {connect, type Socket} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {execa} from 'execa';
import {
	assertAccounted,
	HttpPeer,
	Ledger,
	residentBytes,
	SsePeer,
	StdioPeer,
	postHeaders,
} from '../helpers/accounting.js';
import {cli, fixture} from '../helpers/fixtures.js';
import {raw} from '../helpers/raw-http.js';
import {eventually, startRemoteProcess} from '../helpers/remote.js';
import {startServerMode, type RunningProxy} from '../helpers/server-mode.js';

/*
Hostile input on the HTTP faces and the other edges, against the real CLI: whatever comes in, the proxy answers it (or closes the connection when that is the answer), stays up, keeps serving the others, and holds bounded memory.
*/

const faultyServer = fixture('faulty-server.js');
const depth = 100_000;
const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const initializeBody = JSON.stringify({
	jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'hostile', version: '1'}},
});

async function post(url: string, body: string, headers: Record<string, string> = {}) {
	const response = await fetch(url, {method: 'POST', headers: {...postHeaders, ...headers}, body});
	return {status: response.status, text: await response.text()};
}

async function assertHealthy(t: ExecutionContext, proxy: RunningProxy, label: string): Promise<void> {
	t.is(proxy.process.exitCode, null, `${label}: the proxy is up`);
	t.true(await eventually(async () => {
		const {statusCode} = await proxy.status();
		return statusCode === 200;
	}, 10_000), `${label}: /status is 200`);
	const ledger = new Ledger();
	const peer = new HttpPeer(`${proxy.base}/mcp`, ledger);
	await peer.initialize();
	const answer = await peer.call('tools/call', {name: 'echo', arguments: {text: label}});
	t.is((answer?.result as {content: Array<{text: string}>} | undefined)?.content[0]?.text, label, `${label}: a fresh client is served`);
	await peer.close();
}

test.serial('JSON nested 100 000 levels deep, in HTTP bodies of both faces and in a child\'s answer: a clear refusal, never a crash', async t => {
	const proxy = await startServerMode(t, ['--request-timeout', '5s', '--', process.execPath, faultyServer]);
	for (const body of [deepArray, `[${deepArray}]`, initializeBody.replace('"capabilities":{}', `"capabilities":${deepObject}`)]) {
		// eslint-disable-next-line no-await-in-loop
		const {status, text} = await post(`${proxy.base}/mcp`, body);
		t.is(status, 400);
		t.regex(text, /Invalid Request: (?:a batch inside a batch|nested deeper than 1000 levels)/);
	}

	const ledger = new Ledger();
	const peer = new HttpPeer(`${proxy.base}/mcp`, ledger);
	await peer.initialize();
	const sessionHeaders = {'mcp-session-id': peer.sessionId!, 'mcp-protocol-version': '2025-06-18'};
	const inSession = await post(`${proxy.base}/mcp`, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":${deepObject}}`, sessionHeaders);
	t.is(inSession.status, 400);
	t.regex(inSession.text, /nested deeper than 1000 levels/);

	const legacy = new SsePeer(proxy.base, ledger);
	await legacy.initialize();
	const {endpoint} = (legacy as unknown as {endpoint: string});
	const viaSse = await post(endpoint, deepArray);
	t.is(viaSse.status, 400);

	// The child answers with a result nested 100 000 levels deep: the request is answered with an error that says so.
	const fromChild = await peer.call('tools/call', {name: 'deep', arguments: {depth}});
	t.regex(fromChild?.message ?? '', /sent an invalid response: nested deeper than 1000 levels/);
	assertAccounted(t, await ledger.settle(10_000, /nested deeper/));
	await assertHealthy(t, proxy, 'after deep JSON');
});

test.serial('client mode: a line nested 100 000 levels deep on standard input is answered with an error; the proxy carries on', async t => {
	const {urls} = await startRemoteProcess(t);
	const ledger = new Ledger();
	const peer = new StdioPeer([urls.mcp], ledger);
	t.teardown(() => {
		peer.kill();
	});
	await peer.initialize();
	ledger.send('deep', 'tools/call');
	peer.child.stdin.write(`{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":${deepObject}}\n${deepArray}\n`);
	const answer = await ledger.wait('deep', 10_000);
	t.regex(answer?.message ?? '', /Invalid request: nested deeper than 1000 levels/);
	const echo = await peer.call('tools/call', {name: 'echo', arguments: {text: 'still here'}});
	t.is((echo?.result as {content: Array<{text: string}>} | undefined)?.content[0]?.text, 'still here');
	assertAccounted(t, await ledger.settle(5000, /nested deeper/));
	t.regex(peer.stderr, /a batch inside a batch/);
});

/**
Write `prefix` at once, then `text` one byte every `interval` ms until the socket closes; resolves to what the server sent and how long it took.
*/
async function dribble(port: number, text: string, interval: number, prefix = ''): Promise<{received: string; ms: number}> {
	const started = Date.now();
	const socket: Socket = connect(port, '127.0.0.1');
	socket.setEncoding('utf8');
	let received = '';
	socket.on('data', (chunk: string) => {
		received += chunk;
	});
	socket.on('error', () => {
		// Reset by the server: that is the answer.
	});
	if (prefix !== '') {
		socket.write(prefix);
	}

	let index = 0;
	const timer = setInterval(() => {
		if (index < text.length && !socket.destroyed) {
			socket.write(text[index++]!);
		}
	}, interval);
	await new Promise<void>(resolve => {
		socket.once('close', () => {
			resolve();
		});
		setTimeout(() => {
			socket.destroy();
		}, 20_000).unref();
	});
	clearInterval(timer);
	return {received, ms: Date.now() - started};
}

test.serial('slow-loris: clients that send headers or a body too slowly are cut after --read-timeout, while others are served', async t => {
	const proxy = await startServerMode(t, ['--read-timeout', '2s', '--', process.execPath, faultyServer]);
	const {port} = new URL(proxy.base);
	const head = 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n';
	const slowHeaders = `${head}X-Padding: ${'x'.repeat(200)}\r\n\r\n`;
	const slowBody = `${head}Content-Length: ${initializeBody.length}\r\n\r\n${initializeBody}`;
	const headerAttackers = Array.from({length: 20}, async () => dribble(Number(port), slowHeaders, 250));
	// The headers arrive at once, the body a byte at a time.
	const [headers, body] = slowBody.split('\r\n\r\n') as [string, string];
	const bodyAttackers = Array.from({length: 20}, async () => dribble(Number(port), body, 250, `${headers}\r\n\r\n`));
	// Meanwhile, a normal client.
	await assertHealthy(t, proxy, 'during slow-loris');
	const headerResults = await Promise.all(headerAttackers);
	const bodyResults = await Promise.all(bodyAttackers);
	for (const {ms, received} of [...headerResults, ...bodyResults]) {
		t.true(ms < 15_000, `cut after ${ms} ms`);
		t.regex(received, /^$|^HTTP\/1\.1 408 /);
	}

	t.true(bodyResults.every(({received}) => received.startsWith('HTTP/1.1 408 ')), 'a slow body is answered 408 Request Timeout');
	await assertHealthy(t, proxy, 'after slow-loris');
});

test.serial('thousands of sessions opened and abandoned: bounded by --max-sessions (503 beyond), reaped by --session-timeout, memory bounded', async t => {
	const proxy = await startServerMode(t, ['--max-sessions', '200', '--session-timeout', '3s', '--', process.execPath, faultyServer]);
	await assertHealthy(t, proxy, 'warm-up');
	const pid = proxy.process.pid!;
	const rssBefore = residentBytes(pid);
	const statuses = new Map<string, number>();
	let most = 0;
	const open = async () => {
		const response = await fetch(`${proxy.base}/mcp`, {method: 'POST', headers: postHeaders, body: initializeBody});
		const {status} = response;
		const text = await response.text();
		// A refusal must say why.
		const key = status === 503 && text.includes('Too many sessions') ? '503 Too many sessions' : String(status);
		statuses.set(key, (statuses.get(key) ?? 0) + 1);
		const id = response.headers.get('mcp-session-id');
		if (status === 200 && id !== null) {
			// Complete: a half-open session would only make room for the next.
			await post(`${proxy.base}/mcp`, JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'}), {'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18'});
		}
	};

	// 1000 Streamable HTTP sessions, 25 at a time, never used again.
	for (let batch = 0; batch < 40; batch++) {
		// eslint-disable-next-line no-await-in-loop
		await Promise.all(Array.from({length: 25}, open));
		if (batch % 8 === 0) {
			// eslint-disable-next-line no-await-in-loop
			const {body} = await proxy.status();
			most = Math.max(most, body.servers.default.sessions as number);
		}
	}

	// 200 legacy SSE sessions whose clients vanish.
	const legacy = await Promise.all(Array.from({length: 100}, async () => {
		const controller = new AbortController();
		const response = await fetch(`${proxy.base}/sse`, {signal: controller.signal});
		return {controller, status: response.status};
	}));
	for (const {controller} of legacy) {
		controller.abort();
	}

	t.log('answers by status', Object.fromEntries(statuses), 'most sessions seen', most);
	t.deepEqual([...statuses.keys()].filter(status => status !== '200' && status !== '503 Too many sessions'), [], 'every initialize is accepted or refused with 503 Too many sessions');
	t.true((statuses.get('503 Too many sessions') ?? 0) > 0, 'the limit was hit');
	t.true(most <= 200, 'never more sessions than --max-sessions');
	t.true(await eventually(async () => {
		const {body} = await proxy.status();
		return body.servers.default.sessions === 0;
	}, 15_000), 'abandoned sessions are reaped');
	const rssAfter = residentBytes(pid);
	t.log(`RSS ${Math.round(rssBefore / 1e6)} MB before, ${Math.round(rssAfter / 1e6)} MB after`);
	// A loose sanity bound, not a measurement: 1300 sessions must not leave their memory behind.
	t.true(rssAfter - rssBefore < 96 * 1024 * 1024, 'memory stays bounded');
	await assertHealthy(t, proxy, 'after the flood');
});

/**
A session id one character off the real one (the last character changed, never to itself).
*/
function nearMiss(id: string): string {
	return `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;
}

test.serial('bogus session ids, spoofed Origin and Host, traversal in named-server routes, oversized headers and bodies: refused, and nothing reaches a session', async t => {
	const proxy = await startServerMode(t, ['--max-body-bytes', '64k', '--named-server', 'alpha', `${process.execPath} ${faultyServer}`, '--', process.execPath, faultyServer]);
	const port = Number(new URL(proxy.base).port);
	const ledger = new Ledger();
	const peer = new HttpPeer(`${proxy.base}/mcp`, ledger);
	await peer.initialize();
	const alpha = new HttpPeer(`${proxy.base}/servers/alpha/mcp`, ledger);
	await alpha.initialize();
	const ping = JSON.stringify({jsonrpc: '2.0', id: 2, method: 'ping'});
	const refusals: Array<[string, number, number]> = [];
	const expect = async (label: string, expected: number, options: Parameters<typeof raw>[1]) => {
		const response = await raw(port, options);
		refusals.push([label, response.status, expected]);
	};

	for (const id of ['00000000-0000-0000-0000-000000000000', 'x'.repeat(8000), '../../etc/passwd', nearMiss(peer.sessionId!), alpha.sessionId!]) {
		const headers = {...postHeaders, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18'};
		// eslint-disable-next-line no-await-in-loop
		await expect(`POST with session id ${id.slice(0, 40)}`, 404, {
			method: 'POST', path: '/mcp', headers, body: ping,
		});
		// eslint-disable-next-line no-await-in-loop
		await expect(`DELETE with session id ${id.slice(0, 40)}`, 404, {method: 'DELETE', path: '/mcp', headers});
	}

	await expect('legacy POST with a Streamable HTTP session id', 404, {
		method: 'POST', path: `/messages/?session_id=${peer.sessionId!}`, headers: postHeaders, body: ping,
	});
	await expect('foreign Origin', 403, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, origin: 'https://evil.example'}, body: initializeBody,
	});
	await expect('Origin null', 403, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, origin: 'null'}, body: initializeBody,
	});
	for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1.evil.example', 'localhost.evil.example:80']) {
		// eslint-disable-next-line no-await-in-loop
		await expect(`Host ${host}`, 403, {
			method: 'POST', path: '/mcp', headers: {...postHeaders, host}, body: initializeBody,
		});
	}

	const traversals = [
		'/servers/../mcp',
		'/servers/%2e%2e/mcp',
		'/servers/alpha/../../mcp',
		'/servers/alpha%2Fmcp/mcp',
		'/servers/alpha/..%2f..%2fstatus',
		'/servers//mcp',
		'/servers/ALPHA/mcp',
		'/servers/alpha/mcp/extra',
		'//mcp',
	];
	for (const target of traversals) {
		// eslint-disable-next-line no-await-in-loop
		await expect(`path ${target}`, 404, {
			method: 'POST', path: target, headers: postHeaders, body: initializeBody,
		});
	}

	await expect('headers over 16 KiB', 431, {method: 'GET', path: '/status', headers: {cookie: 'x'.repeat(20 * 1024)}});
	await expect('a body over --max-body-bytes', 413, {
		method: 'POST', path: '/mcp', headers: postHeaders, body: JSON.stringify({
			jsonrpc: '2.0', id: 1, method: 'x', params: {pad: 'x'.repeat(70 * 1024)},
		}),
	});
	t.deepEqual(refusals.filter(([, status, expected]) => status !== expected), [], 'every hostile request gets the expected refusal');
	const {body} = await proxy.status();
	t.is(body.servers.default.sessions, 1, 'no hostile request made a session of the default server');
	t.is(body.servers.alpha.sessions, 1);
	const answer = await peer.call('tools/call', {name: 'echo', arguments: {text: 'unharmed'}});
	t.is((answer?.result as {content: Array<{text: string}>} | undefined)?.content[0]?.text, 'unharmed');
	assertAccounted(t, await ledger.settle(5000, /^$/));
});

test.serial('header injection: header values with line breaks, from -H, --header or the config file, are refused (a usage error, exit 2; a configuration file error, exit 1)', async t => {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-hostile-'));
	const config = path.join(directory, 'servers.json');
	writeFileSync(config, JSON.stringify({mcpServers: {remote: {url: 'http://127.0.0.1:9/mcp', headers: {'X-Team': 'blue\r\nX-Injected: 1'}}}}));
	for (const args of [
		['-H', 'X-Team', 'blue\r\nX-Injected: 1', 'http://127.0.0.1:9/mcp'],
		['--header', 'X-Team: blue\nX-Injected: 1', 'http://127.0.0.1:9/mcp'],
		['-H', 'X-Team\r\nX-Injected', 'blue', 'http://127.0.0.1:9/mcp'],
		['--named-server-config', config],
	]) {
		// eslint-disable-next-line no-await-in-loop
		const {exitCode, stderr, stdout} = await execa(process.execPath, [cli, ...args], {reject: false, timeout: 20_000});
		t.is(exitCode, args[0] === '--named-server-config' ? 1 : 2, `${args.join(' ')} is refused`);
		t.regex(stderr, /line break|header name/);
		t.is(stdout, '');
	}
});

test.serial('hostile named-server config files: every bad value is refused (exit 1, as the Python tool does) naming the file, the server and the field; nothing starts', async t => {
	t.timeout(180_000);
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-hostile-config-'));
	const entry = (name: string, server: unknown) => JSON.stringify({mcpServers: {[name]: server}});
	const cases: Array<[label: string, text: string, expected: RegExp]> = [
		['a server named .', entry('.', {command: 'node'}), /server "\.": the name may not be \. or \.\./],
		['a server named ..', entry('..', {command: 'node'}), /server "\.\.": the name may not be \. or \.\./],
		['a name of 101 characters', entry('n'.repeat(101), {command: 'node'}), /the name may be at most 100 characters long/],
		['a name with a slash', entry('a/b', {command: 'node'}), /server "a\/b": the name may contain only letters/],
		['a name with a line break', entry('a\nb', {command: 'node'}), /server "a\\nb": the name may contain only letters/],
		['an empty command', entry('a', {command: ''}), /server "a", field "command": is empty/],
		['a command that is not a string', entry('a', {command: ['node']}), /server "a", field "command": expected a string/],
		['a NUL in the command', entry('a', {command: 'no\u0000de'}), /server "a", field "command": contains a NUL character/],
		['args that are not an array', entry('a', {command: 'node', args: 'x.js'}), /server "a", field "args": expected an array of strings/],
		['an argument that is a number', entry('a', {command: 'node', args: ['x.js', 1]}), /server "a", field "args\[1]": expected a string/],
		['a NUL in an argument', entry('a', {command: 'node', args: ['a\u0000b']}), /server "a", field "args\[0]": contains a NUL character/],
		['env that is an array', entry('a', {command: 'node', env: ['A=1']}), /server "a", field "env": expected an object of strings/],
		['an env value that is not a string', entry('a', {command: 'node', env: {A: {b: 1}}}), /server "a", field "env\.A": expected a string/],
		['a NUL in an env value', entry('a', {command: 'node', env: {A: 'x\u0000y'}}), /server "a", field "env\.A": contains a NUL character/],
		['a bad env name', entry('a', {command: 'node', env: {'A-B': '1'}}), /server "a", field "env\.A-B": not a valid variable name/],
		['a NUL in cwd', entry('a', {command: 'node', cwd: 'x\u0000y'}), /server "a", field "cwd": contains a NUL character/],
		['a command entry with an HTTP transport', entry('a', {command: 'node', type: 'sse'}), /server "a", field "type": "sse" needs a "url"/],
		['an unknown transport', entry('a', {command: 'node', transport: 'carrier-pigeon'}), /server "a", field "transport": expected stdio/],
		['a url with a bad scheme', entry('a', {url: 'file:///etc/passwd'}), /server "a", field "url": expected an http:\/\/ or https:\/\/ URL/],
		['a url with credentials', entry('a', {url: 'http://user:hunter2@127.0.0.1:9/mcp'}), /server "a", field "url": a user name or password in the URL is never sent/],
		['a url that is not one', entry('a', {url: 'http://'}), /server "a", field "url": not a valid URL/],
		['both command and url', entry('a', {command: 'node', url: 'http://127.0.0.1:9/mcp'}), /server "a": give either "command"/],
		['a header value that is not a string', entry('a', {url: 'http://127.0.0.1:9/mcp', headers: {'X-N': 1}}), /server "a", field "headers\.X-N": expected a string/],
		['enabled that is not a boolean', entry('a', {command: 'node', enabled: 'yes'}), /server "a", field "enabled": expected true or false/],
		['an entry that is null', entry('a', null), /server "a": expected an object/],
		['mcpServers that is an array', JSON.stringify({mcpServers: [{command: 'node'}]}), /"mcpServers" is missing or not an object/],
		['a variable that is not set', entry('a', {command: 'node', args: ['${RX_MCP_PROXY_UNSET}']}), /server "a", field "args\[0]": the variable \${RX_MCP_PROXY_UNSET} is not set/],
		['a file over 1 MiB', JSON.stringify({mcpServers: {a: {command: 'node', description: 'x'.repeat(1024 * 1024)}}}), /is larger than 1 MiB/],
		['not JSON', '{"mcpServers": {', /is not valid JSON/],
		['every server disabled', entry('a', {command: 'node', disabled: true}), /has no enabled server, and no command was given/],
	];
	const failures: string[] = [];
	const check = async ([label, text, expected]: typeof cases[number], index: number) => {
		const file = path.join(directory, `config-${index}.json`);
		writeFileSync(file, text);
		const {exitCode, stderr, stdout} = await execa(process.execPath, [cli, '--port', '0', '--named-server-config', file], {reject: false, timeout: 10_000});
		if (exitCode !== 1 || !stderr.startsWith(`mcp-proxy: ${file}`) || !expected.test(stderr) || stdout !== '') {
			failures.push(`${label}: exit ${String(exitCode)}, ${stderr.slice(0, 300)}`);
		}
	};

	// Four at a time.
	for (let start = 0; start < cases.length; start += 4) {
		// eslint-disable-next-line no-await-in-loop
		await Promise.all(cases.slice(start, start + 4).map(async (item, offset) => check(item, start + offset)));
	}

	t.deepEqual(failures, [], 'each is refused with exit 1 (as the Python tool exits on a configuration file it cannot use) and a message naming the file, the server and the field');
	const endless = await execa(process.execPath, [cli, '--port', '0', '--named-server-config', '/dev/zero'], {reject: false, timeout: 10_000});
	t.is(endless.exitCode, 1, 'an endless file is refused, not read into memory');
	t.regex(endless.stderr, /\/dev\/zero is larger than 1 MiB/);
	const cliName = await execa(process.execPath, [cli, '--port', '0', '--named-server', '..', 'node x.js'], {reject: false, timeout: 10_000});
	t.is(cliName.exitCode, 2);
	t.regex(cliName.stderr, /`--named-server` name `\.\.` may not be \. or \.\./);
});

/**
Open the GET stream of session `session` from the local address `from`; resolves, once its headers came, to the function that closes it.
*/
async function openStreamFrom(port: number, from: string, session: string): Promise<() => void> {
	return new Promise((resolve, reject) => {
		const request = httpRequest({
			host: '127.0.0.1', port, localAddress: from, method: 'GET', path: '/mcp', headers: {accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18'}, agent: false,
		}, response => {
			response.resume();
			resolve(() => {
				request.destroy();
			});
		});
		request.on('error', reject);
		request.end();
	});
}

/**
POST `body` to `/mcp` from the local address `from` (127.0.0.x are all this machine, and distinct clients to the proxy).
*/
async function postFrom(port: number, from: string, body: string, headers: Record<string, string> = {}): Promise<{status: number; text: string; session: string | undefined}> {
	return new Promise((resolve, reject) => {
		const request = httpRequest({
			host: '127.0.0.1', port, localAddress: from, method: 'POST', path: '/mcp', headers: {...postHeaders, ...headers}, timeout: 10_000, agent: false,
		}, response => {
			let text = '';
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				text += chunk;
			});
			response.on('end', () => {
				resolve({status: response.statusCode!, text, session: response.headers['mcp-session-id'] as string | undefined});
			});
		});
		request.on('timeout', () => {
			request.destroy(new Error('timed out'));
		});
		request.on('error', reject);
		request.end(body);
	});
}

test.serial('one client cannot lock the others out: --max-sessions-per-client bounds an address (429 when all its sessions are in use), half-open and then idle sessions make room, half-open ones go after --handshake-timeout', async t => {
	const proxy = await startServerMode(t, ['--max-sessions-per-client', '5', '--handshake-timeout', '1s', '--', process.execPath, faultyServer]);
	const port = Number(new URL(proxy.base).port);
	const sessions = async () => {
		const {body} = await proxy.status();
		return body.servers.default.sessions as number;
	};

	// A loop of initialize from one address, never another word: each is accepted (the oldest half-open session makes room), never more than 5 are held, and they go soon.
	const looped: number[] = [];
	for (let index = 0; index < 30; index++) {
		// eslint-disable-next-line no-await-in-loop
		const {status} = await postFrom(port, '127.0.0.2', initializeBody);
		looped.push(status);
	}

	t.deepEqual(new Set(looped), new Set([200]));
	t.true(await sessions() <= 5);
	t.true(await eventually(async () => await sessions() === 0, 15_000), 'half-open sessions end after --handshake-timeout');
	// Complete sessions from one address, each with its GET stream open (in use): five, then 429 naming the flag.
	const initialized = JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'});
	const answers: Array<{status: number; text: string}> = [];
	const streams: Array<() => void> = [];
	t.teardown(() => {
		for (const close of streams) {
			close();
		}
	});
	for (let index = 0; index < 6; index++) {
		// eslint-disable-next-line no-await-in-loop
		const answer = await postFrom(port, '127.0.0.2', initializeBody);
		answers.push(answer);
		if (answer.session !== undefined) {
			// eslint-disable-next-line no-await-in-loop
			await postFrom(port, '127.0.0.2', initialized, {'mcp-session-id': answer.session, 'mcp-protocol-version': '2025-06-18'});
			// eslint-disable-next-line no-await-in-loop
			streams.push(await openStreamFrom(port, '127.0.0.2', answer.session));
		}
	}

	t.deepEqual(answers.map(answer => answer.status), [200, 200, 200, 200, 200, 429]);
	t.regex(answers.at(-1)!.text, /Too many sessions from one client address: it has 5 open, the limit per address \(--max-sessions-per-client\)/);
	// One of them closes its stream: that idle session makes room for a new one.
	streams.shift()!();
	const admitted = async () => {
		const {status} = await postFrom(port, '127.0.0.2', initializeBody);
		return status === 200;
	};

	t.true(await eventually(admitted, 10_000), 'an idle session of the address makes room');
	// Everyone else is served.
	await assertHealthy(t, proxy, 'another client');
});
