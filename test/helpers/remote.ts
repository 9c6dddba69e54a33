import {Buffer} from 'node:buffer';
import process from 'node:process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import type {ExecutionContext} from 'ava';
import {execa, type ResultPromise} from 'execa';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js';
import {deserializeMessage} from '@modelcontextprotocol/sdk/shared/stdio.js';
import type {JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js';
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
	endlessBytes: number;
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

/**
The SDK's stdio `ReadBuffer` concatenates every chunk onto the whole buffer and searches it from the start, so a 20 MB line costs it tens of seconds on a busy machine: the test client, not the proxy, becomes the bottleneck. This one keeps the chunks and searches only the new one: the same `append`/`readMessage`/`clear` contract, in linear time.
*/
class LinearReadBuffer {
	private chunks: Uint8Array[] = [];
	private readonly lines: string[] = [];

	append(chunk: Uint8Array): void {
		let rest = chunk;
		let index = rest.indexOf(10);
		while (index !== -1) {
			this.chunks.push(rest.subarray(0, index));
			this.lines.push(Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, ''));
			this.chunks = [];
			rest = rest.subarray(index + 1);
			index = rest.indexOf(10);
		}

		if (rest.length > 0) {
			this.chunks.push(rest);
		}
	}

	// eslint-disable-next-line @typescript-eslint/no-restricted-types -- the SDK's transport stops reading at `null`.
	readMessage(): JSONRPCMessage | null {
		const line = this.lines.shift();
		return line === undefined ? null : deserializeMessage(line);
	}

	clear(): void {
		this.chunks = [];
		this.lines.length = 0;
	}
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
	/**
	Read the proxy's output with a linear-time buffer instead of the SDK's (for very large messages).
	*/
	linearReadBuffer?: boolean;
} = {}): Promise<ProxyConnection> {
	const transport = new StdioClientTransport({
		command: process.execPath,
		args: [cli, ...(options.args ?? []), url],
		env: {...process.env as Record<string, string>, ...options.env},
		stderr: 'pipe',
		maxBufferSize: 64 * 1024 * 1024,
	});
	if (options.linearReadBuffer) {
		(transport as unknown as {_readBuffer: LinearReadBuffer})._readBuffer = new LinearReadBuffer();
	}

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
