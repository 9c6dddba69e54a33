import {
	chmodSync, mkdirSync, mkdtempSync, writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {meowFlags} from '../../source/cli/flags.js';
import {prepass} from '../../source/cli/prepass.js';
import {parse} from '../helpers/cli.js';
import {echoServer} from '../helpers/fixtures.js';

/*
The Python-compatible pre-pass, through the whole command line where the options show what it did: two-value flags, optional values, `--allow-origin` lists, `--`, the command's own flags, the last of a repeated flag.
*/

test('the Python tool\'s client flags keep their meaning', t => {
	const options = parse(['--headers', 'Authorization', 'Bearer abc', '-H', 'X-Team', 'blue', '--transport', 'streamablehttp', 'http://localhost:8080/mcp']);
	t.like(options, {mode: 'client', transport: 'streamablehttp'});
	t.deepEqual(options.headers, [['Authorization', 'Bearer abc'], ['X-Team', 'blue']]);
});

test('server mode: our flags before and after the command, two-value --env', t => {
	const options = parse(['your-command', '--port', '8080', '-e', 'KEY', 'VALUE', '-e', 'ANOTHER_KEY', 'ANOTHER_VALUE', '--allow-origin=*']);
	t.like(options, {
		mode: 'server', command: 'your-command', port: 8080, host: '127.0.0.1',
	});
	t.deepEqual(options.args, []);
	t.deepEqual(options.env, {KEY: 'VALUE', ANOTHER_KEY: 'ANOTHER_VALUE'});
	t.deepEqual(options.allowOrigins, ['*']);
});

test('everything after -- belongs to the child', t => {
	const options = parse(['--port', '8080', '--', 'docker', 'run', '-i', '--rm', 'image', '--port', '9']);
	t.like(options, {mode: 'server', command: 'docker', port: 8080});
	t.deepEqual(options.args, ['run', '-i', '--rm', 'image', '--port', '9']);
});

test('the command may come before -- with its flags after it', t => {
	const options = parse(['--stateless', 'uvx', 'mcp-server-fetch', '--', '--timeout', '10']);
	t.like(options, {command: 'uvx', stateless: true});
	t.deepEqual(options.args, ['mcp-server-fetch', '--timeout', '10']);
});

test('after the command, a flag that is not ours goes to the command in order; ours stay ours, as in the Python tool', t => {
	const options = parse(['--allow-origin', '*', 'python3', '-m', 'server', '--timeout', '3.10', '--port', '8080', '-v', '--flag=x']);
	t.like(options, {mode: 'server', command: 'python3', port: 8080});
	t.deepEqual(options.args, ['-m', 'server', '--timeout', '3.10', '-v', '--flag=x']);
	t.deepEqual(options.allowOrigins, ['*']);
	t.throws(() => parse(['--bogus', 'node', 'server.js']), {message: /Unknown option `--bogus`/}, 'before the command it is refused');
	t.throws(() => parse(['https://x.test/mcp', '--bogus']), {message: /Unknown option `--bogus`/}, 'and in client mode');
});

test('a boolean flag never takes the next word for its value, as with argparse', t => {
	t.like(parse(['--stateless', 'false', 'server.js']), {stateless: true, command: 'false', args: ['server.js']});
	t.like(parse(['--no-pass-environment', 'true', 'x']), {passEnvironment: false, command: 'true', args: ['x']});
	t.like(parse(['--stateless=false', 'node']), {stateless: false, command: 'node'});
});

test('--allow-origin does not swallow the command', t => {
	const options = parse(['--allow-origin', 'https://app.example', 'node', 'server.js']);
	t.deepEqual(options.allowOrigins, ['https://app.example']);
	t.is(options.command, 'node');
	t.deepEqual(options.args, ['server.js']);
});

test('--verify-ssl takes an optional value and never swallows the URL', t => {
	t.true(parse(['--verify-ssl', 'https://x.test/mcp']).verifySsl);
	t.false(parse(['--verify-ssl', 'false', 'https://x.test/mcp']).verifySsl);
	t.false(parse(['--no-verify-ssl', 'https://x.test/mcp']).verifySsl);
	t.is(parse(['--verify-ssl', echoServer, 'https://x.test/mcp']).verifySsl, echoServer);
	t.true(parse(['--verify-ssl=true', 'https://x.test/mcp']).verifySsl);
});

test('--log-messages takes an optional file and does not swallow the command', t => {
	t.like(parse(['--log-messages', 'node', 'server.js']), {logMessages: '-', command: 'node'});
	t.like(parse(['--log-messages', './messages.jsonl', 'node', 'server.js']), {logMessages: './messages.jsonl', command: 'node'});
	t.like(parse(['--log-messages=out.jsonl', 'https://x.test/mcp']), {logMessages: 'out.jsonl', mode: 'client'});
	t.like(parse(['https://x.test/mcp']), {logMessages: undefined});
});

test('--log-messages never takes a command for its file, and appends only to a file that is not one', t => {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-cli-'));
	const bin = path.join(directory, 'bin');
	mkdirSync(bin);
	const script = path.join(bin, 'run.sh');
	writeFileSync(script, '#!/bin/sh\n');
	chmodSync(script, 0o755);
	const versioned = path.join(bin, 'tool3.11');
	writeFileSync(versioned, '#!/bin/sh\n');
	chmodSync(versioned, 0o755);
	const logFile = path.join(directory, 'messages.jsonl');
	writeFileSync(logFile, '');
	const environment = {PATH: bin};
	// An executable file, given by path.
	t.like(parse(['--port', '0', '--log-messages', script, echoServer], environment), {logMessages: '-', command: script});
	t.like(parse(['--log-messages', echoServer], environment), {logMessages: '-', command: echoServer});
	// A bare name of an executable on PATH, even with a dot (python3.11).
	t.like(parse(['--log-messages', 'tool3.11', 'server.py'], environment), {logMessages: '-', command: 'tool3.11'});
	t.deepEqual(parse(['--log-messages', 'tool3.11', 'server.py'], environment).args, ['server.py']);
	// A directory is not a log file.
	t.like(parse(['--log-messages', bin, 'node', 'server.js'], environment), {logMessages: '-', command: bin});
	// A file that is not executable, or one that does not exist yet, is the log file.
	t.like(parse(['--log-messages', logFile, 'node', 'server.js'], environment), {logMessages: logFile, command: 'node'});
	t.like(parse(['--log-messages', 'tool3.12', 'node'], environment), {logMessages: 'tool3.12', command: 'node'});
	// With `=` the value is always the file.
	t.like(parse([`--log-messages=${script}`, 'node'], environment), {logMessages: script, command: 'node'});
});

test('a single-value flag given twice: the last one wins, in both forms', t => {
	t.is(parse(['--port', '0', '--port', '0', 'cmd']).port, 0);
	t.is(parse(['--port', '8080', '--port=9090', 'cmd']).port, 9090);
	t.is(parse(['--port=8080', '--port', '9090', 'cmd']).port, 9090);
	t.is(parse(['--transport', 'sse', '--transport=streamablehttp', 'https://x.test/mcp']).transport, 'streamablehttp');
	t.is(parse(['--log-level', 'DEBUG', 'cmd', '--log-level', 'ERROR']).logLevel, 'error');
	t.is(parse(['--cwd', '/a', '--cwd', '/b', 'cmd']).cwd, '/b');
	// Repeatable flags keep every value.
	t.deepEqual(parse(['--expose-header', 'A', '--expose-header=B', 'cmd']).exposeHeaders, ['A', 'B']);
	for (const [name, spec] of Object.entries(meowFlags)) {
		if (spec.type !== 'string' || 'isMultiple' in spec) {
			continue;
		}

		const flag = `--${name.replaceAll(/[A-Z]/g, letter => `-${letter.toLowerCase()}`)}`;
		t.deepEqual(prepass([flag, 'first', 'cmd', `${flag}=second`, flag, 'third']).argv, ['cmd', flag, 'third'], flag);
		t.deepEqual(prepass([flag, 'first', `${flag}=second`, 'cmd']).argv, [`${flag}=second`, 'cmd'], flag);
	}
});

test('--allow-origin takes several origins after one flag, as in the Python tool', t => {
	const options = parse(['--port', '8080', '--allow-origin', 'http://127.0.0.1:5173', 'http://localhost:5173', '--named-server', 'echo', 'node x.js']);
	t.like(options, {mode: 'server', command: undefined, port: 8080});
	t.deepEqual(options.allowOrigins, ['http://127.0.0.1:5173', 'http://localhost:5173']);
	t.deepEqual(options.namedServers, [{name: 'echo', command: 'node', args: ['x.js']}]);
	const several = parse(['--allow-origin', '*', 'null', 'https://app.example/', 'http://[::1]:3000', 'node', 'server.js', '--allow-origin', 'https://b.example']);
	t.deepEqual(several.allowOrigins, ['*', 'null', 'https://app.example/', 'http://[::1]:3000', 'https://b.example']);
	t.like(several, {command: 'node', args: ['server.js']});
	// A URL with a path is not an origin: it stays the URL of client mode.
	t.like(parse(['--allow-origin', 'https://app.example', 'https://x.test/mcp']), {mode: 'client', url: 'https://x.test/mcp', allowOrigins: ['https://app.example']});
	// A path-like command is not an origin either.
	t.like(parse(['--allow-origin', 'https://app.example', './server.sh']), {command: './server.sh', allowOrigins: ['https://app.example']});
});

const prepassCases: Array<[argv: string[], expected: Partial<ReturnType<typeof prepass>>]> = [
	[['-H', 'A', '1', '--headers=B', '2', 'https://x.test/mcp'], {argv: ['https://x.test/mcp'], pairs: {headers: [['A', '1'], ['B', '2']], env: [], namedServer: []}}],
	[['--named-server', 'a', 'node a.js', '-e', 'K', 'V', 'cmd'], {argv: ['cmd'], pairs: {headers: [], env: [['K', 'V']], namedServer: [['a', 'node a.js']]}}],
	[['--verify-ssl', 'https://x.test/mcp'], {verifySsl: true, positionals: ['https://x.test/mcp']}],
	[['--no-verify-ssl', '--verify-ssl=no', 'https://x.test/mcp'], {verifySsl: false}],
	[['--log-messages=', 'cmd'], {logMessages: '-', positionals: ['cmd']}],
	[['--log-messages', 'out.jsonl', 'cmd'], {logMessages: 'out.jsonl', positionals: ['cmd']}],
	[['-h', '--version'], {help: true, version: true, argv: []}],
	[['--stateless', 'false'], {argv: ['--stateless=true', 'false'], positionals: ['false']}],
	[['--no-pass-environment', 'cmd'], {argv: ['--pass-environment=false', 'cmd']}],
	[['--allow-origin', '*', 'null', 'cmd', '--', '--port', '1'], {argv: ['--allow-origin', '*', '--allow-origin', 'null', 'cmd'], afterSeparator: ['--port', '1']}],
	[['cmd', '-v', '--port', '1', '--flag=x'], {argv: ['cmd', '--port', '1'], positionals: ['cmd', '-v', '--flag=x']}],
];

for (const [argv, expected] of prepassCases) {
	test(`prepass: ${JSON.stringify(argv)}`, t => {
		t.like(prepass(argv, {PATH: ''}), expected);
	});
}

test('prepass: what it refuses', t => {
	t.throws(() => prepass(['--env', 'K', '--port']), {message: '`--env` expects two values, KEY VALUE; got only `K`. Example: --env Authorization \'Bearer TOKEN\''});
	t.throws(() => prepass(['--named-server']), {message: '`--named-server` expects two values, NAME COMMAND. Example: --named-server fetch \'uvx mcp-server-fetch\''});
	t.throws(() => prepass(['--no-port', 'cmd']), {message: /^Unknown option `--no-port`/});
	t.throws(() => prepass(['--cwd', '--stateless']), {message: '`--cwd` expects a value.'});
});
