// Server mode in front of remote (URL) servers of its config file, for clients of the 2026-07-28 revision: modern requests reach an SDK v2 HTTP server (modern-only, dual-era) as modern POSTs, a 2025-only remote (SDK v1) is a verdict (-32022 naming the 2025 versions, the dual-era client falls back), and the HTTP→HTTP hop carries the request's Mcp-* headers.
import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {runSdk2Client, startSdk2Http, type Sdk2Scenario} from '../helpers/sdk2.js';
import {startRemoteProcess} from '../helpers/remote.js';
import {startServerMode, type RunningProxy} from '../helpers/server-mode.js';

const modernScenarios: Sdk2Scenario[] = ['tools', 'progress', 'logs', 'elicitation', 'sampling', 'roots', 'prompts', 'headers', 'resources'];
const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};

/**
Server mode whose config file names each of `remotes` (name → URL) as a remote server.
*/
async function proxyOf(t: ExecutionContext, remotes: Record<string, string>): Promise<RunningProxy> {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-remote-modern-'));
	const config = path.join(directory, 'servers.json');
	writeFileSync(config, JSON.stringify({mcpServers: Object.fromEntries(Object.entries(remotes).map(([name, url]) => [name, {url}]))}));
	return startServerMode(t, ['--named-server-config', config]);
}

async function post(url: string, body: unknown, headers: Record<string, string>) {
	const response = await fetch(url, {
		method: 'POST',
		headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers},
		body: JSON.stringify(body),
		signal: AbortSignal.timeout(20_000),
	});
	const text = await response.text();
	const json = text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)?.[1];
	return {status: response.status, body: json === undefined ? text : JSON.parse(json) as Record<string, any>};
}

for (const kind of ['http-modern', 'http-dual'] as const) {
	test.serial(`a client pinned to 2026-07-28 works through server mode in front of a remote SDK v2 server (${kind}) of the config file`, async t => {
		t.timeout(120_000);
		const remote = await startSdk2Http(t, kind);
		const proxy = await proxyOf(t, {remote: remote.url});
		const modern = await runSdk2Client(t, {mode: 'pinned', target: `${proxy.base}/servers/remote/mcp`, scenarios: modernScenarios});
		const diagnostics = `${JSON.stringify(modern, undefined, 1)}\nproxy stderr:\n${proxy.stderr()}\nremote stderr:\n${remote.stderr()}`;
		t.is(modern.error, undefined, diagnostics);
		t.is(modern.era, 'modern');
		t.deepEqual(modernScenarios.filter(name => !modern.scenarios[name]?.ok), [], diagnostics);
	});
}

test.serial('in front of a 2025-only remote (SDK v1) of the config file, pinned and dual-era clients are bridged onto 2025 sessions of it, with no restart loop', async t => {
	t.timeout(120_000);
	const remote = await startRemoteProcess(t);
	const proxy = await proxyOf(t, {old: remote.urls.mcp});
	const target = `${proxy.base}/servers/old/mcp`;
	for (const mode of ['pinned', 'auto'] as const) {
		// eslint-disable-next-line no-await-in-loop
		const run = await runSdk2Client(t, {mode, target, scenarios: ['tools', 'elicitation', 'sampling']});
		t.is(run.error, undefined, `${JSON.stringify(run)}\n${proxy.stderr()}`);
		t.is(run.era, 'modern', 'the proxy answers server/discover for the 2025-only remote');
		t.true(run.scenarios.elicitation?.ok && run.scenarios.sampling?.ok, `${JSON.stringify(run.scenarios)}`);
	}

	const raw = await post(target, {
		jsonrpc: '2.0', id: 'q', method: 'tools/list', params: {_meta: envelope},
	}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list'});
	t.is(raw.status, 200);
	t.like(raw.body, {id: 'q', result: {resultType: 'complete'}});
	t.true(await proxy.logged(/\(its 2026-07-28 instance\) speaks the 2025 revisions only/), `${proxy.stderr()}`);
	t.notRegex(proxy.stderr(), /restarting in|trying again in/, 'no restart loop');
});

test.serial('as an HTTP→HTTP intermediary, server mode forwards Mcp-Param-* and unknown Mcp-* headers verbatim, and rebuilds Mcp-Method and Mcp-Name from the forwarded body', async t => {
	t.timeout(60_000);
	const remote = await startSdk2Http(t, 'http-modern');
	const proxy = await proxyOf(t, {remote: remote.url});
	// No tools/list went through the proxy first: it knows no x-mcp-header declaration, so the Mcp-Param-* reach the remote only if forwarded.
	const answer = await post(`${proxy.base}/servers/remote/mcp`, {
		jsonrpc: '2.0', id: 'call-1', method: 'tools/call', params: {name: 'headers', arguments: {region: 'eu', priority: 3, text: 'hi'}, _meta: envelope},
	}, {
		'mcp-protocol-version': '2026-07-28',
		'mcp-method': 'tools/call',
		'mcp-name': 'headers',
		'mcp-param-region': 'eu',
		'mcp-param-priority': '3',
		'mcp-trace-id': 'trace 42',
	});
	const diagnostics = `${JSON.stringify(answer.body)}\nproxy stderr:\n${proxy.stderr()}\nremote stderr:\n${remote.stderr()}`;
	t.is(answer.status, 200, diagnostics);
	t.like(answer.body, {id: 'call-1'}, diagnostics);
	const seen = JSON.parse((answer.body as {result: {content: Array<{text: string}>}}).result.content[0]!.text) as {headers: Record<string, string>};
	t.deepEqual(seen.headers, {
		'mcp-protocol-version': '2026-07-28',
		'mcp-method': 'tools/call',
		'mcp-name': 'headers',
		'mcp-param-region': 'eu',
		'mcp-param-priority': '3',
		'mcp-trace-id': 'trace 42',
	});
});
