import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {fixture} from '../helpers/fixtures.js';
import {eventually} from '../helpers/remote.js';
import {startServerMode, type RunningProxy} from '../helpers/server-mode.js';

/*
A request the child never answers (as a child does with a message it cannot parse) holds nothing forever, in every topology of server mode (multiplexed, isolated, stateless, a remote backend): it ends when its client cancels it, when its session ends, or after --request-timeout, which answers it -32001 and cancels it upstream. The child here drops every `tools/list` and logs each request it drops and each cancellation it gets; /status counts what a shared server still owes (`inFlight`).
*/

const faultyServer = fixture('faulty-server.js');
const dropping = ['--', process.execPath, faultyServer, '--drop', 'tools/list'];
const postHeaders = {'content-type': 'application/json', accept: 'application/json, text/event-stream'};

type Rpc = {id?: unknown; result?: unknown; error?: {code: number; message: string}};

/**
A raw Streamable HTTP client: no SDK in between to time out or cancel on its own.
*/
class RawClient {
	session: string | undefined;
	private readonly url: string;
	private readonly controllers = new Set<AbortController>();

	constructor(url: string) {
		this.url = url;
	}

	async initialize(stateless = false): Promise<void> {
		const answer = await this.request(0, 'initialize', {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'unanswered', version: '1'}});
		if (answer.error) {
			throw new Error(`initialize failed: ${answer.error.message}`);
		}

		if (!stateless) {
			await this.notify('notifications/initialized');
		}
	}

	/**
	Send a request; resolves to its answer, or `{}` when the client gives up (`abort`) or the exchange ends without one. Bounded: 20 s.
	*/
	async request(id: number, method: string, parameters: unknown = {}): Promise<Rpc> {
		const controller = new AbortController();
		this.controllers.add(controller);
		const timer = setTimeout(() => {
			controller.abort();
		}, 20_000);
		try {
			const response = await fetch(this.url, {
				method: 'POST', headers: this.headers(), body: JSON.stringify({
					jsonrpc: '2.0', id, method, params: parameters,
				}), signal: controller.signal,
			});
			this.session ??= response.headers.get('mcp-session-id') ?? undefined;
			const text = await response.text();
			if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
				return JSON.parse(text) as Rpc;
			}

			for (const line of text.split('\n')) {
				if (line.startsWith('data: ') && line.length > 6) {
					const message = JSON.parse(line.slice(6)) as Rpc;
					if (message.id === id) {
						return message;
					}
				}
			}

			return {};
		} catch {
			return {};
		} finally {
			clearTimeout(timer);
			this.controllers.delete(controller);
		}
	}

	async notify(method: string, parameters?: unknown): Promise<number> {
		const response = await fetch(this.url, {method: 'POST', headers: this.headers(), body: JSON.stringify({jsonrpc: '2.0', method, params: parameters})});
		await response.body?.cancel();
		return response.status;
	}

	async delete(): Promise<number> {
		const response = await fetch(this.url, {method: 'DELETE', headers: this.headers()});
		await response.body?.cancel();
		return response.status;
	}

	/**
	Give up every request still waiting (the connection closes; the request is not cancelled).
	*/
	abandon(): void {
		for (const controller of this.controllers) {
			controller.abort();
		}
	}

	private headers(): Record<string, string> {
		const headers: Record<string, string> = {...postHeaders, 'mcp-protocol-version': '2025-06-18'};
		if (this.session !== undefined) {
			headers['mcp-session-id'] = this.session;
		}

		return headers;
	}
}

type ServerStatus = {state: string; sessions: number; inFlight?: number};

async function serverStatus(proxy: RunningProxy, name = 'default'): Promise<ServerStatus> {
	const {body} = await proxy.status();
	return body.servers[name] as ServerStatus;
}

/**
How many times the child logged `faulty-server: <what> <id>` so far.
*/
function childSaid(proxy: RunningProxy, what: 'dropped tools/list' | 'cancelled'): number {
	return proxy.stderr().split('\n').filter(line => line.includes(`faulty-server: ${what} `)).length;
}

const echo = async (client: RawClient, id: number, text: string) => {
	const answer = await client.request(id, 'tools/call', {name: 'echo', arguments: {text}});
	return (answer.result as {content?: Array<{text?: string}>} | undefined)?.content?.[0]?.text;
};

/**
The client calls `tools/list`, which the child drops: the proxy's --request-timeout (1 s unless `ms`) answers it -32001 naming the server and the method, the child is told to cancel it, nothing is left in flight, and the session goes on.
*/
async function assertTimesOut(t: ExecutionContext, proxy: RunningProxy, client: RawClient, where: {label: string; server?: string; child?: RunningProxy; ms?: number}): Promise<void> {
	const {label} = where;
	const child = where.child ?? proxy;
	const cancelledBefore = childSaid(child, 'cancelled');
	const answer = await client.request(1, 'tools/list');
	t.is(answer.error?.code, -32_001, `${label}: ${JSON.stringify(answer)}`);
	t.regex(answer.error?.message ?? '', new RegExp(`Request timed out: .* did not answer \`tools/list\` within ${where.ms ?? 1000} ms`), label);
	t.true(await eventually(() => childSaid(child, 'cancelled') > cancelledBefore, 10_000), `${label}: the child got notifications/cancelled\n${child.stderr()}`);
	t.true(childSaid(child, 'dropped tools/list') >= 1, `${label}: the child dropped the request`);
	const status = await serverStatus(proxy, where.server);
	if (status.inFlight !== undefined) {
		t.is(status.inFlight, 0, `${label}: the shared server owes nothing`);
	}

	if (where.child) {
		const remote = await serverStatus(where.child);
		t.is(remote.inFlight, 0, `${label}: the remote owes nothing`);
	}
}

for (const topology of ['multiplexed', 'isolated', 'stateless'] as const) {
	test.serial(`--request-timeout in server mode (${topology}): a request the child never answers gets -32001, and the child is told to cancel it`, async t => {
		const flags = {multiplexed: [], isolated: ['--isolate-sessions'], stateless: ['--stateless']}[topology];
		// An isolated session's initialize waits for its own child to start, within the same timeout: a loaded machine needs more than 1 s.
		const ms = topology === 'isolated' ? 5000 : 1000;
		const proxy = await startServerMode(t, [...flags, '--request-timeout', `${ms}ms`, ...dropping]);
		const client = new RawClient(`${proxy.base}/mcp`);
		await client.initialize(topology === 'stateless');
		await assertTimesOut(t, proxy, client, {label: topology, ms});
		t.is(await echo(client, 2, 'after'), 'after', 'the session goes on');
	});
}

test.serial('--request-timeout in server mode with a remote backend (multiplexed and isolated): -32001, and the cancellation reaches the remote\'s child', async t => {
	const remote = await startServerMode(t, dropping);
	const config = path.join(mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-unanswered-')), 'servers.json');
	writeFileSync(config, JSON.stringify({mcpServers: {far: {url: `${remote.base}/mcp`, transport: 'streamablehttp'}}}));
	for (const flags of [[], ['--isolate-sessions']]) {
		const label = `remote backend ${flags.join(' ') || 'multiplexed'}`;
		// eslint-disable-next-line no-await-in-loop
		const proxy = await startServerMode(t, [...flags, '--request-timeout', '1s', '--named-server-config', config]);
		const client = new RawClient(`${proxy.base}/servers/far/mcp`);
		// eslint-disable-next-line no-await-in-loop
		await client.initialize();
		// eslint-disable-next-line no-await-in-loop
		await assertTimesOut(t, proxy, client, {label, server: 'far', child: remote});
		// eslint-disable-next-line no-await-in-loop
		t.is(await echo(client, 2, 'after'), 'after', `${label}: the session goes on`);
		// eslint-disable-next-line no-await-in-loop
		await proxy.stop();
	}
});

test.serial('without --request-timeout, an unanswered request ends when its client cancels it, leaves before its answer began, or ends its session; the child is told', async t => {
	const proxy = await startServerMode(t, dropping);
	const client = new RawClient(`${proxy.base}/mcp`);
	await client.initialize();
	const owes = async (count: number) => eventually(async () => {
		const status = await serverStatus(proxy);
		return status.inFlight === count;
	}, 10_000);
	const told = async (count: number) => eventually(() => childSaid(proxy, 'cancelled') === count, 10_000);

	// Cancelled by its client: the POST that carried it ends without an answer.
	const cancelled = client.request(1, 'tools/list');
	t.true(await eventually(() => childSaid(proxy, 'dropped tools/list') === 1, 10_000));
	t.true(await owes(1));
	t.is(await client.notify('notifications/cancelled', {requestId: 1, reason: 'the user gave up'}), 202);
	t.deepEqual(await cancelled, {}, 'no answer comes for a cancelled request');
	t.true(await owes(0), 'the shared server owes nothing');
	t.true(await told(1), 'the child was told');

	// Given up without a word, before any of the answer came: nothing could ever deliver it (there is no event id to resume from), so it is cancelled.
	void client.request(2, 'tools/list');
	void client.request(3, 'tools/list');
	t.true(await eventually(() => childSaid(proxy, 'dropped tools/list') === 3, 10_000));
	t.true(await owes(2));
	client.abandon();
	t.true(await owes(0), 'the shared server owes nothing for requests whose client left');
	t.true(await told(3), `the child was told of both\n${proxy.stderr()}`);
	t.is(await echo(client, 4, 'still here'), 'still here', 'the session goes on');

	// Waiting when its session ends: answered with an error, and cancelled.
	const waiting = client.request(5, 'tools/list');
	t.true(await owes(1));
	t.is(await client.delete(), 200);
	const answer = await waiting;
	t.regex(answer.error?.message ?? '', /The client deleted the session/);
	t.true(await owes(0), 'the shared server owes nothing once the session ended');
	t.true(await told(4));
	const status = await serverStatus(proxy);
	t.is(status.sessions, 0);
});
