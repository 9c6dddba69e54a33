import {once} from 'node:events';
import {
	mkdtemp, readFile, rm, stat,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {createInterface} from 'node:readline';
import type {ExecutionContext} from 'ava';
import {execa} from 'execa';
import {fixture} from './fixtures.js';

export const scriptedBrowser = fixture('scripted-browser.js');

export type OAuthServerUrls = {
	url: string;
	mcp: string;
	issuer: string;
	admin: string;
	port: number;
};

export type OAuthServerStats = {
	authorizations: Array<{client_id: string; scope: string | undefined; resource: string | undefined; code_challenge_method: string; redirect_uri: string}>;
	tokenRequests: {authorization_code: number; refresh_token: number; device_code: number};
	deviceAuthorizations: number;
	registrations: number;
	unauthorized: number;
	forbidden: number;
	lastAuthorization: string | undefined;
};

/**
Start `fixtures/oauth-server.js` (the SDK's authorization server and a protected echo server on one loopback port); stopped in teardown.
*/
export async function startOAuthServer(t: ExecutionContext, args: string[] = []): Promise<OAuthServerUrls> {
	const child = execa(process.execPath, [fixture('oauth-server.js'), ...args], {
		stdout: 'pipe', stderr: 'inherit', reject: false, timeout: 55_000,
	});
	t.teardown(async () => {
		child.kill('SIGKILL');
		await child;
	});
	const lines = createInterface({input: child.stdout});
	const [line] = await Promise.race([
		once(lines, 'line') as Promise<[string]>,
		child.then(result => {
			throw new Error(`oauth-server exited: ${String(result.exitCode)}`);
		}),
	]);
	return JSON.parse(line) as OAuthServerUrls;
}

export async function oauthStats(urls: OAuthServerUrls): Promise<OAuthServerStats> {
	const response = await fetch(`${urls.admin}/stats`);
	return await response.json() as OAuthServerStats;
}

export async function authorizationCount(urls: OAuthServerUrls): Promise<number> {
	const stats = await oauthStats(urls);
	return stats.authorizations.length;
}

/**
A file's permission bits, such as 0o600.
*/
export async function permissions(file: string): Promise<number> {
	const stats = await stat(file);
	return stats.mode % 0o1000;
}

export async function revokeAccessTokens(urls: OAuthServerUrls): Promise<void> {
	const response = await fetch(`${urls.admin}/revoke-access`, {method: 'POST'});
	await response.text();
}

/**
Client-mode flags for a sign-in test (a callback on `callbackPort`, any free port by default, and the scripted browser), a temporary auth directory and a log of the URLs the scripted browser opened; both removed in teardown.
*/
export async function signInSandbox(t: ExecutionContext, {callbackPort = 0} = {}): Promise<{authDir: string; browserLog: string; opened: () => Promise<string[]>; openedCount: () => Promise<number>; args: string[]; env: Record<string, string>}> {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'sign-in-'));
	t.teardown(async () => {
		await rm(directory, {recursive: true, force: true});
	});
	const authDir = path.join(directory, 'auth');
	const browserLog = path.join(directory, 'browser.log');
	const opened = async () => {
		const text = await readFile(browserLog, 'utf8').catch(() => '');
		return text.split('\n').filter(Boolean);
	};

	return {
		authDir,
		browserLog,
		opened,
		async openedCount() {
			const urls = await opened();
			return urls.length;
		},
		args: ['--auth-dir', authDir, '--callback-port', String(callbackPort), '--sign-in-timeout', '25s', '--browser-command', `"${process.execPath}" "${scriptedBrowser}"`],
		env: {SCRIPTED_BROWSER_LOG: browserLog},
	};
}
