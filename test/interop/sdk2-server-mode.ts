// Server mode serving clients of the 2026-07-28 revision (SDK v2 2.4.0, pinned or falling back) next to 2025 ones, in front of SDK v2 stdio children (dual-era, modern-only) and the 2025-only SDK v1 echo fixture; and the HTTP edge of a modern request (its headers checked against its body, statuses by error code, 405 for GET/DELETE) over raw HTTP.
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {echoServer} from '../helpers/fixtures.js';
import {
	runSdk2Client, sdk2StdioCommand, type Sdk2Run, type Sdk2Scenario,
} from '../helpers/sdk2.js';
import {startServerMode, textOf, type RunningProxy} from '../helpers/server-mode.js';

const modernScenarios: Sdk2Scenario[] = ['tools', 'progress', 'logs', 'elicitation', 'sampling', 'roots', 'prompts', 'resources', 'list-changed'];
const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};

async function proxyFor(t: ExecutionContext, flags: string[], command: string[]): Promise<RunningProxy> {
	return startServerMode(t, [...flags, '--', ...command]);
}

async function post(proxy: RunningProxy, body: unknown, headers: Record<string, string>) {
	const response = await fetch(`${proxy.base}/mcp`, {
		method: 'POST',
		headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers},
		body: JSON.stringify(body),
	});
	const text = await response.text();
	return {status: response.status, headers: response.headers, body: text.startsWith('{') ? JSON.parse(text) as Record<string, any> : text};
}

function modernWorks(t: ExecutionContext, modern: Sdk2Run, diagnostics: string): void {
	t.is(modern.error, undefined, `${diagnostics}`);
	t.is(modern.era, 'modern');
	t.is(modern.protocolVersion, '2026-07-28');
	t.deepEqual(modernScenarios.filter(name => !modern.scenarios[name]?.ok), [], `${diagnostics}`);
}

async function bothEras(t: ExecutionContext, flags: string[], child: 'stdio-dual' | 'stdio-modern') {
	t.timeout(120_000);
	const proxy = await proxyFor(t, flags, sdk2StdioCommand(child));
	const [modern, legacy] = await Promise.all([
		runSdk2Client(t, {mode: 'pinned', target: `${proxy.base}/mcp`, scenarios: modernScenarios}),
		runSdk2Client(t, {mode: 'legacy', target: `${proxy.base}/mcp`, scenarios: ['tools', 'progress']}),
	]);
	const diagnostics = `modern: ${JSON.stringify(modern, undefined, 1)}\nlegacy: ${JSON.stringify(legacy)}\nproxy stderr:\n${proxy.stderr()}`;
	modernWorks(t, modern, diagnostics);
	return {proxy, legacy, diagnostics};
}

for (const [flags, mode] of [[[], 'multiplexed'], [['--isolate-sessions'], 'isolated']] as const) {
	test.serial(`a client pinned to 2026-07-28 and a 2025 client work at once through server mode (${mode}) in front of an SDK v2 dual-era child`, async t => {
		const {legacy, diagnostics} = await bothEras(t, [...flags], 'stdio-dual');
		t.is(legacy.error, undefined, `${diagnostics}`);
		t.is(legacy.protocolVersion, '2025-11-25');
		t.true(legacy.scenarios.tools?.ok && legacy.scenarios.progress?.ok, `${diagnostics}`);
	});
}

test.serial('in front of a 2026-only SDK v2 child (multiplexed), a pinned client works; a 2025 client is bridged to it, the era said once in the log, with no restart loop', async t => {
	const {proxy, legacy, diagnostics} = await bothEras(t, [], 'stdio-modern');
	t.is(legacy.error, undefined, `${diagnostics}`);
	t.true(legacy.scenarios.tools?.ok && legacy.scenarios.progress?.ok, `${diagnostics}`);
	t.true(await proxy.logged(/The server speaks protocol 2026-07-28 only/), `${diagnostics}`);
	t.notRegex(proxy.stderr(), /restarting in|trying again in/);
});

test.serial('in front of a 2026-only SDK v2 child (isolated), a pinned client works', async t => {
	const {diagnostics} = await bothEras(t, ['--isolate-sessions'], 'stdio-modern');
	t.notRegex(diagnostics, /restarting in/);
});

test.serial('in front of a 2025-only child, a pinned client and a dual-era one are bridged (test/interop/bridge-to-2025.ts has the scenarios), an SDK v1 client works as before', async t => {
	t.timeout(120_000);
	const proxy = await proxyFor(t, [], [process.execPath, echoServer]);
	const v1 = await proxy.connect('/mcp');
	const pinned = await runSdk2Client(t, {mode: 'pinned', target: `${proxy.base}/mcp`, scenarios: ['tools']});
	t.is(pinned.error, undefined, `${JSON.stringify(pinned)}\n${proxy.stderr()}`);
	t.true(pinned.scenarios.tools?.ok, `${JSON.stringify(pinned)}`);
	const auto = await runSdk2Client(t, {mode: 'auto', target: `${proxy.base}/mcp`, scenarios: ['tools', 'progress']});
	t.is(auto.error, undefined, `${JSON.stringify(auto)}\n${proxy.stderr()}`);
	// The bridge answers `server/discover`, so a client that could fall back has no need to.
	t.is(auto.era, 'modern');
	t.true(auto.scenarios.tools?.ok && auto.scenarios.progress?.ok, `${JSON.stringify(auto)}`);
	t.is(textOf(await v1.callTool({name: 'echo', arguments: {text: 'still here'}})), 'still here');
	t.true(await proxy.logged(/\(its 2026-07-28 instance\) speaks the 2025 revisions only/), `${proxy.stderr()}`);

	const raw = await post(proxy, {
		jsonrpc: '2.0', id: 'q', method: 'tools/list', params: {_meta: envelope},
	}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list'});
	t.is(raw.status, 200);
	t.like(raw.body, {id: 'q', result: {resultType: 'complete', ttlMs: 0, cacheScope: 'private'}});
	t.notRegex(proxy.stderr(), /restarting in|trying again in/);
});

test.serial('the HTTP edge of a modern request: headers against the body (400, -32020, with the id), envelope (-32602), version (-32022), 404, 405, no session id', async t => {
	t.timeout(60_000);
	const proxy = await proxyFor(t, [], sdk2StdioCommand('stdio-dual'));
	const headers = {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo'};
	const call = (meta: Record<string, unknown> = envelope) => ({
		jsonrpc: '2.0', id: 41, method: 'tools/call', params: {name: 'echo', arguments: {text: 'hi'}, _meta: meta},
	});

	const ok = await post(proxy, call(), headers);
	t.is(ok.status, 200, `${JSON.stringify(ok.body)}`);
	t.like(ok.body, {id: 41, result: {content: [{text: 'hi'}]}});
	t.is(ok.headers.get('mcp-session-id'), null);
	t.is(ok.headers.get('x-accel-buffering'), 'no');

	const cases: Array<[string, Record<string, string>, unknown, number, number]> = [
		['no Mcp-Name', {...headers, 'mcp-name': ''}, call(), 400, -32_020],
		['Mcp-Name of another tool', {...headers, 'mcp-name': 'other'}, call(), 400, -32_020],
		['Mcp-Method of another method', {...headers, 'mcp-method': 'tools/list'}, call(), 400, -32_020],
		['version header not the envelope\'s', {...headers, 'mcp-protocol-version': '2025-11-25'}, call(), 400, -32_020],
		['no clientCapabilities', headers, call({'io.modelcontextprotocol/protocolVersion': '2026-07-28'}), 400, -32_602],
		[
			'unsupported version',
			{...headers, 'mcp-protocol-version': '2099-01-01'},
			call({...envelope, 'io.modelcontextprotocol/protocolVersion': '2099-01-01'}),
			400,
			-32_022,
		],
	];
	for (const [name, caseHeaders, body, status, code] of cases) {
		const sent = Object.fromEntries(Object.entries(caseHeaders).filter(([, value]) => value !== ''));
		// eslint-disable-next-line no-await-in-loop
		const answer = await post(proxy, body, sent);
		t.is(answer.status, status, `${name}`);
		t.like(answer.body, {id: 41, error: {code}}, `${name}`);
	}

	const unknown = await post(proxy, {
		jsonrpc: '2.0', id: 42, method: 'ping', params: {_meta: envelope},
	}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'ping'});
	t.is(unknown.status, 404);
	t.like(unknown.body, {id: 42, error: {code: -32_601}});

	for (const method of ['GET', 'DELETE']) {
		// eslint-disable-next-line no-await-in-loop
		const response = await fetch(`${proxy.base}/mcp`, {method, headers: {accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28'}});
		t.is(response.status, 405, `${method}`);
		t.is(response.headers.get('allow'), 'POST');
		// eslint-disable-next-line no-await-in-loop
		await response.body?.cancel();
	}
});

test.serial('closing a modern request\'s response stream cancels it: the child is sent notifications/cancelled and stops the work', async t => {
	t.timeout(60_000);
	const proxy = await proxyFor(t, [], sdk2StdioCommand('stdio-dual'));
	const stats = async () => {
		const answer = await post(proxy, {
			jsonrpc: '2.0', id: 'stats', method: 'tools/call', params: {name: 'stats', arguments: {}, _meta: envelope},
		}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'stats'});
		const {result} = answer.body as {result: unknown};
		return JSON.parse(textOf(result)) as {slowStarted: number; slowCancelled: number; slowFinished: number};
	};

	const before = await stats();
	t.is(before.slowStarted, 0);
	const controller = new AbortController();
	const pending = fetch(`${proxy.base}/mcp`, {
		method: 'POST',
		signal: controller.signal,
		headers: {
			'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'slow',
		},
		body: JSON.stringify({
			jsonrpc: '2.0', id: 'long', method: 'tools/call', params: {name: 'slow', arguments: {ms: 30_000}, _meta: envelope},
		}),
	});
	let started = false;
	for (let attempt = 0; attempt < 100 && !started; attempt++) {
		// eslint-disable-next-line no-await-in-loop
		const now = await stats();
		started = now.slowStarted === 1;
	}

	t.true(started);
	controller.abort();
	// Aborted before its headers came: fetch rejects with an AbortError (a DOMException).
	t.is(await pending.then(() => 'answered', (error: unknown) => (error as {name?: string}).name), 'AbortError');
	let counters = await stats();
	for (let attempt = 0; attempt < 100 && counters.slowCancelled === 0; attempt++) {
		// eslint-disable-next-line no-await-in-loop
		counters = await stats();
	}

	t.deepEqual(counters, {slowStarted: 1, slowCancelled: 1, slowFinished: 0});
});

test.serial('a modern tools/call\'s Mcp-Param-* are checked against the declarations a tools/list taught: missing, mismatched or malformed ⇒ 400, -32020 (a stdio child sees none)', async t => {
	t.timeout(60_000);
	const proxy = await proxyFor(t, [], sdk2StdioCommand('stdio-dual'));
	const listed = await post(proxy, {
		jsonrpc: '2.0', id: 1, method: 'tools/list', params: {_meta: envelope},
	}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list'});
	t.is(listed.status, 200, `${JSON.stringify(listed.body)}`);
	const headers = {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'headers'};
	const call = (id: number, region: unknown) => ({
		jsonrpc: '2.0', id, method: 'tools/call', params: {name: 'headers', arguments: {region, priority: 3, text: 'hi'}, _meta: envelope},
	});
	const cases: Array<[string, unknown, Record<string, string>, number]> = [
		['both headers', 'Zürich', {'mcp-param-region': '=?base64?WsO8cmljaA==?=', 'mcp-param-priority': '3'}, 200],
		['an integer compared as a number', 'eu', {'mcp-param-region': 'eu', 'mcp-param-priority': '3.0'}, 200],
		['a null value expects no header', null, {'mcp-param-priority': '3'}, 200],
		['Mcp-Param-Region missing', 'eu', {'mcp-param-priority': '3'}, 400],
		['Mcp-Param-Priority of another value', 'eu', {'mcp-param-region': 'eu', 'mcp-param-priority': '4'}, 400],
		['bad Base64 padding', 'Hello', {'mcp-param-region': '=?base64?SGVsbG8?=', 'mcp-param-priority': '3'}, 400],
	];
	let id = 10;
	for (const [name, region, parameterHeaders, status] of cases) {
		// eslint-disable-next-line no-await-in-loop
		const answer = await post(proxy, call(++id, region), {...headers, ...parameterHeaders});
		t.is(answer.status, status, `${name}: ${JSON.stringify(answer.body)}`);
		t.like(answer.body, status === 200 ? {id, result: {resultType: 'complete'}} : {id, error: {code: -32_020}}, `${name}`);
	}
});
