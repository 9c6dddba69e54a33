/*
The package as a user gets it: `npm pack`, then `npm install --global` of the tarball into a scratch prefix, as an install from the registry would be. The tarball holds the built program and nothing a user does not run; the installed copy has no dev dependency and works: `--help`, `--version`, and a real run of both modes (server mode serving the echo fixture, an SDK client reaching it through client mode, both from the installed copy).
*/
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {execa} from 'execa';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js';
import {echoServer, root} from './helpers/fixtures.js';
import {startServerMode} from './helpers/server-mode.js';

type PackedFile = {path: string};

test('npm pack, then npm install --global of the tarball: mcp-proxy runs both modes with production dependencies only', async t => {
	t.timeout(300_000);
	const scratch = await mkdtemp(path.join(tmpdir(), 'rx-mcp-proxy-package-'));
	t.teardown(async () => rm(scratch, {recursive: true, force: true}));
	const packed = await execa('npm', ['pack', '--json', '--pack-destination', scratch], {cwd: root, timeout: 180_000});
	const [{filename, files}] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{filename: string; files: PackedFile[]}];
	const paths = files.map(file => file.path);
	t.true(paths.includes('distribution/cli.js') && paths.includes('distribution/index.js') && paths.includes('distribution/index.d.ts'));
	t.deepEqual(paths.filter(file => !file.startsWith('distribution/')).toSorted(), ['package.json', 'readme.md'], 'only the built program, its manifest and its readme');
	t.deepEqual(paths.filter(file => /\.map$|\.build-stamp$/.test(file)), [], 'no source maps (their sources are not packed) and no build stamp');

	const prefix = path.join(scratch, 'prefix');
	// --prefer-offline: the dependencies come from npm's cache, which the clone's own `npm install` filled.
	await execa('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(scratch, filename)], {timeout: 240_000});
	const installed = path.join(prefix, 'lib', 'node_modules', 'rx-mcp-proxy');
	const bin = path.join(prefix, 'bin', 'mcp-proxy');
	for (const devDependency of ['typescript', 'ava', 'xo', 'tsx', '@modelcontextprotocol/client', '@modelcontextprotocol/server']) {
		t.false(existsSync(path.join(installed, 'node_modules', devDependency)), `${devDependency} is a dev dependency`);
	}

	const help = await execa(bin, ['--help']);
	t.regex(help.stdout, /mcp-proxy/);
	t.regex(help.stdout, /--port/);
	const version = await execa(bin, ['--version']);
	t.regex(version.stdout.trim(), /\d+\.\d+\.\d+/);

	const server = await startServerMode(t, ['--', process.execPath, echoServer], {cli: path.join(installed, 'distribution', 'cli.js')});
	const client = new Client({name: 'package-test', version: '1.0.0'});
	await client.connect(new StdioClientTransport({command: bin, args: [`${server.base}/mcp`], stderr: 'pipe'}));
	t.teardown(async () => client.close());
	const result = await client.callTool({name: 'echo', arguments: {text: 'installed'}}) as {content: Array<{text: string}>};
	t.is(result.content[0]!.text, 'installed');
});
