#!/usr/bin/env node
// Build distribution/ from source/ — atomically, and only when it is out of date.
//
//   node scripts/build.js           build unless distribution/ was built from the source as it is now
//   node scripts/build.js --force   build anyway
//
// `npm install` in a clone, `npm pack` and `npx mcp-proxy` in a clone (which installs the clone into npx's cache and runs its `prepare`) all run
// this; an up-to-date build costs them a hash of the source instead of a 20-second compile. The compiler writes into a staging folder that replaces
// distribution/ only once it is complete, so a build interrupted (Ctrl-C on a slow first `npx`) leaves the previous one in place.
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {
	chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const output = path.join(root, 'distribution');
const staging = path.join(root, 'distribution.next');
const stampFile = '.build-stamp';

/**
A digest of everything the build reads: the source files (names and contents), the compiler settings and the compiler's version.
*/
function sourceDigest(compilerVersion) {
	const hash = createHash('sha256').update(`typescript ${compilerVersion}\n`);
	const files = readdirSync(path.join(root, 'source'), {recursive: true, encoding: 'utf8'})
		.map(file => path.join('source', file))
		.filter(file => file.endsWith('.ts'))
		.toSorted();
	for (const file of [...files, 'tsconfig.json', 'tsconfig.build.json']) {
		hash.update(`${file.split(path.sep).join('/')}\n`).update(readFileSync(path.join(root, file))).update('\n');
	}

	return hash.digest('hex');
}

function fail(message) {
	process.stderr.write(`build: ${message}\n`);
	process.exit(1);
}

const load = createRequire(import.meta.url);
let compiler;
try {
	compiler = load.resolve('typescript/bin/tsc');
} catch {
	if (existsSync(path.join(output, 'cli.js'))) {
		// An installed package (dependencies only): it was built before it was packed.
		process.exit(0);
	}

	fail('the TypeScript compiler is not installed; run `npm install` in the clone first');
}

const {version: compilerVersion} = load('typescript/package.json');
const digest = sourceDigest(compilerVersion);
const stampPath = path.join(output, stampFile);
if (!process.argv.includes('--force') && existsSync(path.join(output, 'cli.js')) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === digest) {
	process.exit(0);
}

rmSync(staging, {recursive: true, force: true});
const compiled = spawnSync(process.execPath, [compiler, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', staging], {stdio: 'inherit'});
if (compiled.status !== 0) {
	rmSync(staging, {recursive: true, force: true});
	fail(`the TypeScript compiler failed (exit ${compiled.status ?? compiled.signal})`);
}

chmodSync(path.join(staging, 'cli.js'), 0o755);
writeFileSync(path.join(staging, stampFile), digest);
rmSync(output, {recursive: true, force: true});
renameSync(staging, output);
