/*
Where the sign-in of each remote server is kept: its registration and tokens in a file of its own, read and written atomically, under a lock shared by every proxy instance (file-lock.ts).
*/
import {createHash} from 'node:crypto';
import {
	chmod, mkdir, readFile, rename, rm, writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import type {
	OAuthClientInformationMixed, OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type {OAuthDiscoveryState} from '@modelcontextprotocol/sdk/client/auth.js';
import {AuthError} from '../errors.js';
import {noRedaction, type Redactor} from '../redactor.js';
import {fileLock} from './file-lock.js';

/**
What is kept on disk for one remote server: its client registration and tokens (each stamped with the issuer, the authorization server that issued them), and what discovery found.
*/
export type StoredAuth = {
	serverUrl: string;
	clientInformation?: OAuthClientInformationMixed;
	/**
	The tokens, with `expires_at` (ms since the epoch) computed from `expires_in` when they were saved.
	*/
	tokens?: OAuthTokens & {expires_at?: number};
	discovery?: OAuthDiscoveryState;
};

/**
The default directory for tokens and client registrations: `$XDG_CONFIG_HOME/rx-mcp-proxy/auth`, else `~/.config/rx-mcp-proxy/auth` (`%APPDATA%\rx-mcp-proxy\auth` on Windows).

@example
```
defaultAuthDirectory(process.env); //=> '/home/ada/.config/rx-mcp-proxy/auth'
```
*/
export function defaultAuthDirectory(environment: Readonly<Record<string, string | undefined>>): string {
	const candidates = [environment['XDG_CONFIG_HOME'], process.platform === 'win32' ? environment['APPDATA'] : undefined];
	const base = candidates.find(candidate => candidate !== undefined && candidate !== '') ?? path.join(os.homedir(), '.config');
	return path.join(base, 'rx-mcp-proxy', 'auth');
}

/**
The file name for a server: readable host and port, and a hash of the whole URL so two servers on one host never share a file.

@example
```
authFileName('https://mcp.example.com/mcp'); //=> 'mcp.example.com-3f2a…c1.json'
```
*/
export function authFileName(serverUrl: string): string {
	const url = new URL(serverUrl);
	const host = `${url.hostname}${url.port ? `_${url.port}` : ''}`.replaceAll(/[^\w.-]/g, '_');
	const hash = createHash('sha256').update(url.href).digest('hex').slice(0, 16);
	return `${host}-${hash}.json`;
}

export type TokenStore = {
	/**
	The file that holds this server's registration and tokens.
	*/
	readonly file: string;
	load(): Promise<StoredAuth>;
	save(record: StoredAuth): Promise<void>;
	/**
	Delete this server's file (sign out).
	*/
	reset(): Promise<void>;
	/**
	Run `job` while holding this server's lock, so that several proxy instances for one server share one sign-in and one refresh.
	*/
	withLock<T>(job: () => Promise<T>): Promise<T>;
};

export type TokenStoreOptions = {
	/**
	The directory (created with mode 0700 when missing).
	*/
	directory: string;
	serverUrl: string;
	/**
	Learns the tokens and client secrets read and written, so that the log hides it (see `createRedactor`).

	@default no redaction
	*/
	redactor?: Redactor;
	/**
	A lock not refreshed for this long is taken over even when its process still runs (a process that hangs). The holder refreshes its lock every `staleLockAfter / 4` (30 s at most) for as long as it holds it, so a long sign-in keeps its lock.

	@default 600000
	*/
	staleLockAfter?: number;
	/**
	How long to wait for another instance's lock before giving up.

	@default 660000
	*/
	lockTimeout?: number;
};

function registerSecrets(record: StoredAuth, redactor: Redactor): void {
	// Tokens replace each other on every refresh: only the newest are remembered, so a long run does not grow the list.
	redactor.add(record.tokens?.access_token, {rotating: true});
	redactor.add(record.tokens?.refresh_token, {rotating: true});
	redactor.add(record.tokens?.id_token, {rotating: true});
	redactor.add(record.clientInformation?.client_secret);
}

/**
Tokens and client registrations of one remote server in a JSON file of mode 0600 inside `directory` (mode 0700), written atomically (a temporary file renamed over the old one), with a lock file beside it. Secrets read from or written to it are registered with its `redactor`.

@example
```
const store = tokenStore({directory: defaultAuthDirectory(process.env), serverUrl: 'https://mcp.example.com/mcp'});
const {tokens} = await store.load();
```
*/
export function tokenStore(options: TokenStoreOptions): TokenStore {
	const {
		directory, serverUrl, staleLockAfter = 600_000, lockTimeout = 660_000, redactor = noRedaction,
	} = options;
	if (typeof directory !== 'string' || directory === '') {
		throw new TypeError('Expected `directory` to be a non-empty string');
	}

	if (!URL.canParse(serverUrl)) {
		throw new TypeError(`Expected \`serverUrl\` to be a URL, got \`${String(serverUrl)}\``);
	}

	const file = path.join(directory, authFileName(serverUrl));
	const lockFile = `${file}.lock`;

	const ensureDirectory = async () => {
		const created = await mkdir(directory, {recursive: true, mode: 0o700});
		if (created !== undefined) {
			await chmod(directory, 0o700).catch(() => undefined);
		}
	};

	const load = async (): Promise<StoredAuth> => {
		let text: string;
		try {
			text = await readFile(file, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
				return {serverUrl};
			}

			throw new AuthError(`Cannot read the stored credentials ${file}: ${(error as Error).message}`, {cause: error});
		}

		try {
			const record = JSON.parse(text) as StoredAuth;
			registerSecrets(record, redactor);
			return {...record, serverUrl};
		} catch {
			// A damaged file is as good as none: the user signs in again and it is rewritten.
			return {serverUrl};
		}
	};

	const save = async (record: StoredAuth) => {
		registerSecrets(record, redactor);
		await ensureDirectory();
		const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
		await writeFile(temporary, `${JSON.stringify({...record, serverUrl}, undefined, '\t')}\n`, {mode: 0o600});
		await rename(temporary, file);
	};

	const lock = fileLock(lockFile, {staleLockAfter, lockTimeout, prepare: ensureDirectory});

	return {
		file,
		load,
		save,
		async reset() {
			await rm(file, {force: true});
		},
		async withLock(job) {
			const release = await lock.acquire();
			try {
				return await job();
			} finally {
				await release();
			}
		},
	};
}
