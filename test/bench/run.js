#!/usr/bin/env node
// `npm run bench`: install the benchmark's own dependencies (the peers) from its lock file when they are
// missing or stale, then run the harness. Never part of `npm test`.
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const lockFile = path.join(benchDirectory, 'package-lock.json');
const stampFile = path.join(benchDirectory, 'node_modules/.bench-lock-hash');

function ensureInstalled() {
	const hash = createHash('sha256').update(readFileSync(lockFile)).digest('hex');
	if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === hash) {
		return;
	}

	process.stderr.write('bench: installing the peers (npm ci in test/bench)…\n');
	const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
	// A clean npm environment: `npm run bench` passes the root's settings down as npm_config_* variables, and
	// the root's engine-strict would refuse mcp-proxy's dependency pipenet (it declares Node >= 22; mcp-proxy
	// itself declares no engines and runs on Node 20). Installing as a user of mcp-proxy would: not strict.
	const env = {
		...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_(config|package|lifecycle)_/i.test(name))),
		// eslint-disable-next-line camelcase
		npm_config_engine_strict: 'false',
	};
	const {status, error} = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {cwd: benchDirectory, env, stdio: ['ignore', 'inherit', 'inherit']});
	if (error || status !== 0) {
		process.stderr.write(`bench: npm ci in test/bench failed${error ? `: ${error.message}` : ` with code ${status}`}\n`);
		process.exit(1);
	}

	writeFileSync(stampFile, `${hash}\n`);
}

// A session making thousands of calls piles abort listeners on its transport's AbortSignal until fetch's
// requests are collected (the same for every profile): keep that one warning out of the log, print the others.
process.removeAllListeners('warning');
process.on('warning', warning => {
	if (warning.name !== 'MaxListenersExceededWarning') {
		process.stderr.write(`${warning.name}: ${warning.message}\n`);
	}
});

ensureInstalled();
const {main} = await import('./harness.js');
// Exit at once: idle keep-alive sockets of closed sessions must not hold the run open.
process.exit(await main(process.argv.slice(2)));
