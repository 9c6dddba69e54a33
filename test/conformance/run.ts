// The conformance run: the official MCP conformance suite and a third-party client (inspector-cli) against the fixture and, once enabled, the proxy.
//   npm run test:conformance                                  the enabled targets (targets.ts)
//   npm run test:conformance -- --target server/proxy-chain   chosen targets, enabled or pending (repeatable)
//   npm run test:conformance -- --all                         every target
// Prints one line per scenario, the failures in full, and a closing `N passed, N failed` line; exits 1 on any failure.
import {existsSync} from 'node:fs';
import process from 'node:process';
import {parseArgs} from 'node:util';
import {execa} from 'execa';
import {ensureInstalled} from './install.js';
import {inspectorChecks, type InspectorCheck} from './inspector.js';
import {cli, conformanceServer, node22} from './paths.js';
import {startFixtureHttp, startServerTarget, type RunningTarget} from './spawn-target.js';
import {
	listServerScenarios, runClientScenario, runServerSuite, suiteVersion, type ScenarioResult,
} from './suite.js';
import {
	allTargets, clientScenarios, clientSignInScenarios, enabledTargets, pendingTargets, type ClientTargetName, type InspectorTargetName, type ServerTargetName, type TargetName,
} from './targets.js';

const {values} = parseArgs({options: {target: {type: 'string', multiple: true}, all: {type: 'boolean', default: false}}});
const chosen = values.all ? allTargets : (values.target ?? enabledTargets);
for (const name of chosen) {
	if (!allTargets.includes(name as TargetName)) {
		throw new TypeError(`Unknown target \`${name}\`; targets: ${allTargets.join(', ')}`);
	}
}

const say = (line: string) => {
	process.stdout.write(`${line}\n`);
};

let passed = 0;
let failed = 0;
const failureReports: string[] = [];
const running = new Set<RunningTarget>();

function describe(result: ScenarioResult): string {
	return [
		`${result.passed} checks passed`,
		result.failed > 0 ? `${result.failed} failed` : '',
		result.warnings > 0 ? `${result.warnings} warnings: ${result.warningMessages.join('; ')}` : '',
	].filter(Boolean).join(', ');
}

function record(label: string, ok: boolean, detail: string, report?: string) {
	if (ok) {
		passed++;
	} else {
		failed++;
		if (report) {
			failureReports.push(`--- ${label} ---\n${report}`);
		}
	}

	say(`${ok ? '✔' : '✘'} ${label}${detail ? ` (${detail})` : ''}`);
}

async function withTarget<T>(start: () => Promise<RunningTarget>, use: (target: RunningTarget) => Promise<T>): Promise<T> {
	const target = await start();
	running.add(target);
	try {
		return await use(target);
	} finally {
		running.delete(target);
		await target.stop();
	}
}

async function runServerTarget(name: ServerTargetName, scenarios: string[]) {
	const started = Date.now();
	try {
		await withTarget(async () => startServerTarget(name), async target => {
			const {results, exitCode, output} = await runServerSuite(target.url, scenarios);
			for (const result of results) {
				record(`${name} ${result.scenario}`, result.failed === 0, describe(result), result.failures.join('\n'));
			}

			if (exitCode !== 0 && results.every(result => result.failed === 0)) {
				record(`${name} suite exit code`, false, `exit ${String(exitCode)}`, output);
			} else if (results.some(result => result.failed > 0)) {
				failureReports.push(`--- ${name}: the suite's output ---\n${output}\n--- ${name}: the target's stderr ---\n${target.stderr()}`);
			}
		});
	} catch (error) {
		record(`${name} (could not run)`, false, String(error), String(error));
	}

	say(`  ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function runClientTarget(name: ClientTargetName) {
	const started = Date.now();
	for (const scenario of [...clientScenarios, ...clientSignInScenarios]) {
		try {
			// eslint-disable-next-line no-await-in-loop
			const result = await runClientScenario(scenario, {viaProxy: name === 'client/via-proxy'});
			// Like the suite, a client scenario with a WARNING check fails.
			const ok = result.failed === 0 && result.warnings === 0;
			record(`${name} ${scenario}`, ok, describe(result), `${[...result.failures, ...result.warningMessages].join('\n')}\n\nsuite output:\n${result.output}`);
		} catch (error) {
			record(`${name} ${scenario} (could not run)`, false, String(error), String(error));
		}
	}

	say(`  ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function runInspectorTarget(name: InspectorTargetName) {
	const started = Date.now();
	const checks: InspectorCheck[] = [];
	try {
		await withTarget(startFixtureHttp, async fixture => {
			if (name === 'inspector/direct') {
				checks.push(
					...await inspectorChecks('fixture /mcp (http)', {target: [fixture.url], transport: 'http'}),
					...await inspectorChecks('fixture /sse (sse)', {target: [fixture.sseUrl], transport: 'sse'}),
					...await inspectorChecks('fixture over stdio', {target: [process.execPath, conformanceServer]}),
				);
				return;
			}

			await withTarget(async () => startServerTarget('server/proxy-multiplexed'), async proxy => {
				checks.push(
					...await inspectorChecks('server mode /mcp (http)', {target: [proxy.url], transport: 'http'}),
					...await inspectorChecks('server mode /sse (sse)', {target: [proxy.sseUrl], transport: 'sse'}),
				);
			});
			checks.push(...await inspectorChecks('client mode over stdio', {target: [process.execPath, cli, fixture.url]}));
		});
	} catch (error) {
		checks.push({name: 'could not run', error: String(error)});
	}

	for (const check of checks) {
		record(`${name} ${check.name}`, check.error === undefined, '', check.error);
	}

	say(`  ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function stopEverythingNow() {
	for (const target of running) {
		void target.stop();
	}
}

process.once('SIGINT', () => {
	stopEverythingNow();
	process.exit(130);
});
process.once('SIGTERM', () => {
	stopEverythingNow();
	process.exit(143);
});

const started = Date.now();
await ensureInstalled({log: say});
if (chosen.some(name => name.includes('proxy')) && !existsSync(cli)) {
	throw new Error(`${cli} is missing: run \`npm run build\` first`);
}

const {stdout: node22Version} = await execa(node22(), ['--version']);
say(`conformance suite ${await suiteVersion()} on Node ${node22Version} (${node22()}); targets: ${chosen.join(', ')}${values.target ?? values.all ? '' : ` (pending: ${pendingTargets.join(', ')})`}`);
const serverScenarios = await listServerScenarios();
for (const name of chosen) {
	if (name.startsWith('server/')) {
		// eslint-disable-next-line no-await-in-loop
		await runServerTarget(name as ServerTargetName, serverScenarios);
	} else if (name.startsWith('client/')) {
		// eslint-disable-next-line no-await-in-loop
		await runClientTarget(name as ClientTargetName);
	} else {
		// eslint-disable-next-line no-await-in-loop
		await runInspectorTarget(name as InspectorTargetName);
	}
}

for (const report of failureReports) {
	process.stderr.write(`\n${report}\n`);
}

say(`conformance: ${((Date.now() - started) / 1000).toFixed(1)} s`);
say(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
