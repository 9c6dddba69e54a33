import {existsSync} from 'node:fs';
import {
	mkdtemp, readdir, readFile, rm,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {execa} from 'execa';
import {
	conformanceClient, conformanceClient2026, conformanceSuite, conformanceSuite2026, node22, root,
} from './paths.js';

/**
One scenario's outcome, from the suite's own `checks.json`.
*/
export type ScenarioResult = {
	scenario: string;
	passed: number;
	failed: number;
	warnings: number;
	/**
	`name: message` of every FAILURE check (and, for client scenarios, why the run itself failed).
	*/
	failures: string[];
	/**
	`name: message` of every WARNING check.
	*/
	warningMessages: string[];
};

type Check = {id: string; name: string; status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED'; description?: string; errorMessage?: string};

function summarize(scenario: string, checks: Check[]): ScenarioResult {
	const describe = (check: Check) => `${check.name}: ${check.errorMessage ?? check.description ?? ''}`;
	return {
		scenario,
		passed: checks.filter(check => check.status === 'SUCCESS').length,
		failed: checks.filter(check => check.status === 'FAILURE').length,
		warnings: checks.filter(check => check.status === 'WARNING').length,
		failures: checks.filter(check => check.status === 'FAILURE').map(check => describe(check)),
		warningMessages: checks.filter(check => check.status === 'WARNING').map(check => describe(check)),
	};
}

/**
Which suite runs: 0.1.16 (`--suite all`, the 2025 wire) or 0.2.0-alpha.12 with the 2026-07-28 requirements.
*/
export type SuiteEra = '2025' | '2026';

const suites: Record<SuiteEra, string> = {2025: conformanceSuite, 2026: conformanceSuite2026};

async function runSuite(arguments_: string[], timeoutMs: number, era: SuiteEra = '2025') {
	return execa(node22(), [suites[era], ...arguments_], {
		cwd: root, reject: false, timeout: timeoutMs, all: true,
	});
}

/**
The installed suite's version, from its package.json.
*/
export async function suiteVersion(era: SuiteEra = '2025'): Promise<string> {
	const manifest = JSON.parse(await readFile(path.join(path.dirname(suites[era]), '..', 'package.json'), 'utf8')) as {version: string};
	return manifest.version;
}

/**
The server scenarios of the suite, as `conformance list --server` prints them.
*/
export async function listServerScenarios(): Promise<string[]> {
	const {stdout, exitCode} = await runSuite(['list', '--server'], 30_000);
	if (exitCode !== 0) {
		throw new Error(`conformance list --server failed:\n${stdout}`);
	}

	return [...stdout.matchAll(/^\s+- (\S+)/gm)].map(match => match[1]!);
}

/**
The server scenarios the 2026-07-28 requirements score (`conformance list --requirements 2026-07-28`, its "Server scenarios" block; the client block and the never-scored ones follow it).
*/
export async function listServerScenarios2026(): Promise<string[]> {
	const {stdout, exitCode} = await runSuite(['list', '--requirements', '2026-07-28'], 30_000, '2026');
	const block = /^Server scenarios.*\n((?:\s+- \S+\n)+)/m.exec(`${stdout}\n`)?.[1];
	if (exitCode !== 0 || !block) {
		throw new Error(`conformance list --requirements 2026-07-28 printed no server scenarios (exit ${String(exitCode)}):\n${stdout}`);
	}

	return [...block.matchAll(/^\s+- (\S+)/gm)].map(match => match[1]!);
}

const serverResultDirectory = /^server-(.+)-\d{4}(?:-\d{2}){2}T(?:\d{2}-){3}\d{3}Z$/;

/**
Every scenario's checks. A scenario that threw (the suite's `Failed to run scenario NAME: …`, e.g. a 400 where it expected a result) leaves its folder without checks.json: it counts as one failure, with the suite's line as the reason.
*/
async function readServerResults(outputDirectory: string, output: string): Promise<Map<string, ScenarioResult>> {
	const results = new Map<string, ScenarioResult>();
	for (const entry of await readdir(outputDirectory)) {
		const scenario = serverResultDirectory.exec(entry)?.[1];
		const checksFile = path.join(outputDirectory, entry, 'checks.json');
		if (scenario && existsSync(checksFile)) {
			// eslint-disable-next-line no-await-in-loop
			results.set(scenario, summarize(scenario, JSON.parse(await readFile(checksFile, 'utf8')) as Check[]));
		} else if (scenario) {
			const why = output.split('\n').find(line => line.startsWith(`Failed to run scenario ${scenario}:`)) ?? 'the suite wrote no checks.json for it';
			results.set(scenario, {
				scenario, passed: 0, failed: 1, warnings: 0, failures: [why], warningMessages: [],
			});
		}
	}

	return results;
}

/**
Run `conformance server --url URL --suite all` (0.1.16), or with `era: '2026'` `--requirements 2026-07-28` (0.2.0-alpha.12), and read every scenario's checks. `results` follows `expected` (a scenario there without results counts as failed); `unscored` holds the scenarios the suite ran besides them (2026: the extension and pending ones it reports but never scores).
*/
export async function runServerSuite(url: string, expected: string[], era: SuiteEra = '2025'): Promise<{
	results: ScenarioResult[];
	unscored: ScenarioResult[];
	exitCode: number | undefined;
	output: string;
}> {
	const outputDirectory = await mkdtemp(path.join(os.tmpdir(), 'conformance-server-'));
	try {
		const selection = era === '2026' ? ['--requirements', '2026-07-28'] : ['--suite', 'all'];
		const run = await runSuite(['server', '--url', url, ...selection, '--output-dir', outputDirectory], 240_000, era);
		const results = await readServerResults(outputDirectory, String(run.all));
		for (const scenario of expected) {
			if (!results.has(scenario)) {
				const why = `no results: the suite did not run it (exit ${String(run.exitCode)}${run.timedOut ? ', timed out' : ''})`;
				results.set(scenario, {
					scenario, passed: 0, failed: 1, warnings: 0, failures: [why], warningMessages: [],
				});
			}
		}

		return {
			results: expected.map(scenario => results.get(scenario)!),
			unscored: [...results.values()].filter(result => !expected.includes(result.scenario)),
			exitCode: run.exitCode,
			output: String(run.all),
		};
	} finally {
		await rm(outputDirectory, {recursive: true, force: true});
	}
}

async function findChecks(directory: string): Promise<string | undefined> {
	for (const entry of await readdir(directory, {withFileTypes: true, recursive: true})) {
		if (entry.isFile() && entry.name === 'checks.json') {
			return path.join(entry.parentPath, entry.name);
		}
	}

	return undefined;
}

/**
Run one client scenario with the driver (`fixtures/conformance-client.js`; with `era: '2026'` the suite 0.2.0-alpha.12 at `--spec-version 2026-07-28` and `fixtures/conformance-client-2026.js`), directly or through client mode. It passes when the suite says so: no FAILURE and no WARNING check, the driver exited 0 in time.
*/
export async function runClientScenario(scenario: string, {viaProxy, era = '2025'}: {viaProxy: boolean; era?: SuiteEra}): Promise<ScenarioResult & {output: string}> {
	const driver = era === '2026' ? conformanceClient2026 : conformanceClient;
	// The suite splits `--command` on spaces and runs it through a shell, appending the scenario URL.
	for (const part of [process.execPath, driver]) {
		if (/\s/.test(part)) {
			throw new Error(`The conformance suite cannot run a command whose path contains spaces: ${part}`);
		}
	}

	const command = [process.execPath, driver, ...(viaProxy ? ['--via-proxy'] : [])].join(' ');
	const outputDirectory = await mkdtemp(path.join(os.tmpdir(), 'conformance-client-'));
	try {
		const wire = era === '2026' ? ['--spec-version', '2026-07-28'] : [];
		const run = await runSuite(['client', '--command', command, '--scenario', scenario, ...wire, '--timeout', '30000', '--output-dir', outputDirectory], 90_000, era);
		const checksFile = await findChecks(outputDirectory);
		const checks = checksFile ? JSON.parse(await readFile(checksFile, 'utf8')) as Check[] : [];
		const result = summarize(scenario, checks);
		if (run.exitCode !== 0 && result.failed === 0 && result.warnings === 0) {
			// The suite failed the run for the client's exit code or a time-out.
			result.failed = 1;
			result.failures.push(`the suite failed the run (exit ${String(run.exitCode)}${run.timedOut ? ', timed out' : ''}); see its output`);
		}

		return {...result, output: String(run.all)};
	} finally {
		await rm(outputDirectory, {recursive: true, force: true});
	}
}
