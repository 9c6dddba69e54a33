import {Buffer} from 'node:buffer';
import process from 'node:process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import type {ExecutionContext} from 'ava';
import {execa, type ResultPromise} from 'execa';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js';
import {cli, fixture} from './fixtures.js';

export const remoteServer = fixture('remote-server.js');

export type RemoteUrls = {
	url: string;
	mcp: string;
	sse: string;
	token: string;
	admin: string;
	port: number;
};

export type RemoteStats = {
	tokenRequests: number;
	tokenRequestsBasic: number;
	tokenRequestsPost: number;
	unauthorized: number;
	initializeRequests: number;
	deleteRequests: number;
	getStreams: number;
	sessions: number;
	lastHeaders: Record<string, string>;
	roots: string[] | string | undefined;
};

/**
Start `fixtures/remote-server.js` as a child process; it is stopped in teardown.
*/
export async function startRemoteProcess(t: ExecutionContext, args: string[] = []): Promise<{urls: RemoteUrls; child: ResultPromise; stop: () => Promise<void>}> {
	const child = execa(process.execPath, [remoteServer, ...args], {
		stdout: 'pipe', stderr: 'inherit', reject: false, timeout: 50_000,
	});
	const lines = createInterface({input: child.stdout});
	const [line] = await Promise.race([
		once(lines, 'line') as Promise<[string]>,
		child.then(result => {
			throw new Error(`remote-server exited: ${String(result.exitCode)}`);
		}),
	]);
	const stop = async () => {
		if (child.exitCode === null) {
			child.kill('SIGKILL');
			await child;
		}
	};

	t.teardown(stop);
	return {urls: JSON.parse(line) as RemoteUrls, child, stop};
}

export async function remoteStats(urls: RemoteUrls): Promise<RemoteStats> {
	const response = await fetch(`${urls.admin}/stats`);
	return await response.json() as RemoteStats;
}

export async function admin(urls: RemoteUrls, action: 'expire-sessions' | 'revoke-tokens' | 'close-streams'): Promise<void> {
	const response = await fetch(`${urls.admin}/${action}`, {method: 'POST'});
	await response.text();
}

export type ProxyConnection = {
	client: Client;
	transport: StdioClientTransport;
	stderr: () => string;
	pid: () => number | undefined;
};

/**
Run the built CLI in client mode against `url` and connect an SDK client to it over stdio.
*/
export async function connectThroughProxy(t: ExecutionContext, url: string, options: {
	args?: string[];
	env?: Record<string, string>;
	capabilities?: ConstructorParameters<typeof Client>[1];
	setup?: (client: Client) => void;
	connect?: boolean;
} = {}): Promise<ProxyConnection> {
	const transport = new StdioClientTransport({
		command: process.execPath,
		args: [cli, ...(options.args ?? []), url],
		env: {...process.env as Record<string, string>, ...options.env},
		stderr: 'pipe',
		maxBufferSize: 64 * 1024 * 1024,
	});
	let stderr = '';
	transport.stderr?.on('data', (chunk: Uint8Array) => {
		stderr += Buffer.from(chunk).toString('utf8');
	});
	const client = new Client({name: 'test-client', version: '1.0.0'}, options.capabilities ?? {capabilities: {}});
	options.setup?.(client);
	t.teardown(async () => {
		await client.close().catch(() => undefined);
	});
	if (options.connect !== false) {
		await client.connect(transport);
	}

	return {
		client, transport, stderr: () => stderr, pid: () => transport.pid ?? undefined,
	};
}

/**
Poll `condition` every 25 ms for at most `ms`.
*/
export async function eventually(condition: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		// eslint-disable-next-line no-await-in-loop
		if (await condition()) {
			return true;
		}

		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => {
			setTimeout(resolve, 25);
		});
	}

	return condition();
}
