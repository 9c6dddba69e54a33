import {readFile} from 'node:fs/promises';
import test from 'ava';
import {parseCommandLine} from '../../source/cli/command-line.js';
import {helpText} from '../../source/cli/help-text.js';
import {UsageError} from '../../source/errors.js';
import {root} from '../helpers/fixtures.js';

/*
The command line read as a whole: `--help` and `--version` are texts to print, anything else options to run with (the options themselves are tested in prepass.ts and resolve.ts).
*/

test('--help and -h ask for the help text, before the other flags are resolved', t => {
	for (const argv of [['--help'], ['-h'], ['--port', 'abc', '--help', 'cmd'], ['https://x.test/mcp', '-h']]) {
		t.deepEqual(parseCommandLine(argv, {}), {action: 'help', text: helpText}, `${argv.join(' ')}`);
	}
});

test('--version asks for the program\'s name, the package version and a line break', async t => {
	const {version} = JSON.parse(await readFile(`${root}/package.json`, 'utf8')) as {version: string};
	t.deepEqual(parseCommandLine(['--version'], {}), {action: 'version', text: `mcp-proxy ${version}\n`});
});

test('an unknown flag is a usage error even with --help', t => {
	t.throws(() => parseCommandLine(['--help', '--bogus'], {}), {instanceOf: UsageError, message: /Unknown option `--bogus`/});
});

test('anything else is options to run with', t => {
	const commandLine = parseCommandLine(['--port', '8080', 'node', 'server.js'], {});
	t.is(commandLine.action, 'run');
	t.like(commandLine, {
		options: {
			mode: 'server', command: 'node', args: ['server.js'], port: 8080,
		},
	});
});
