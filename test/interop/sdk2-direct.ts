// The era baseline, no proxy: every SDK v2 client mode (pinned to 2026-07-28, auto, legacy) against every server of the matrix (SDK v2 modern-only and dual-era, SDK v1 2025-only; stdio and Streamable HTTP).
// Issue 18 is measured against it: what works here must work through the proxy, and the pairs that fail here (a pinned client and a 2025-only server, a 2025 client and a modern-only server) are the ones its bridges must make work.
import {Buffer} from 'node:buffer';
import test, {type ExecutionContext} from 'ava';
import {
	runSdk2Client, sdk2MatrixTable, sdk2Outcome, sdk2Scenarios, startSdk2Server, type Sdk2Mode, type Sdk2Report, type Sdk2ServerKind,
} from '../helpers/sdk2.js';

type Expectation = {
	mode: Sdk2Mode;
	server: Sdk2ServerKind;
	/**
	The era the client connects in, or why it cannot.
	*/
	outcome: 'modern' | 'legacy' | {fails: RegExp};
};

const eraNegotiationFailed = {fails: /ERA_NEGOTIATION_FAILED.*did not offer pinned protocol version 2026-07-28/};
const unsupportedVersion = {fails: /-32022.*Unsupported protocol version: 2025-11-25/};

const matrix: Expectation[] = [
	{mode: 'pinned', server: 'stdio-modern', outcome: 'modern'},
	{mode: 'pinned', server: 'stdio-dual', outcome: 'modern'},
	{mode: 'pinned', server: 'stdio-v1', outcome: eraNegotiationFailed},
	{mode: 'pinned', server: 'http-modern', outcome: 'modern'},
	{mode: 'pinned', server: 'http-dual', outcome: 'modern'},
	{mode: 'pinned', server: 'http-v1', outcome: eraNegotiationFailed},
	{mode: 'auto', server: 'stdio-modern', outcome: 'modern'},
	{mode: 'auto', server: 'stdio-dual', outcome: 'modern'},
	{mode: 'auto', server: 'stdio-v1', outcome: 'legacy'},
	{mode: 'auto', server: 'http-modern', outcome: 'modern'},
	{mode: 'auto', server: 'http-dual', outcome: 'modern'},
	{mode: 'auto', server: 'http-v1', outcome: 'legacy'},
	{mode: 'legacy', server: 'stdio-modern', outcome: unsupportedVersion},
	{mode: 'legacy', server: 'stdio-dual', outcome: 'legacy'},
	{mode: 'legacy', server: 'stdio-v1', outcome: 'legacy'},
	{mode: 'legacy', server: 'http-modern', outcome: unsupportedVersion},
	{mode: 'legacy', server: 'http-dual', outcome: 'legacy'},
	{mode: 'legacy', server: 'http-v1', outcome: 'legacy'},
];

// The SDK v1 echo fixture has no `log` and no `headers` tool: the client skips those scenarios there.
const v1Lacks = new Set(['logs', 'headers']);
const rows: Array<{client: string; server: string; report: Sdk2Report}> = [];

for (const expectation of matrix) {
	const {mode, server, outcome} = expectation;
	const title = `${mode} client ↔ ${server} server, directly`;
	const run = async (t: ExecutionContext) => {
		t.timeout(90_000);
		const started = await startSdk2Server(t, server);
		const report = await runSdk2Client(t, {mode, target: started.target});
		rows.push({client: mode, server, report});
		t.log(sdk2MatrixTable([{client: mode, server, report}]).split('\n')[1]);
		return {report, diagnostics: `client stderr:\n${report.stderr}\nserver stderr:\n${started.stderr()}`};
	};

	// Serial: each run is three or four Node processes (client, server, the SDK's throw-away probe sibling on stdio).
	if (typeof outcome === 'object') {
		test.serial(`${title}: cannot connect`, async t => {
			const {report, diagnostics} = await run(t);
			t.is(report.error?.stage, 'connect', `the client must fail to connect\n${diagnostics}`);
			t.regex(`${String(report.error?.code)} ${report.error?.message}`, outcome.fails);
			t.is(report.exitCode, 1);
		});
		continue;
	}

	test.serial(`${title}: connects in the ${outcome} era, every scenario works`, async t => {
		const {report, diagnostics} = await run(t);
		t.is(report.error, undefined, `the client must connect\n${diagnostics}`);
		t.is(report.era, outcome);
		t.is(report.protocolVersion, outcome === 'modern' ? '2026-07-28' : '2025-11-25');
		const expected = Object.fromEntries(sdk2Scenarios.map(name => [name, server.endsWith('v1') && v1Lacks.has(name) ? 'skipped' : 'ok']));
		const actual = Object.fromEntries(sdk2Scenarios.map(name => [name, sdk2Outcome(report.scenarios[name])]));
		t.deepEqual(actual, expected, `${JSON.stringify(report.scenarios, undefined, 2)}\n${diagnostics}`);
		t.true(report.ok);
		t.is(report.exitCode, 0);
	});
}

test.serial('2026 over HTTP: the client mirrors x-mcp-header arguments as Mcp-Param-* headers (Base64 for non-ASCII); a 2025 session sends none', async t => {
	t.timeout(90_000);
	const {target} = await startSdk2Server(t, 'http-dual');
	const modern = await runSdk2Client(t, {mode: 'pinned', target, scenarios: ['headers']});
	const legacy = await runSdk2Client(t, {mode: 'legacy', target, scenarios: ['headers']});
	t.like(modern.scenarios.headers?.headers, {
		'mcp-method': 'tools/call',
		'mcp-name': 'headers',
		'mcp-protocol-version': '2026-07-28',
		'mcp-param-region': `=?base64?${Buffer.from('Zürich').toString('base64')}?=`,
		'mcp-param-priority': '3',
	});
	const legacyHeaders = Object.keys(legacy.scenarios.headers?.headers ?? {});
	t.false(legacyHeaders.some(name => /^mcp-(param-|method|name)/.test(name)), `2025 headers: ${legacyHeaders.join(', ')}`);
	t.true(legacyHeaders.includes('mcp-session-id'));
});

test.serial('the baseline matrix', t => {
	t.log(`\n${sdk2MatrixTable(rows)}`);
	t.is(rows.length, matrix.length, 'every pairing ran (run the whole file to see the whole matrix)');
});
