import {spawnSync} from 'node:child_process';
import {
	mkdtemp, readFile, rm, writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {permissions} from '../helpers/oauth.js';
import {
	authFileName, defaultAuthDirectory, tokenStore,
} from '../../source/auth/token-store.js';
import {createRedactor} from '../../source/redactor.js';

async function temporaryDirectory(t: ExecutionContext): Promise<string> {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'token-store-'));
	t.teardown(async () => {
		await rm(directory, {recursive: true, force: true});
	});
	return path.join(directory, 'auth');
}

test('the default directory follows XDG_CONFIG_HOME, else ~/.config', t => {
	t.is(defaultAuthDirectory({XDG_CONFIG_HOME: '/cfg'}), path.join('/cfg', 'rx-mcp-proxy', 'auth'));
	t.is(defaultAuthDirectory({}), path.join(os.homedir(), '.config', 'rx-mcp-proxy', 'auth'));
});

test('one file per server URL: readable host, hash of the whole URL', t => {
	t.regex(authFileName('https://mcp.example.com/mcp'), /^mcp\.example\.com-[\da-f]{16}\.json$/);
	t.regex(authFileName('http://127.0.0.1:8080/mcp'), /^127\.0\.0\.1_8080-/);
	t.not(authFileName('https://mcp.example.com/a'), authFileName('https://mcp.example.com/b'));
});

test('saved records come back; files are 0600 in a 0700 directory; secrets read back are redacted from logs', async t => {
	const directory = await temporaryDirectory(t);
	const store = tokenStore({directory, serverUrl: 'https://mcp.example.com/mcp'});
	t.deepEqual(await store.load(), {serverUrl: 'https://mcp.example.com/mcp'});
	await store.save({
		serverUrl: 'https://mcp.example.com/mcp',
		tokens: {access_token: 'store-access-9911', token_type: 'Bearer', refresh_token: 'store-refresh-9922'},
	});
	t.is(await permissions(directory), 0o700);
	t.is(await permissions(store.file), 0o600);
	const redactor = createRedactor();
	const again = tokenStore({directory, serverUrl: 'https://mcp.example.com/mcp', redactor});
	const loaded = await again.load();
	t.is(loaded.tokens?.refresh_token, 'store-refresh-9922');
	t.false(redactor.redact('token store-refresh-9922 here').includes('store-refresh-9922'));
	await again.reset();
	t.deepEqual(await again.load(), {serverUrl: 'https://mcp.example.com/mcp'});
});

test('a damaged file reads as empty', async t => {
	const directory = await temporaryDirectory(t);
	const store = tokenStore({directory, serverUrl: 'https://x.test/mcp'});
	await store.save({serverUrl: 'https://x.test/mcp'});
	await writeFile(store.file, '{not json');
	t.deepEqual(await store.load(), {serverUrl: 'https://x.test/mcp'});
});

test('the lock serializes jobs, and a lock left by a dead process is taken over', async t => {
	const directory = await temporaryDirectory(t);
	const store = tokenStore({directory, serverUrl: 'https://x.test/mcp'});
	const order: string[] = [];
	await Promise.all([
		store.withLock(async () => {
			order.push('a start');
			await new Promise(resolve => {
				setTimeout(resolve, 300);
			});
			order.push('a end');
		}),
		(async () => {
			await new Promise(resolve => {
				setTimeout(resolve, 50);
			});
			await store.withLock(async () => {
				order.push('b');
			});
		})(),
	]);
	t.deepEqual(order, ['a start', 'a end', 'b']);

	// A process that has exited: its pid is free.
	const dead = spawnSync(process.execPath, ['-e', '0']).pid;
	await writeFile(`${store.file}.lock`, JSON.stringify({pid: dead, time: Date.now()}));
	t.is(await store.withLock(async () => 'taken over'), 'taken over');
	await t.throwsAsync(readFile(`${store.file}.lock`), {code: 'ENOENT'});
});

test('a lock held by a live process is waited for until the timeout', async t => {
	const directory = await temporaryDirectory(t);
	const store = tokenStore({directory, serverUrl: 'https://x.test/mcp', lockTimeout: 300});
	await store.save({serverUrl: 'https://x.test/mcp'});
	await writeFile(`${store.file}.lock`, JSON.stringify({pid: process.pid, time: Date.now()}));
	await t.throwsAsync(store.withLock(async () => 'never'), {name: 'AuthError', message: /holds the sign-in lock/});
});

test('several waiters over one stale lock take it over one at a time, never two jobs at once', async t => {
	const directory = await temporaryDirectory(t);
	const stores = Array.from({length: 5}, () => tokenStore({directory, serverUrl: 'https://x.test/mcp'}));
	await stores[0]!.save({serverUrl: 'https://x.test/mcp'});
	const dead = spawnSync(process.execPath, ['-e', '0']).pid;
	await writeFile(`${stores[0]!.file}.lock`, JSON.stringify({pid: dead, time: Date.now(), nonce: 'stale'}));
	let running = 0;
	let most = 0;
	await Promise.all(stores.map(async store => store.withLock(async () => {
		running++;
		most = Math.max(most, running);
		await new Promise(resolve => {
			setTimeout(resolve, 30);
		});
		running--;
	})));
	t.is(most, 1);
	await t.throwsAsync(readFile(`${stores[0]!.file}.lock`), {code: 'ENOENT'});
});

test('a job that outlasts staleLockAfter keeps its lock (refreshed while held); a lock that is not ours is never removed', async t => {
	const directory = await temporaryDirectory(t);
	const store = tokenStore({
		directory, serverUrl: 'https://x.test/mcp', staleLockAfter: 200, lockTimeout: 2000,
	});
	await store.save({serverUrl: 'https://x.test/mcp'});
	const order: string[] = [];
	await Promise.all([
		store.withLock(async () => {
			order.push('long start');
			await new Promise(resolve => {
				setTimeout(resolve, 700);
			});
			order.push('long end');
		}),
		(async () => {
			await new Promise(resolve => {
				setTimeout(resolve, 50);
			});
			await store.withLock(async () => {
				order.push('second');
			});
		})(),
	]);
	t.deepEqual(order, ['long start', 'long end', 'second']);

	// A job whose lock was taken over (it hung) leaves the new holder's lock alone when it ends.
	await store.withLock(async () => {
		await writeFile(`${store.file}.lock`, JSON.stringify({pid: process.pid, time: Date.now(), nonce: 'someone else'}));
	});
	t.is(JSON.parse(await readFile(`${store.file}.lock`, 'utf8')).nonce, 'someone else');
});
