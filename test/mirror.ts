/*
The test folder mirrors source/: every source file has a test twin at the same relative path (`source/a/b.ts` ⇄ `test/a/b.ts`, or a folder `test/a/b/` of tests; a folder's `index.ts` may also be tested by `test/a.ts`), or it is listed in test/mirror-exceptions.json with the reason it has none.

A reason is a short sentence saying where the file is exercised ("glue: exercised end to end by test/listeners/streamable-http.ts") or why nothing can test it ("types only"). Every test file a reason names must exist, and a file that has a twin, or no longer exists, may not be listed, so the table cannot go stale.

Outside the mirror by nature, and left where they are: tests of the whole proxy's promises rather than of one file (reliability/, properties/, interop/, soak/, conformance/), the benchmark (bench/, bench-servers.ts), tests of fixtures (fixtures/), and the helpers tests share (helpers/). A test file with no source twin is allowed: some test a face of the proxy end to end (listeners/streamable-http.ts, modes/client-sign-in.ts).
*/
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {root} from './helpers/fixtures.js';

const exceptionsFile = path.join(root, 'test', 'mirror-exceptions.json');
const longestReason = 200;

/**
Every `.ts` file below `source/`, as a path relative to it with `/` separators.
*/
function sourceFiles(): string[] {
	return readdirSync(path.join(root, 'source'), {recursive: true, encoding: 'utf8'})
		.filter(file => file.endsWith('.ts'))
		.map(file => file.split(path.sep).join('/'))
		.toSorted();
}

/**
The test twin of a source file, if it has one.
*/
function twinOf(file: string, exists: (testPath: string) => boolean): string | undefined {
	const base = file.slice(0, -'.ts'.length);
	const candidates = [`${base}.ts`, `${base}/`];
	if (base.endsWith('/index')) {
		candidates.push(`${base.slice(0, -'/index'.length)}.ts`);
	}

	return candidates.find(candidate => exists(candidate));
}

const existsInTest = (testPath: string) => existsSync(path.join(root, 'test', testPath));

function readExceptions(): Record<string, unknown> {
	return JSON.parse(readFileSync(exceptionsFile, 'utf8')) as Record<string, unknown>;
}

test('twins are found by path, by folder, and for index.ts by the folder\'s name', t => {
	const present = new Set(['a/b.ts', 'c/', 'd.ts']);
	const exists = (testPath: string) => present.has(testPath);
	t.is(twinOf('a/b.ts', exists), 'a/b.ts');
	t.is(twinOf('c.ts', exists), 'c/');
	t.is(twinOf('d/index.ts', exists), 'd.ts');
	t.is(twinOf('a/c.ts', exists), undefined);
	t.is(twinOf('a/index.ts', exists), undefined, 'a folder\'s own tests are not the twin of its index.ts');
});

test('every source file has a test twin or says in test/mirror-exceptions.json why not', t => {
	const exceptions = readExceptions();
	const missing = sourceFiles().filter(file => twinOf(file, existsInTest) === undefined && !Object.hasOwn(exceptions, file));
	t.deepEqual(missing, [], `Give each a test at the same path under test/, or add it to test/mirror-exceptions.json with the reason it has none:\n${missing.join('\n')}`);
});

test('the exceptions are current: each names a source file without a twin, with a short reason whose test files exist', t => {
	const files = new Set(sourceFiles());
	const problems: string[] = [];
	for (const [file, reason] of Object.entries(readExceptions())) {
		if (!files.has(file)) {
			problems.push(`${file}: no such source file`);
			continue;
		}

		const twin = twinOf(file, existsInTest);
		if (twin !== undefined) {
			problems.push(`${file}: has a twin (test/${twin}), so it needs no exception`);
		}

		if (typeof reason !== 'string' || reason.trim() === '' || reason.length > longestReason) {
			problems.push(`${file}: the reason must be a sentence of at most ${longestReason} characters`);
			continue;
		}

		for (const named of reason.match(/test\/[\w./-]+\.ts/g) ?? []) {
			if (!existsSync(path.join(root, named))) {
				problems.push(`${file}: the reason names ${named}, which does not exist`);
			}
		}
	}

	t.deepEqual(problems, []);
});
