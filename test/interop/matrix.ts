// The era matrix through the proxy (issue 18's "done when"): every client of both SDKs (v2 pinned to 2026-07-28, v2 auto, v2 2025, v1) against every server
// (SDK v2 modern-only and dual-era, SDK v1 2025-only) in every topology: server mode (multiplexed, isolated, stateless) in front of stdio servers, client mode
// in front of Streamable HTTP servers, and a two-hop chain (client mode → server mode → stdio server). Each pairing that works directly (test/interop/sdk2-direct.ts)
// works here, and so do the pairs that cannot work directly (a pinned client and a 2025-only server, a 2025 client and a modern-only server), through the bridges.
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {cli} from '../helpers/fixtures.js';
import {
	runSdk2Client, sdk2MatrixTable, sdk2Outcome, sdk2Scenarios, sdk2StdioCommand, startSdk2Server, type Sdk2Mode, type Sdk2Report, type Sdk2Run, type Sdk2Scenario,
} from '../helpers/sdk2.js';
import {startServerMode} from '../helpers/server-mode.js';

type Topology = 'multiplexed' | 'isolated' | 'stateless' | 'client mode' | 'chain';
type ServerKind = 'modern' | 'dual' | 'v1';

const clients: Sdk2Mode[] = ['pinned', 'auto', 'legacy', 'v1'];
const servers: ServerKind[] = ['modern', 'dual', 'v1'];
const topologies: Topology[] = ['multiplexed', 'isolated', 'stateless', 'client mode', 'chain'];
const serverFlags: Record<'multiplexed' | 'isolated' | 'stateless', string[]> = {multiplexed: [], isolated: ['--isolate-sessions'], stateless: ['--stateless']};
// A 2025 session is what carries server→client requests, logs and unsolicited notifications: without one (`--stateless`) a 2025 client has only these.
const sessionless: Sdk2Scenario[] = ['tools', 'progress', 'prompts', 'headers'];
// The SDK v1 echo fixture has no `log` and no `headers` tool.
const v1Lacks = new Set<Sdk2Scenario>(['logs', 'headers']);
const rows: Array<{client: string; server: string; report: Sdk2Report}> = [];

const eraOf = (client: Sdk2Mode) => client === 'pinned' || client === 'auto' ? 'modern' : 'legacy';

function scenariosFor(client: Sdk2Mode, topology: Topology): Sdk2Scenario[] {
	return topology === 'stateless' && eraOf(client) === 'legacy' ? sessionless : [...sdk2Scenarios];
}

/**
Where the clients connect: the proxy's URL (server mode) or the command line of a client-mode proxy (stdio).
*/
async function startTopology(t: ExecutionContext, topology: Topology, server: ServerKind): Promise<{target: string | string[]; stderr: () => string}> {
	if (topology === 'client mode') {
		const started = await startSdk2Server(t, server === 'v1' ? 'http-v1' : `http-${server}`);
		return {target: [process.execPath, cli, started.target as string], stderr: started.stderr};
	}

	const command = sdk2StdioCommand(server === 'v1' ? 'stdio-v1' : `stdio-${server}`);
	const proxy = await startServerMode(t, [...(topology === 'chain' ? [] : serverFlags[topology]), '--', ...command]);
	const url = `${proxy.base}/mcp`;
	return {target: topology === 'chain' ? [process.execPath, cli, url] : url, stderr: proxy.stderr};
}

for (const topology of topologies) {
	for (const server of servers) {
		test.serial(`${topology}, ${server} server: every client connects and every scenario works`, async t => {
			t.timeout(150_000);
			const started = await startTopology(t, topology, server);
			// One client at a time: on a shared stdio server a log line carries no request id, so two clients' log scenarios at once would each see the other's lines (docs/protocol-eras.md).
			const reports: Sdk2Run[] = [];
			for (const client of clients) {
				// eslint-disable-next-line no-await-in-loop
				reports.push(await runSdk2Client(t, {
					mode: client, target: started.target, scenarios: scenariosFor(client, topology), timeoutMs: 60_000,
				}));
			}

			const failures: string[] = [];
			for (const [index, client] of clients.entries()) {
				const report = reports[index]!;
				rows.push({client: `${client} (${topology})`, server, report});
				const era = eraOf(client);
				const wanted = scenariosFor(client, topology);
				const expected = Object.fromEntries(wanted.map(name => [name, server === 'v1' && v1Lacks.has(name) ? 'skipped' : 'ok']));
				const actual = Object.fromEntries(wanted.map(name => [name, sdk2Outcome(report.scenarios[name])]));
				const version = era === 'modern' ? '2026-07-28' : '2025-11-25';
				if (report.error !== undefined || report.era !== era || report.protocolVersion !== version || JSON.stringify(actual) !== JSON.stringify(expected)) {
					failures.push(`${client}: era ${String(report.era)} ${String(report.protocolVersion)}, error ${JSON.stringify(report.error)}\n${JSON.stringify(report.scenarios)}\n${report.stderr.slice(-3000)}`);
				}
			}

			t.log(sdk2MatrixTable(clients.map((client, index) => ({client, server, report: reports[index]!}))));
			t.deepEqual(failures, [], `proxy stderr:\n${started.stderr().slice(-4000)}`);
		});
	}
}

test.serial('the matrix through the proxy', t => {
	t.log(`\n${sdk2MatrixTable(rows)}`);
	t.is(rows.length, topologies.length * servers.length * clients.length, 'every pairing ran (run the whole file to see the whole matrix)');
});
