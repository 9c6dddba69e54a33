/*
The readme's library examples are the files of examples/, which `npx tsc --noEmit` type-checks: every TypeScript or JavaScript block of the readme is the body of one file there, and every file is in the readme, so they cannot drift. One of them runs here, against a real stdio fixture.
*/
import {readdir, readFile} from 'node:fs/promises';
import test from 'ava';
import {execa} from 'execa';
import {root} from './helpers/fixtures.js';

const scriptLanguages = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);

/** An example file without its opening comment (the file's one job, which the readme says in prose). */
function bodyOf(text: string): string {
	return text.replace(/^\/\*[\s\S]*?\*\/\n/, '').trim();
}

test('every script block of the readme is the body of one examples file, and every file is in the readme', async t => {
	const readme = await readFile(`${root}/readme.md`, 'utf8');
	const blocks = [...readme.matchAll(/^```(?<language>\w*)\n(?<code>[\s\S]*?)^```$/gm)]
		.filter(match => scriptLanguages.has(match.groups!['language']!))
		.map(match => match.groups!['code']!.trim());
	const entries = await readdir(`${root}/examples`);
	const names = entries.filter(name => name.endsWith('.ts'));
	const files = new Map<string, string>();
	for (const name of names) {
		// eslint-disable-next-line no-await-in-loop
		files.set(bodyOf(await readFile(`${root}/examples/${name}`, 'utf8')), name);
	}

	t.true(blocks.length >= 10, `the readme shows ${blocks.length} examples`);
	for (const block of blocks) {
		t.true(files.has(block), `no file of examples/ is this readme block:\n${block}`);
	}

	const shown = new Set(blocks);
	for (const [body, name] of files) {
		t.true(shown.has(body), `examples/${name} is not in the readme (or differs from its block)`);
	}
});

test('examples/call-a-tool.ts runs: an SDK client calls a tool through a tapped stdio transport', async t => {
	const subprocess = execa('node', ['--import=tsx', 'examples/call-a-tool.ts'], {cwd: root, timeout: 30_000, reject: false});
	t.teardown(() => subprocess.kill('SIGKILL'));
	const {stdout, stderr, exitCode} = await subprocess;
	if (exitCode !== 0) {
		t.log(stderr);
	}

	t.is(exitCode, 0);
	t.deepEqual(JSON.parse(stdout), [{type: 'text', text: 'hello'}]);
	t.regex(stderr, /^client-to-server {"method":"tools\/call","params":{"name":"echo"/m);
	t.regex(stderr, /^server-to-client {"result":{"content":\[{"type":"text","text":"hello"}]}/m);
});
