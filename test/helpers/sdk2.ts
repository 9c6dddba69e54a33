// Spawn the SDK v2 (2.4.0) test peers of fixtures/sdk2/ and run their scriptable client: the real 2026-07-28 and dual-era clients and servers the era tests drive, each killed in teardown.
import process from 'node:process';
import type {ExecutionContext} from 'ava';
import {execa} from 'execa';
import {echoServer, fixture} from './fixtures.js';
import {startRemoteProcess} from './remote.js';

export const sdk2Client = fixture('sdk2/client.js');
/**
The SDK v1 counterpart (2025 only), same command line and report.
*/
export const v1Client = fixture('v1-client.js');

/**
The servers of the era matrix: SDK v2 modern-only and dual-era peers over stdio and Streamable HTTP, and the SDK v1 echo fixture (2025-only) over both.
*/
export const sdk2ServerKinds = ['stdio-modern', 'stdio-dual', 'stdio-v1', 'http-modern', 'http-dual', 'http-v1'] as const;
export type Sdk2ServerKind = typeof sdk2ServerKinds[number];

/**
`pinned` speaks only 2026-07-28; `auto` probes with server/discover and falls back to `initialize`; `legacy` is a plain 2025 client; `v1` is the SDK v1 client (`fixtures/v1-client.js`), 2025 only.
*/
export const sdk2Modes = ['pinned', 'auto', 'legacy'] as const;
export type Sdk2Mode = typeof sdk2Modes[number] | 'v1';

export const sdk2Scenarios = ['tools', 'progress', 'logs', 'elicitation', 'sampling', 'roots', 'prompts', 'headers', 'resources', 'list-changed'] as const;
export type Sdk2Scenario = typeof sdk2Scenarios[number];

export type Sdk2ScenarioResult = {
	[detail: string]: unknown;
	ok?: boolean;
	/**
	Why the scenario did not run (the server has no tool for it).
	*/
	skipped?: string;
	error?: {message: string; code?: number | string};
	/**
	The `headers` scenario: the Mcp-* request headers the server saw.
	*/
	headers?: Record<string, string>;
};

/**
`ok`, `failed` or `skipped`.
*/
export function sdk2Outcome(result: Sdk2ScenarioResult | undefined): 'ok' | 'failed' | 'skipped' | 'missing' {
	if (!result) {
		return 'missing';
	}

	if (result.skipped) {
		return 'skipped';
	}

	return result.ok ? 'ok' : 'failed';
}

/**
What `fixtures/sdk2/client.js` prints: the era it connected in and each scenario's outcome.
*/
export type Sdk2Report = {
	ok: boolean;
	mode: Sdk2Mode;
	era?: 'modern' | 'legacy';
	protocolVersion?: string;
	server?: {name: string; version: string};
	scenarios: Partial<Record<Sdk2Scenario | 'connect', Sdk2ScenarioResult>>;
	error?: {stage: 'connect' | 'deadline' | 'setup'; message: string; code?: number | string};
};

export type Sdk2Run = Sdk2Report & {exitCode: number | undefined; stderr: string};

export type RunningSdk2Server = {
	/**
	`http://127.0.0.1:PORT/mcp`
	*/
	url: string;
	stderr: () => string;
	stop: () => Promise<void>;
};

const stdioFiles = {'stdio-modern': fixture('sdk2/stdio-modern.js'), 'stdio-dual': fixture('sdk2/stdio-dual.js'), 'stdio-v1': echoServer} as const;
const httpFiles = {'http-modern': fixture('sdk2/http-modern.js'), 'http-dual': fixture('sdk2/http-dual.js')} as const;
const listening = /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/;

/**
The command line that runs a stdio server of the matrix.
*/
export function sdk2StdioCommand(kind: keyof typeof stdioFiles): string[] {
	return [process.execPath, stdioFiles[kind]];
}

/**
Start an HTTP peer of `fixtures/sdk2/` on a free port; resolves with its URL once it prints it. Stopped in teardown.
*/
export async function startSdk2Http(t: ExecutionContext, kind: keyof typeof httpFiles, {timeoutMs = 20_000} = {}): Promise<RunningSdk2Server> {
	const child = execa(process.execPath, [httpFiles[kind], '--port', '0'], {
		stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', reject: false, timeout: 120_000,
	});
	let stderr = '';
	const stop = async () => {
		if (child.exitCode === null) {
			child.kill('SIGKILL');
		}

		await child;
	};

	t.teardown(stop);
	const url = await new Promise<string>((resolve, reject) => {
		const timer = setTimeout(() => {
			reject(new Error(`${kind} printed no URL within ${timeoutMs} ms; stderr:\n${stderr}`));
		}, timeoutMs);
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (chunk: string) => {
			stderr = (stderr + chunk).slice(-64 * 1024);
			const found = listening.exec(stderr)?.[1];
			if (found) {
				clearTimeout(timer);
				resolve(found);
			}
		});
		void child.then(result => {
			clearTimeout(timer);
			reject(new Error(`${kind} exited (${String(result.exitCode ?? result.signal)}) before printing its URL; stderr:\n${stderr}`));
		});
	});
	return {url, stderr: () => stderr, stop};
}

/**
Start any server of the matrix: the HTTP ones as processes (URL), the stdio ones as a command for the client to spawn.
*/
export async function startSdk2Server(t: ExecutionContext, kind: Sdk2ServerKind): Promise<{target: string | string[]; stderr: () => string}> {
	if (kind === 'http-v1') {
		const {urls} = await startRemoteProcess(t);
		return {target: urls.mcp, stderr: () => ''};
	}

	if (kind === 'http-modern' || kind === 'http-dual') {
		const server = await startSdk2Http(t, kind);
		return {target: server.url, stderr: server.stderr};
	}

	return {target: sdk2StdioCommand(kind), stderr: () => ''};
}

/**
Run `fixtures/sdk2/client.js` against `target` (a URL, or the command line of a stdio server) and return its report. The process is killed in teardown if it is still running.
*/
export async function runSdk2Client(t: ExecutionContext, {
	mode, target, scenarios = 'all', logLevel, capabilities, timeoutMs = 40_000, env,
}: {
	mode: Sdk2Mode;
	target: string | string[];
	scenarios?: 'all' | 'connect' | Sdk2Scenario[];
	logLevel?: string;
	capabilities?: Record<string, unknown>;
	timeoutMs?: number;
	env?: Record<string, string>;
}): Promise<Sdk2Run> {
	const arguments_ = [
		mode === 'v1' ? v1Client : sdk2Client,
		'--mode',
		mode,
		'--scenario',
		Array.isArray(scenarios) ? scenarios.join(',') : scenarios,
		'--timeout',
		String(timeoutMs),
		...(logLevel ? ['--log-level', logLevel] : []),
		...(capabilities ? ['--capabilities', JSON.stringify(capabilities)] : []),
		...(typeof target === 'string' ? [target] : ['--', ...target]),
	];
	const child = execa(process.execPath, arguments_, {
		stdin: 'ignore', reject: false, timeout: timeoutMs + 10_000, env,
	});
	t.teardown(() => {
		if (child.exitCode === null) {
			child.kill('SIGKILL');
		}
	});
	const result = await child;
	const line = result.stdout.split('\n').findLast(candidate => candidate.startsWith('{'));
	if (!line) {
		throw new Error(`${mode === 'v1' ? 'fixtures/v1-client.js' : 'fixtures/sdk2/client.js'} printed no report (exit ${String(result.exitCode ?? result.signal)}); stderr:\n${result.stderr}`);
	}

	return {...JSON.parse(line) as Sdk2Report, exitCode: result.exitCode, stderr: result.stderr};
}

const outcomeMarks = {
	ok: '✓', failed: '✗', skipped: '–', missing: ' ',
} as const;
const columns: Record<Sdk2Scenario, string> = {
	tools: 'tools',
	progress: 'progress',
	logs: 'logs',
	elicitation: 'elicit',
	sampling: 'sample',
	roots: 'roots',
	prompts: 'prompts',
	headers: 'headers',
	resources: 'resources',
	'list-changed': 'list_changed',
};

/**
An era matrix as text, one line per client × server run: the version it connected in and ✓ passed, ✗ failed, – skipped (the server has no such tool) per scenario, or why it could not connect.
*/
export function sdk2MatrixTable(rows: Array<{client: string; server: string; report: Sdk2Report}>): string {
	const clientWidth = Math.max(6, ...rows.map(row => row.client.length));
	const serverWidth = Math.max(6, ...rows.map(row => row.server.length));
	const header = ['client'.padEnd(clientWidth), 'server'.padEnd(serverWidth), 'connected'.padEnd(10), ...sdk2Scenarios.map(name => columns[name])].join(' ');
	const lines = rows.map(({client, server, report}) => {
		const start = `${client.padEnd(clientWidth)} ${server.padEnd(serverWidth)} `;
		if (report.error) {
			return `${start}${'no'.padEnd(10)} ${`${report.error.stage} fails: ${String(report.error.code ?? '')} ${report.error.message}`.slice(0, 120)}`;
		}

		const marks = sdk2Scenarios.map(name => outcomeMarks[sdk2Outcome(report.scenarios[name])].padEnd(columns[name].length));
		return `${start}${String(report.protocolVersion).padEnd(10)} ${marks.join(' ')}`.trimEnd();
	});
	return [header, ...lines, '✓ passed, ✗ failed, – skipped (the server has no such tool)'].join('\n');
}
