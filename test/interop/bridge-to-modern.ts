// The bridge from a 2025-era client to a server that speaks 2026-07-28 only (issue 18, Deliver 4), with real peers: an SDK v2 client in `legacy` mode and an SDK v1 client,
// through server mode (multiplexed and isolated) in front of the SDK v2 modern-only stdio child, and through client mode in front of the SDK v2 modern-only HTTP server.
// Every scenario a 2025 client expects: tools, progress, logs after logging/setLevel, elicitation/sampling/roots (input_required turned into real requests), prompts, resource subscriptions and list-changed.
import {Buffer} from 'node:buffer';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js';
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
	CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema,
	ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {cli, echoServer} from '../helpers/fixtures.js';
import {eventually} from '../helpers/remote.js';
import {
	runSdk2Client, sdk2Outcome, sdk2Scenarios, sdk2StdioCommand, startSdk2Http, type Sdk2Run, type Sdk2Scenario,
} from '../helpers/sdk2.js';
import {startServerMode} from '../helpers/server-mode.js';

const textOf = (result: unknown) => (result as {content: Array<{text?: string}>}).content[0]?.text;

function everyScenarioPasses(t: ExecutionContext, report: Sdk2Run, more: string, scenarios: readonly string[] = sdk2Scenarios): void {
	const diagnostics = `${JSON.stringify(report.scenarios, undefined, 1)}\n${JSON.stringify(report.error)}\nclient stderr:\n${report.stderr}\n${more}`;
	t.is(report.error, undefined, diagnostics);
	t.is(report.era, 'legacy');
	t.is(report.protocolVersion, '2025-11-25');
	t.deepEqual(Object.fromEntries(scenarios.map(name => [name, sdk2Outcome(report.scenarios[name as Sdk2Scenario])])), Object.fromEntries(scenarios.map(name => [name, 'ok'])), diagnostics);
}

/**
The SDK v1 client's side of the scenarios: it declares elicitation, sampling and roots and answers them; what it heard is kept.
*/
function v1Client(): {client: Client; heard: Array<{method: string; params?: any}>; asked: string[]} {
	const client = new Client({name: 'v1-bridge-test', version: '1.0.0'}, {capabilities: {elicitation: {}, sampling: {}, roots: {listChanged: true}}});
	const heard: Array<{method: string; params?: any}> = [];
	const asked: string[] = [];
	client.setRequestHandler(ElicitRequestSchema, async () => {
		asked.push('elicitation');
		return {action: 'accept', content: {answer: 'yes'}};
	});
	client.setRequestHandler(CreateMessageRequestSchema, async () => {
		asked.push('sampling');
		return {
			role: 'assistant', content: {type: 'text', text: 'hi from v1'}, model: 'v1-model', stopReason: 'endTurn',
		};
	});
	client.setRequestHandler(ListRootsRequestSchema, async () => {
		asked.push('roots');
		return {roots: [{uri: 'file:///tmp/v1-root', name: 'v1'}]};
	});
	for (const schema of [LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema]) {
		client.setNotificationHandler(schema, notification => {
			heard.push(notification);
		});
	}

	return {client, heard, asked};
}

/**
Run every scenario with an SDK v1 client already connected through the bridge.
*/
async function v1Scenarios(t: ExecutionContext, {client, heard, asked}: ReturnType<typeof v1Client>, serverName: string): Promise<void> {
	t.is(client.getServerVersion()?.name, serverName);
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'hello v1'}})), 'hello v1');

	const progress: number[] = [];
	const done = await client.callTool({name: 'progress', arguments: {steps: 3, delayMs: 10}}, undefined, {
		onprogress(update) {
			progress.push(update.progress);
		},
	});
	t.is(textOf(done), 'done 3');
	t.deepEqual(progress, [1, 2, 3]);

	await client.setLoggingLevel('warning');
	await client.callTool({name: 'log', arguments: {}});
	t.true(await eventually(() => heard.filter(entry => entry.method === 'notifications/message').length >= 2, 5000));
	t.deepEqual(heard.filter(entry => entry.method === 'notifications/message').map(entry => entry.params.level), ['warning', 'error']);

	t.is(textOf(await client.callTool({name: 'elicit', arguments: {message: 'Proceed?'}})), 'accept: {"answer":"yes"}');
	t.is(textOf(await client.callTool({name: 'sample', arguments: {prompt: 'Say hi'}})), 'sampled: hi from v1');
	t.is(textOf(await client.callTool({name: 'roots', arguments: {}})), 'file:///tmp/v1-root');
	t.deepEqual(asked, ['elicitation', 'sampling', 'roots']);

	const prompt = await client.getPrompt({name: 'greeting', arguments: {name: 'Ada'}});
	t.is((prompt.messages[0]?.content as {text?: string}).text, 'Hello, Ada!');

	const uri = 'echo://watched';
	await client.subscribeResource({uri});
	await client.callTool({name: 'touch', arguments: {uri, text: 'v1 was here'}});
	t.true(await eventually(() => heard.some(entry => entry.method === 'notifications/resources/updated' && entry.params.uri === uri), 5000), JSON.stringify(heard));
	const updated = heard.find(entry => entry.method === 'notifications/resources/updated')!;
	t.false(JSON.stringify(updated).includes('subscriptionId'), 'the subscription id is not the 2025 client\'s business');
	await client.unsubscribeResource({uri});
	const read = await client.readResource({uri});
	t.is((read.contents[0] as {text?: string} | undefined)?.text, 'v1 was here');

	await client.callTool({name: 'notify-change', arguments: {}});
	t.true(await eventually(() => heard.some(entry => entry.method === 'notifications/tools/list_changed'), 5000), JSON.stringify(heard));
	const {tools} = await client.listTools();
	t.true(tools.some(tool => tool.name.startsWith('added-')));
	t.deepEqual(await client.ping(), {});
}

/**
Not `logs`: server mode sends a 2025 session's log messages on its GET stream, so they may come after the call's answer, where this client's scenario does not wait (the same through a 2025 child); the SDK v1 test below waits for them.
*/
const serverModeScenarios = sdk2Scenarios.filter(name => name !== 'logs');

for (const [flags, mode] of [[[], 'multiplexed'], [['--isolate-sessions'], 'isolated']] as const) {
	test.serial(`server mode (${mode}) bridges an SDK v2 client in legacy mode to a 2026-only SDK v2 child: every scenario works`, async t => {
		t.timeout(120_000);
		const proxy = await startServerMode(t, [...flags, '--', ...sdk2StdioCommand('stdio-modern')]);
		const report = await runSdk2Client(t, {mode: 'legacy', target: `${proxy.base}/mcp`, scenarios: serverModeScenarios});
		everyScenarioPasses(t, report, `proxy stderr:\n${proxy.stderr()}`, serverModeScenarios);
		t.is(report.server?.name, 'sdk2-stdio-modern');
	});

	test.serial(`server mode (${mode}) bridges an SDK v1 client to a 2026-only SDK v2 child: every scenario works`, async t => {
		t.timeout(120_000);
		const proxy = await startServerMode(t, [...flags, '--', ...sdk2StdioCommand('stdio-modern')]);
		const peer = v1Client();
		t.teardown(async () => peer.client.close());
		await peer.client.connect(new StreamableHTTPClientTransport(new URL('/mcp', proxy.base))).catch((error: unknown) => {
			throw new Error(`${String(error)}\n${proxy.stderr()}`);
		});
		await v1Scenarios(t, peer, 'sdk2-stdio-modern');
	});
}

test.serial('server mode (stateless) bridges each request: a 2025 client\'s initialize is answered from server/discover, and every later request, a session of its own, is served by the 2026-only server', async t => {
	t.timeout(60_000);
	const proxy = await startServerMode(t, ['--stateless', '--', ...sdk2StdioCommand('stdio-modern')]);
	const report = await runSdk2Client(t, {
		mode: 'legacy', target: `${proxy.base}/mcp`, scenarios: ['tools', 'progress', 'prompts', 'headers'], timeoutMs: 20_000,
	});
	everyScenarioPasses(t, report, `proxy stderr:\n${proxy.stderr()}`, ['tools', 'progress', 'prompts', 'headers']);
	t.is(report.protocolVersion, '2025-11-25');
});

test.serial('client mode bridges an SDK v2 client in legacy mode to a 2026-only SDK v2 HTTP server: every scenario works', async t => {
	t.timeout(120_000);
	const server = await startSdk2Http(t, 'http-modern');
	const report = await runSdk2Client(t, {mode: 'legacy', target: [process.execPath, cli, server.url]});
	everyScenarioPasses(t, report, `server stderr:\n${server.stderr()}`);
	t.is(report.server?.name, 'sdk2-http-modern');
	t.notRegex(report.stderr, /legacy SSE/, 'the -32022 is the bridge\'s cue, not a reason to try legacy SSE');
	t.notRegex(report.stderr, /^\[E /m, 'nothing went wrong: no error in the log');
});

test.serial('client mode bridges an SDK v1 client to a 2026-only SDK v2 HTTP server: every scenario works', async t => {
	t.timeout(120_000);
	const server = await startSdk2Http(t, 'http-modern');
	const peer = v1Client();
	const transport = new StdioClientTransport({
		command: process.execPath, args: [cli, server.url], env: process.env as Record<string, string>, stderr: 'pipe',
	});
	let stderr = '';
	transport.stderr?.on('data', (chunk: Uint8Array) => {
		stderr += Buffer.from(chunk).toString('utf8');
	});
	t.teardown(async () => peer.client.close());
	await peer.client.connect(transport).catch((error: unknown) => {
		throw new Error(`${String(error)}\n${stderr}`);
	});
	await v1Scenarios(t, peer, 'sdk2-http-modern');
});

test.serial('/status of a server that speaks one era: 200 while it serves both through the bridge, each era\'s side named', async t => {
	t.timeout(90_000);
	const waitFor = async (proxy: Awaited<ReturnType<typeof startServerMode>>, accept: (body: any) => boolean) => {
		let status = await proxy.status();
		for (let attempt = 0; attempt < 100 && !accept(status.body); attempt++) {
			// eslint-disable-next-line no-await-in-loop
			await new Promise(resolve => {
				setTimeout(resolve, 50);
			});
			// eslint-disable-next-line no-await-in-loop
			status = await proxy.status();
		}

		return status;
	};

	const modernOnly = await startServerMode(t, ['--', ...sdk2StdioCommand('stdio-modern')]);
	const before = await waitFor(modernOnly, body => body.servers.default.eras.legacy === 'bridged');
	t.is(before.statusCode, 200, `${JSON.stringify(before.body)}`);
	t.like(before.body.servers.default, {state: 'idle', eras: {legacy: 'bridged', modern: 'not started'}});
	const report = await runSdk2Client(t, {mode: 'legacy', target: `${modernOnly.base}/mcp`, scenarios: ['tools']});
	t.is(report.error, undefined);
	const after = await waitFor(modernOnly, body => body.servers.default.state === 'running');
	t.is(after.statusCode, 200);
	t.like(after.body.servers.default, {state: 'running', eras: {legacy: 'bridged', modern: 'running'}});

	const legacyOnly = await startServerMode(t, ['--', process.execPath, echoServer]);
	const pinned = await runSdk2Client(t, {mode: 'pinned', target: `${legacyOnly.base}/mcp`, scenarios: ['tools']});
	t.is(pinned.error, undefined);
	const bridged = await waitFor(legacyOnly, body => body.servers.default.eras.modern === 'bridged');
	t.is(bridged.statusCode, 200);
	t.like(bridged.body.servers.default, {state: 'running', eras: {legacy: 'running', modern: 'bridged'}});
});
