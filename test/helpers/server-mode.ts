import process from 'node:process';
import type {ExecutionContext} from 'ava';
import {execa, type ResultPromise} from 'execa';
import {Client, type ClientOptions} from '@modelcontextprotocol/sdk/client/index.js';
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {SSEClientTransport} from '@modelcontextprotocol/sdk/client/sse.js';
import {cli} from './fixtures.js';
import {eventually} from './remote.js';

export type RunningProxy = {
	/**
	`http://127.0.0.1:PORT`
	*/
	base: string;
	process: ResultPromise;
	stderr: () => string;
	/**
	Resolves true once standard error matches `pattern` (it arrives on its own pipe, so after the HTTP answers that followed it), false after `ms`.
	*/
	logged: (pattern: RegExp, ms?: number) => Promise<boolean>;
	status: () => Promise<{statusCode: number; body: any}>;
	connect: (path: string, options?: ClientOptions) => Promise<Client>;
	/**
	End a Streamable HTTP client's session (DELETE), then close it.
	*/
	end: (client: Client) => Promise<void>;
	/**
	SIGTERM, then wait for the exit (bounded); resolves to the exit code.
	*/
	stop: () => Promise<number | undefined>;
};

/**
Start `mcp-proxy` in server mode (the built CLI, or the `cli` given) on 127.0.0.1, port 0, and wait for its "Serving … at URL" line. Killed in `t.teardown`.
*/
export async function startServerMode(t: ExecutionContext, args: string[], {env, cli: program = cli}: {env?: Record<string, string>; cli?: string} = {}): Promise<RunningProxy> {
	const child = execa(process.execPath, [program, '--port', '0', ...args], {
		reject: false, stdin: 'ignore', env, all: false,
	});
	let stderr = '';
	const clients: Client[] = [];
	const transports = new Map<Client, StreamableHTTPClientTransport | SSEClientTransport>();
	const base = await new Promise<string>((resolve, reject) => {
		const timer = setTimeout(() => {
			reject(new Error(`server mode did not start within 20 s; stderr:\n${stderr}`));
		}, 20_000);
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (chunk: string) => {
			stderr += chunk;
			const match = /at (http:\/\/127\.0\.0\.1:\d+)(?:\/servers\/[^/]+)?\/mcp/.exec(stderr);
			if (match) {
				clearTimeout(timer);
				resolve(match[1]!);
			}
		});
		void child.then(() => {
			clearTimeout(timer);
			reject(new Error(`server mode exited before serving; stderr:\n${stderr}`));
		});
	});

	let stopped: Promise<number | undefined> | undefined;
	const stop = async () => {
		stopped ??= (async () => {
			await Promise.allSettled(clients.map(async client => client.close()));
			child.kill('SIGTERM');
			const timer = setTimeout(() => {
				child.kill('SIGKILL');
			}, 15_000);
			const result = await child;
			clearTimeout(timer);
			return result.exitCode;
		})();
		return stopped;
	};

	t.teardown(async () => {
		await stop();
	});

	return {
		base,
		process: child,
		stderr: () => stderr,
		logged: async (pattern, ms = 10_000) => eventually(() => pattern.test(stderr), ms),
		async status() {
			const response = await fetch(`${base}/status`);
			return {statusCode: response.status, body: await response.json()};
		},
		async connect(path, options) {
			const client = new Client({name: 'test-client', version: '1.0.0'}, options);
			const url = new URL(path, base);
			const transport = path.endsWith('/sse') ? new SSEClientTransport(url) : new StreamableHTTPClientTransport(url);
			await client.connect(transport);
			clients.push(client);
			transports.set(client, transport);
			return client;
		},
		async end(client) {
			const transport = transports.get(client);
			if (transport instanceof StreamableHTTPClientTransport) {
				await transport.terminateSession();
			}

			await client.close();
		},
		stop,
	};
}

export const textOf = (result: unknown) => (result as {content: Array<{text: string}>}).content[0]!.text;
