import process from 'node:process';
import {readFile} from 'node:fs/promises';
import test from 'ava';
import {execa} from 'execa';
import {cli, root} from './helpers/fixtures.js';

const run = async (...argv: string[]) => execa(process.execPath, [cli, ...argv], {reject: false, timeout: 20_000});

test('--help prints the usage to stdout and exits 0', async t => {
	const {exitCode, stdout} = await run('--help');
	t.is(exitCode, 0);
	t.regex(stdout, /^Usage\n {2}\$ mcp-proxy \[options] URL/);
	t.regex(stdout, /--named-server-config FILE/);
});

test('--version prints the program and the package version, as the Python mcp-proxy does (`mcp-proxy 0.1.0`)', async t => {
	const {version} = JSON.parse(await readFile(`${root}/package.json`, 'utf8')) as {version: string};
	const {exitCode, stdout} = await run('--version');
	t.is(exitCode, 0);
	t.is(stdout, `mcp-proxy ${version}`);
});

for (const [argv, message] of [
	[['--headers', 'Authorization'], /`--headers` expects two values/],
	[['--bogus', 'https://x.test/mcp'], /Unknown option `--bogus`/],
	[['--port', 'abc', 'node', 'server.js'], /`--port` expects an integer between 0 and 65535, got `abc`/],
] as const) {
	test(`exits 2 with a message naming the flag: ${argv.join(' ')}`, async t => {
		const {exitCode, stderr, stdout} = await run(...argv);
		t.is(exitCode, 2);
		t.regex(stderr, message);
		t.is(stdout, '');
	});
}
