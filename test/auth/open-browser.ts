import {mkdtemp, readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {openBrowser, systemBrowserCommand} from '../../source/auth/open-browser.js';
import {createLogger} from '../../source/logger.js';
import {eventually} from '../helpers/remote.js';

const recorder = (lines: string[]) => createLogger({
	write(line) {
		lines.push(line);
	},
});

test('the system opener per platform', t => {
	t.deepEqual(systemBrowserCommand('linux'), ['xdg-open']);
	t.deepEqual(systemBrowserCommand('darwin'), ['open']);
	t.deepEqual(systemBrowserCommand('win32'), ['rundll32', 'url.dll,FileProtocolHandler']);
});

test('the URL is printed, and given to the command as its last argument without a shell', async t => {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'open-browser-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	const output = path.join(directory, 'argv.json');
	const lines: string[] = [];
	const url = new URL('https://auth.test/authorize?a=1&b=$(touch%20x)');
	openBrowser(url, {
		command: [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(output)}, JSON.stringify(process.argv.slice(1)))`],
		logger: recorder(lines),
	});
	t.true(await eventually(async () => readFile(output, 'utf8').then(() => true, () => false), 10_000));
	t.deepEqual(JSON.parse(await readFile(output, 'utf8')), [url.href]);
	t.true(lines.some(line => line.includes(url.href)));
});

test('--no-browser (false) only prints', t => {
	const lines: string[] = [];
	openBrowser(new URL('https://auth.test/authorize'), {command: false, logger: recorder(lines)});
	t.true(lines.some(line => line.includes('https://auth.test/authorize')));
});

test('URLs a hostile authorization server could use against the opener are refused', t => {
	const logger = createLogger({level: 'silent'});
	for (const url of ['file:///etc/passwd', 'vbscript:msgbox', 'ms-settings:', 'smb://evil.test/share']) {
		t.throws(() => {
			openBrowser(new URL(url), {command: false, logger});
		}, {name: 'AuthError', message: /scheme/}, `${url} is refused`);
	}
});
