// The bridge from a client of the 2026-07-28 revision (SDK v2, pinned: no fallback) to a server that speaks only 2025 (the SDK v1 echo fixture): through server mode in front of it as a stdio child (multiplexed, isolated, stateless) and through client mode in front of it over Streamable HTTP; and a tampered `requestState` refused over raw HTTP.
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {cli, echoServer} from '../helpers/fixtures.js';
import {startRemoteProcess} from '../helpers/remote.js';
import {runSdk2Client, type Sdk2Run, type Sdk2Scenario} from '../helpers/sdk2.js';
import {startServerMode, type RunningProxy} from '../helpers/server-mode.js';

// What fixtures/echo-tools.js can do (it has no `log` tool and no x-mcp-header parameters).
const scenarios: Sdk2Scenario[] = ['tools', 'progress', 'elicitation', 'sampling', 'roots', 'prompts', 'resources', 'list-changed'];
const envelope = {
	'io.modelcontextprotocol/protocolVersion': '2026-07-28',
	'io.modelcontextprotocol/clientCapabilities': {elicitation: {}},
	'io.modelcontextprotocol/clientInfo': {name: 'raw', version: '1'},
};

function bridged(t: ExecutionContext, run: Sdk2Run, diagnostics: string): void {
	t.is(run.error, undefined, `${diagnostics}`);
	t.is(run.era, 'modern', `${diagnostics}`);
	t.is(run.protocolVersion, '2026-07-28', `${diagnostics}`);
	t.deepEqual(scenarios.filter(name => !run.scenarios[name]?.ok), [], `${diagnostics}`);
}

for (const [flags, mode] of [[[], 'multiplexed'], [['--isolate-sessions'], 'isolated'], [['--stateless'], 'stateless']] as const) {
	test.serial(`a client pinned to 2026-07-28 works through server mode (${mode}) in front of a 2025-only SDK v1 child: ${scenarios.join(', ')}`, async t => {
		t.timeout(120_000);
		const proxy = await startServerMode(t, [...flags, '--', process.execPath, echoServer]);
		const run = await runSdk2Client(t, {mode: 'pinned', target: `${proxy.base}/mcp`, scenarios});
		bridged(t, run, `${JSON.stringify(run, undefined, 1)}\nproxy stderr:\n${proxy.stderr()}`);
		t.true(await proxy.logged(/bridged onto 2025 sessions/), `${proxy.stderr()}`);
	});
}

test.serial(`a client pinned to 2026-07-28 works through client mode in front of a 2025-only SDK v1 Streamable HTTP server: ${scenarios.join(', ')}`, async t => {
	t.timeout(120_000);
	const {urls} = await startRemoteProcess(t);
	const run = await runSdk2Client(t, {mode: 'pinned', target: [process.execPath, cli, urls.mcp], scenarios});
	bridged(t, run, `${JSON.stringify(run, undefined, 1)}`);
	t.regex(run.stderr, /bridged onto 2025 sessions/);
});

async function post(proxy: RunningProxy, body: Record<string, unknown>) {
	const response = await fetch(`${proxy.base}/mcp`, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			accept: 'application/json, text/event-stream',
			'mcp-protocol-version': '2026-07-28',
			'mcp-method': String(body['method']),
			...(typeof (body['params'] as {name?: unknown} | undefined)?.name === 'string' ? {'mcp-name': (body['params'] as {name: string}).name} : {}),
		},
		body: JSON.stringify(body),
	});
	const text = await response.text();
	const json = text.startsWith('{') ? text : text.split('\n').find(line => line.startsWith('data: {') && line.includes('"id"'))?.slice(6);
	return {status: response.status, body: JSON.parse(json ?? '{}') as Record<string, any>};
}

test.serial('over raw HTTP: a server request during a bridged call is input_required with a sealed requestState; a tampered, replayed or redirected one gets -32602', async t => {
	t.timeout(60_000);
	const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
	const discover = await post(proxy, {
		jsonrpc: '2.0', id: 1, method: 'server/discover', params: {_meta: envelope},
	});
	t.like(discover.body['result'], {
		supportedVersions: ['2026-07-28'], resultType: 'complete', ttlMs: 0, cacheScope: 'private',
	}, `${proxy.stderr()}`);
	t.is(discover.body['result']._meta['io.modelcontextprotocol/serverInfo'].name, 'echo-fixture');

	const parameters = {name: 'elicit', arguments: {message: 'Proceed?'}, _meta: envelope};
	const first = await post(proxy, {
		jsonrpc: '2.0', id: 2, method: 'tools/call', params: parameters,
	});
	const {result} = first.body;
	t.is(result?.resultType, 'input_required', `${JSON.stringify(first.body)}`);
	const [key] = Object.keys(result.inputRequests as Record<string, unknown>);
	t.is(result.inputRequests[key!].method, 'elicitation/create');
	t.is(typeof result.requestState, 'string');

	const inputResponses = {[key!]: {action: 'accept', content: {answer: 'yes'}}};
	const state = result.requestState as string;
	const tampered = `${state.slice(0, 5)}${state[5] === 'A' ? 'B' : 'A'}${state.slice(6)}`;
	for (const [why, parameters_] of [
		['tampered', {...parameters, inputResponses, requestState: tampered}],
		['other arguments', {
			...parameters, arguments: {message: 'Something else?'}, inputResponses, requestState: state,
		}],
	] as const) {
		// eslint-disable-next-line no-await-in-loop
		const refused = await post(proxy, {
			jsonrpc: '2.0', id: `refused ${why}`, method: 'tools/call', params: parameters_,
		});
		t.like(refused.body['error'], {code: -32_602, message: 'Invalid or expired requestState'}, `${why}`);
	}

	const retry = await post(proxy, {
		jsonrpc: '2.0', id: 3, method: 'tools/call', params: {...parameters, inputResponses, requestState: state},
	});
	t.like(retry.body['result'], {resultType: 'complete', content: [{type: 'text', text: 'accept: {"answer":"yes"}'}]}, `${JSON.stringify(retry.body)}`);
	const replay = await post(proxy, {
		jsonrpc: '2.0', id: 4, method: 'tools/call', params: {...parameters, inputResponses, requestState: state},
	});
	t.like(replay.body['error'], {code: -32_602, message: 'Invalid or expired requestState'}, 'replayed');
});
