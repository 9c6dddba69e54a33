import {createHash} from 'node:crypto';
import {existsSync} from 'node:fs';
import {readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {execa} from 'execa';
import {conformanceDirectory, nodeModules, root} from './paths.js';

const stampFile = path.join(nodeModules, '.rx-mcp-proxy-install-stamp');

async function lockDigest(): Promise<string> {
	const hash = createHash('sha256');
	for (const file of ['package.json', 'package-lock.json']) {
		// eslint-disable-next-line no-await-in-loop
		hash.update(await readFile(path.join(conformanceDirectory, file)));
	}

	return hash.digest('hex');
}

/**
Install the conformance package from its lock file (`npm ci --prefix test/conformance`) unless the installed copy was made from the same `package.json` and `package-lock.json`. Only the npm registry is needed.
*/
export async function ensureInstalled({log}: {log: (message: string) => void}): Promise<void> {
	const digest = await lockDigest();
	if (existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === digest) {
		return;
	}

	log('installing test/conformance from its lock file (npm ci --prefix test/conformance)');
	// `--engine-strict=false` on the command line: under `npm run`, the root's `engine-strict=true` reaches this npm as `npm_config_engine_strict` and would outrank test/conformance/.npmrc; some of the suite's dependencies declare `node >=22`, true where they run.
	await execa('npm', ['ci', '--prefix', path.relative(root, conformanceDirectory), '--no-audit', '--no-fund', '--engine-strict=false'], {
		cwd: root,
		stdout: 'inherit',
		stderr: 'inherit',
		timeout: 300_000,
	});
	await writeFile(stampFile, digest);
}
