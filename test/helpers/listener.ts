import process from 'node:process';
import type {ExecutionContext} from 'ava';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StreamableHTTPClientTransport, type StreamableHTTPClientTransportOptions} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {SSEClientTransport} from '@modelcontextprotocol/sdk/client/sse.js';
import {CreateMessageRequestSchema} from '@modelcontextprotocol/sdk/types.js';
import {mergeMap, type Subscription} from 'rxjs';
import {link} from '../../source/link.js';
import {spawnStdio} from '../../source/transports/stdio-child.js';
import {createLogger} from '../../source/logger.js';
import {httpListener, type HttpListenerOptions, type ListenerStats} from '../../source/listeners/http-listener.js';
import type {Session} from '../../source/listeners/sessions/index.js';
import type {Transport} from '../../source/types.js';
import {echoServer} from './fixtures.js';
import {waitForExit} from './processes.js';

export const quietLogger = createLogger({level: 'silent'});

export type RunningListener = {
	url: string;
	port: number;
	stats: () => ListenerStats;
	/**
	Pids of every child spawned so far, one per session.
	*/
	pids: number[];
	sessions: Session[];
	subscription: Subscription;
	/**
	Unsubscribe and wait (bounded) for every child to exit; resolves to the pids still alive.
	*/
	stop: () => Promise<number[]>;
};

/**
Start a listener on 127.0.0.1, port 0, each session backed by its own child (the echo server unless `backend` names another command, or gives an in-process transport). Stopped in `t.teardown`.
*/
export type Backend = {command: string; args: string[]} | Transport;

const echoBackend = () => ({command: process.execPath, args: [echoServer]});

export async function startListener(t: ExecutionContext, options: HttpListenerOptions = {}, backend: (session: Session) => Backend = echoBackend): Promise<RunningListener> {
	const pids: number[] = [];
	const sessions: Session[] = [];
	let stats: (() => ListenerStats) | undefined;
	let failure: unknown;
	const running: {subscription?: Subscription} = {};
	const address = await new Promise<{url: string; port: number}>((resolve, reject) => {
		const subscription = httpListener({
			logger: quietLogger,
			...options,
			onListening(address) {
				options.onListening?.(address);
				resolve(address);
			},
			onStats(read) {
				stats = read;
			},
		}).pipe(mergeMap(session => {
			sessions.push(session);
			const chosen = backend(session);
			if (typeof chosen === 'function') {
				return link(session.transport, chosen);
			}

			return link(session.transport, spawnStdio({
				...chosen,
				logger: quietLogger,
				stderr: 'ignore',
				onSpawn(pid) {
					pids.push(pid);
				},
			}));
		})).subscribe({
			error(error: unknown) {
				failure = error;
				reject(error instanceof Error ? error : new Error(String(error)));
			},
		});
		running.subscription = subscription;
	});
	let stopped: Promise<number[]> | undefined;
	const stop = async () => {
		stopped ??= (async () => {
			running.subscription!.unsubscribe();
			const alive: number[] = [];
			for (const pid of pids) {
				// eslint-disable-next-line no-await-in-loop
				if (!await waitForExit(pid, 10_000)) {
					alive.push(pid);
				}
			}

			return alive;
		})();
		return stopped;
	};

	t.teardown(async () => {
		await stop();
	});
	if (failure) {
		throw failure as Error;
	}

	return {
		...address,
		stats: stats!,
		pids,
		sessions,
		subscription: running.subscription!,
		stop,
	};
}

/**
An SDK client that answers sampling requests (`sampled: echo of PROMPT`).
*/
export function sdkClient(): Client {
	const client = new Client({name: 'listener-test', version: '1.0.0'}, {capabilities: {sampling: {}}});
	client.setRequestHandler(CreateMessageRequestSchema, async request => ({
		role: 'assistant',
		model: 'test-model',
		content: {type: 'text', text: `echo of ${(request.params.messages[0]!.content as {text: string}).text}`},
	}));
	return client;
}

/**
Connect an SDK client over Streamable HTTP; closed in `t.teardown`.
*/
export async function connectStreamable(t: ExecutionContext, url: string, options?: StreamableHTTPClientTransportOptions): Promise<{client: Client; transport: StreamableHTTPClientTransport}> {
	const client = sdkClient();
	const transport = new StreamableHTTPClientTransport(new URL(url), options);
	t.teardown(async () => {
		await client.close().catch(() => undefined);
	});
	await client.connect(transport);
	return {client, transport};
}

/**
Connect an SDK client over legacy SSE; closed in `t.teardown`.
*/
// eslint-disable-next-line @typescript-eslint/no-deprecated
export async function connectSse(t: ExecutionContext, url: string): Promise<{client: Client; transport: SSEClientTransport}> {
	const client = sdkClient();
	// eslint-disable-next-line @typescript-eslint/no-deprecated
	const transport = new SSEClientTransport(new URL(url));
	t.teardown(async () => {
		await client.close().catch(() => undefined);
	});
	await client.connect(transport);
	return {client, transport};
}

export const textOf = (result: unknown) => (result as {content: Array<{text: string}>}).content[0]!.text;

/**
Poll `condition` every 20 ms until it holds or `ms` pass; resolves to whether it held.
*/
export async function eventually(condition: () => boolean, ms = 5000): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (condition()) {
			return true;
		}

		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => {
			setTimeout(resolve, 20);
		});
	}

	return condition();
}
