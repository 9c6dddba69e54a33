/*
The plain facts spawnStdio derives from its options (source/transports/stdio-child/options.ts): the environment a child gets, the command line as the log shows it, the message for a child that cannot be started, and the defaults.
*/
import process from 'node:process';
import test from 'ava';
import {defaultMaxLineBytes, defaultMaxQueueBytes} from '../../../source/transports/line-stream/index.js';
import {
	childEnvironment, commandLine, spawnErrorMessage, withDefaults,
} from '../../../source/transports/stdio-child/options.js';

const posix = process.platform === 'win32' ? test.skip : test.serial;

posix('a child gets the safe variables only (no exported shell function), or all of ours with passEnvironment; env goes on top', t => {
	const saved = {HOME: process.env['HOME'], SHELL: process.env['SHELL'], SECRET_TOKEN: process.env['SECRET_TOKEN']};
	t.teardown(() => {
		for (const [key, value] of Object.entries(saved)) {
			if (value === undefined) {
				Reflect.deleteProperty(process.env, key);
			} else {
				process.env[key] = value;
			}
		}
	});
	process.env['HOME'] = '/home/someone';
	process.env['SHELL'] = '() { echo exported function; }';
	process.env['SECRET_TOKEN'] = 'hunter2';

	const safe = childEnvironment({EXTRA: '1', HOME: '/elsewhere'});
	t.is(safe['HOME'], '/elsewhere', 'env wins');
	t.is(safe['EXTRA'], '1');
	t.is(safe['SHELL'], undefined, 'an exported shell function is not passed');
	t.is(safe['SECRET_TOKEN'], undefined);
	t.deepEqual(Object.keys(childEnvironment()).filter(key => !['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'].includes(key)), []);

	const all = childEnvironment({EXTRA: '1'}, true);
	t.is(all['SECRET_TOKEN'], 'hunter2');
	t.is(all['SHELL'], process.env['SHELL'], 'passEnvironment passes everything as it is');
	t.is(all['EXTRA'], '1');
});

test('the command line as the log shows it: plain words bare, the rest quoted', t => {
	t.is(commandLine('node', ['server.js', '--port=8080', 'a@b', '50%', 'x,y:z']), 'node server.js --port=8080 a@b 50% x,y:z');
	t.is(commandLine('/usr/bin/my server', ['two words', '', 'quote"d', '$HOME']), String.raw`"/usr/bin/my server" "two words" "" "quote\"d" "$HOME"`);
});

test('a child that cannot be started: the message says what to do', t => {
	const rows: Array<[string, string | undefined, string | undefined, string]> = [
		['mcp-srv', 'ENOENT', undefined, 'Cannot start `mcp-srv`: command not found on PATH. Install it, check the spelling, or give its full path.'],
		['./srv.js', 'ENOENT', undefined, 'Cannot start `./srv.js`: no such file. Check the path.'],
		['./srv.js', 'ENOENT', '/work', 'Cannot start `./srv.js`: no such file. Check the path (relative to the working directory /work).'],
		['./srv.js', 'EACCES', undefined, 'Cannot start `./srv.js`: permission denied. Make it executable (chmod +x ./srv.js) or run it through its interpreter (for example `node ./srv.js`).'],
		['srv', 'E2BIG', undefined, 'Cannot start `srv` (E2BIG).'],
		['srv', undefined, undefined, 'Cannot start `srv`.'],
	];
	for (const [command, code, cwd, message] of rows) {
		t.is(spawnErrorMessage(command, code, cwd), message, `${command} ${String(code)}`);
	}
});

test('the defaults', t => {
	t.like(withDefaults({command: 'node'}), {
		command: 'node',
		args: [],
		cwd: undefined,
		passEnvironment: false,
		stderr: 'inherit',
		maxLineBytes: defaultMaxLineBytes,
		maxQueueBytes: defaultMaxQueueBytes,
		shutdownTimeout: 2000,
		settingNames: undefined,
	});
	t.like(withDefaults({
		command: 'node', args: ['a'], cwd: '/tmp', passEnvironment: true, stderr: 'ignore', maxLineBytes: 10, maxQueueBytes: 20, shutdownTimeout: 5,
	}), {
		args: ['a'], cwd: '/tmp', passEnvironment: true, stderr: 'ignore', maxLineBytes: 10, maxQueueBytes: 20, shutdownTimeout: 5,
	});
});
