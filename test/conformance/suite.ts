import {
	mkdtemp, readdir, readFile, rm,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {execa} from 'execa';
import {
	conformanceClient, conformanceSuite, node22, root,
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

async function runSuite(arguments_: string[], timeoutMs: number) {
	return execa(node22(), [conformanceSuite, ...arguments_], {
		cwd: root, reject: false, timeout: timeoutMs, all: true,
	});
}

/**
The installed suite's version, from its package.json.
*/
export async function suiteVersion(): Promise<string> {
	const manifest = JSON.parse(await readFile(path.join(path.dirname(conformanceSuite), '..', 'package.json'), 'utf8')) as {version: string};
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

const serverResultDirectory = /^server-(.+)-\d{4}(?:-\d{2}){2}T(?:\d{2}-){3}\d{3}Z$/;

/**
Run `conformance server --url URL --suite all` and read every scenario's checks. A scenario in `expected` without results counts as failed.
*/
export async function runServerSuite(url: string, expected: string[]): Promise<{results: ScenarioResult[]; exitCode: number | undefined; output: string}> {
	const outputDirectory = await mkdtemp(path.join(os.tmpdir(), 'conformance-server-'));
	try {
		const run = await runSuite(['server', '--url', url, '--suite', 'all', '--output-dir', outputDirectory], 240_000);
		const results = new Map<string, ScenarioResult>();
		for (const entry of await readdir(outputDirectory)) {
			const scenario = serverResultDirectory.exec(entry)?.[1];
			if (scenario) {
				// eslint-disable-next-line no-await-in-loop
				const checks = JSON.parse(await readFile(path.join(outputDirectory, entry, 'checks.json'), 'utf8')) as Check[];
				results.set(scenario, summarize(scenario, checks));
			}
		}

		for (const scenario of expected) {
			if (!results.has(scenario)) {
				const why = `no results: the suite did not run it (exit ${String(run.exitCode)}${run.timedOut ? ', timed out' : ''})`;
				results.set(scenario, {
					scenario, passed: 0, failed: 1, warnings: 0, failures: [why], warningMessages: [],
				});
			}
		}

		return {results: expected.map(scenario => results.get(scenario)!), exitCode: run.exitCode, output: String(run.all)};
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
Run one client scenario with the driver (`fixtures/conformance-client.js`), directly or through client mode. It passes when the suite says so: no FAILURE and no WARNING check, the driver exited 0 in time.
*/
export async function runClientScenario(scenario: string, {viaProxy}: {viaProxy: boolean}): Promise<ScenarioResult & {output: string}> {
	// The suite splits `--command` on spaces and runs it through a shell, appending the scenario URL.
	for (const part of [process.execPath, conformanceClient]) {
		if (/\s/.test(part)) {
			throw new Error(`The conformance suite cannot run a command whose path contains spaces: ${part}`);
		}
	}

	const command = [process.execPath, conformanceClient, ...(viaProxy ? ['--via-proxy'] : [])].join(' ');
	const outputDirectory = await mkdtemp(path.join(os.tmpdir(), 'conformance-client-'));
	try {
		const run = await runSuite(['client', '--command', command, '--scenario', scenario, '--timeout', '30000', '--output-dir', outputDirectory], 90_000);
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
