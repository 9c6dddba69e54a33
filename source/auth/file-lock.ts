/*
A lock file shared by processes: created exclusively, refreshed while held, taken over when its holder is gone or has not refreshed it for long, released only by its own holder.
*/
import {randomUUID} from 'node:crypto';
import {
	link, open, readFile, rename, rm, stat, utimes,
} from 'node:fs/promises';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import {AuthError} from '../errors.js';

export type FileLockOptions = {
	/**
	A lock not refreshed for this long is taken over even when its process still runs (one that hangs); the holder refreshes it every `staleLockAfter / 4` (30 s at most).
	*/
	staleLockAfter: number;
	/**
	How long to wait for another holder before giving up.
	*/
	lockTimeout: number;
	/**
	Run before each attempt to take the lock (creating its directory).
	*/
	prepare?: () => Promise<void>;
};

export type FileLock = {
	/**
	Take the lock; resolves to the function that releases it.
	*/
	acquire(): Promise<() => Promise<void>>;
};

export function fileLock(lockFile: string, options: FileLockOptions): FileLock {
	const resolved = {prepare: async () => undefined, ...options};
	return {
		async acquire() {
			return acquire(lockFile, resolved);
		},
	};
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

type LockHolder = {pid?: unknown; time?: unknown; nonce?: unknown};

async function readHolder(file: string): Promise<LockHolder | undefined> {
	return readFile(file, 'utf8').then(text => JSON.parse(text) as LockHolder).catch(() => undefined);
}

/**
Take a stale lock away. Renaming is atomic, so of several waiters that judged the same lock stale only one moves it; if what it moved turns out to be a newer lock (another waiter took over and locked in between), it is put back.
*/
async function takeOver(lockFile: string, stale: LockHolder | undefined): Promise<void> {
	const moved = `${lockFile}.${randomUUID()}.stale`;
	try {
		await rename(lockFile, moved);
	} catch {
		return;
	}

	const holder = await readHolder(moved);
	if (holder !== undefined && holder.nonce !== stale?.nonce) {
		// Not the lock we judged stale: restore it, unless yet another one was created meanwhile.
		await link(moved, lockFile).catch(() => undefined);
	}

	await rm(moved, {force: true});
}

/**
Take the lock, waiting while another live process holds it (a stale one is taken over); resolves to the function that releases it.
*/
async function acquire(lockFile: string, options: Required<FileLockOptions>): Promise<() => Promise<void>> {
	const {staleLockAfter, lockTimeout, prepare} = options;
	await prepare();
	const started = Date.now();
	const nonce = randomUUID();
	for (;;) {
		try {
			// eslint-disable-next-line no-await-in-loop
			const handle = await open(lockFile, 'wx', 0o600);
			// eslint-disable-next-line no-await-in-loop
			await handle.writeFile(JSON.stringify({pid: process.pid, time: Date.now(), nonce}));
			// eslint-disable-next-line no-await-in-loop
			await handle.close();
			const heartbeat = setInterval(() => {
				const now = new Date();
				utimes(lockFile, now, now).catch(() => undefined);
			}, Math.min(30_000, Math.max(10, staleLockAfter / 4))).unref();
			return async () => {
				clearInterval(heartbeat);
				// Only our own lock: one taken over from us (we hung past staleLockAfter) belongs to someone else now.
				const holder = await readHolder(lockFile);
				if (holder?.nonce === nonce) {
					await rm(lockFile, {force: true});
				}
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
				throw new AuthError(`Cannot create the lock ${lockFile}: ${(error as Error).message}`, {cause: error});
			}
		}

		// eslint-disable-next-line no-await-in-loop
		const holder = await readHolder(lockFile);
		// eslint-disable-next-line no-await-in-loop
		const age = await stat(lockFile).then(stats => Date.now() - stats.mtimeMs).catch(() => 0);
		const pid = typeof holder?.pid === 'number' ? holder.pid : undefined;
		// A lock whose process is gone, or that was not refreshed for long, is taken over. A lock without a readable pid is being written; wait.
		if ((pid !== undefined && !isAlive(pid)) || age > staleLockAfter || (holder === undefined && age > 5000)) {
			// eslint-disable-next-line no-await-in-loop
			await takeOver(lockFile, holder);
			continue;
		}

		if (Date.now() - started > lockTimeout) {
			throw new AuthError(`Another mcp-proxy (process ${pid ?? '?'}) holds the sign-in lock ${lockFile}; gave up waiting`);
		}

		// eslint-disable-next-line no-await-in-loop
		await delay(200);
	}
}
