/*
`npm run soak`: N clients × M minutes of mixed traffic through both modes of the proxy while its children are killed and the remote server restarts, with the accounting invariant checked for every request. Not part of ava; `npm test` runs a short bound of it (`--ci`).

	node --import=tsx test/soak/run.ts [--clients N] [--duration 10m] [--kill-interval 10s] [--restart-interval 30s] [--json FILE] [--ci]

What runs:
	remote      fixtures/remote-server.js (Streamable HTTP and legacy SSE), restarted on its port every --restart-interval
	server mode mcp-proxy --port 0 -- node fixtures/echo-server.js, with the remote as the named server "remote";
	            its default child is SIGKILLed every --kill-interval
	client mode mcp-proxy <remote>/mcp, a stdio client of it
	clients     round-robin: Streamable HTTP and legacy SSE to the default server, Streamable HTTP to /servers/remote,
	            and through client mode; each keeps two requests in flight (echo of 10 B–200 kB, tools/list, ping,
	            progress, slow 50–500 ms)

Report: requests, results, errors by cause, lost (no answer within the request timeout + 15 s), duplicated, strays, broken exchanges; RSS and open file descriptors of both proxies at start (after a warm-up, traffic paused) and at the end (traffic stopped), and their growth against the stated bounds; children and exit codes at shutdown. Exits 1 when anything was lost, duplicated, stray or broken, when a bound is exceeded, or when a proxy does not exit 0 or leaves a process behind.
*/
import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import {execa, type ResultPromise} from 'execa';
import {
	descendants,
	HttpPeer,
	isRunning,
	Ledger,
	openFileDescriptors,
	residentBytes,
	SsePeer,
	StdioPeer,
	type Answer,
} from '../helpers/accounting.js';
import {cli, echoServer, fixture} from '../helpers/fixtures.js';

type Options = {
	clients: number;
	durationMs: number;
	killIntervalMs: number;
	restartIntervalMs: number;
	json: string | undefined;
	ci: boolean;
};

/**
Bounds the end state is held to: growth from the start (after warm-up) to the end.
*/
const bounds = {rssGrowthBytes: 96 * 1024 * 1024, fdGrowth: 16};
const requestTimeoutMs = 10_000;
const deadlineMs = requestTimeoutMs + 15_000;

function parseDuration(value: string): number {
	const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
	if (!match) {
		throw new TypeError(`Not a duration: ${value}`);
	}

	const units: Record<string, number> = {
		ms: 1, s: 1000, m: 60_000, h: 3_600_000,
	};
	return Number(match[1]) * units[match[2] ?? 's']!;
}

function parseOptions(argv: string[]): Options {
	const ci = argv.includes('--ci');
	const options: Options = {
		clients: ci ? 6 : 8,
		durationMs: ci ? 25_000 : 60_000,
		killIntervalMs: ci ? 6000 : 10_000,
		restartIntervalMs: ci ? 12_000 : 30_000,
		json: undefined,
		ci,
	};
	for (let index = 0; index < argv.length; index++) {
		const value = argv[index + 1] ?? '';
		switch (argv[index] ?? '') {
			case '--clients': {
				options.clients = Number(value);
				index++;
				break;
			}

			case '--duration': {
				options.durationMs = parseDuration(value);
				index++;
				break;
			}

			case '--kill-interval': {
				options.killIntervalMs = parseDuration(value);
				index++;
				break;
			}

			case '--restart-interval': {
				options.restartIntervalMs = parseDuration(value);
				index++;
				break;
			}

			case '--json': {
				options.json = value;
				index++;
				break;
			}

			case '--ci': {
				break;
			}

			default: {
				throw new TypeError(`Unknown option ${argv[index]}`);
			}
		}
	}

	return options;
}

/**
The cause an error names, for the report.
*/
const causes: Array<[string, RegExp]> = [
	['child killed (SIGKILL)', /killed by SIGKILL/],
	['server restarting, not available', /not available|being restarted/],
	['remote connection lost mid-request', /may or may not have been processed|ECONNRESET|The connection to .* failed/],
	['remote unreachable', /unreachable|Cannot connect/],
	['remote stream ended before the answer', /ended the response stream/],
	['remote HTTP error', /HTTP [45]\d\d/],
	['timed out', /timed out/],
	['connection closed', /closed/],
];

function causeOf(message: string): string {
	return causes.find(([, pattern]) => pattern.test(message))?.[0] ?? `other: ${message.slice(0, 120)}`;
}

type RemoteProcess = {child: ResultPromise; url: string; port: number};

async function startRemote(port = 0): Promise<RemoteProcess> {
	const child = execa(process.execPath, [fixture('remote-server.js'), '--port', String(port)], {stdout: 'pipe', stderr: 'inherit', reject: false});
	const line = await new Promise<string>((resolve, reject) => {
		let text = '';
		child.stdout.setEncoding('utf8');
		child.stdout.on('data', (chunk: string) => {
			text += chunk;
			if (text.includes('\n')) {
				resolve(text.split('\n')[0]!);
			}
		});
		void child.then(() => {
			reject(new Error('the remote server exited before listening'));
		});
	});
	const urls = JSON.parse(line) as {url: string; port: number};
	return {child, url: urls.url, port: urls.port};
}

async function startServerModeProxy(remoteUrl: string): Promise<{child: ResultPromise; base: string; stderr: () => string}> {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-soak-'));
	const config = path.join(directory, 'servers.json');
	writeFileSync(config, JSON.stringify({mcpServers: {remote: {url: `${remoteUrl}/mcp`, transport: 'streamablehttp'}}}));
	const child = execa(process.execPath, [
		cli, '--port', '0', '--restart-delay', '200ms', '--restart-max-delay', '2s', '--request-timeout', `${requestTimeoutMs}ms`, '--named-server-config', config, '--', process.execPath, echoServer,
	], {
		stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', reject: false,
	});
	let stderr = '';
	const base = await new Promise<string>((resolve, reject) => {
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (chunk: string) => {
			stderr += chunk;
			const match = /at (http:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(stderr);
			if (match) {
				resolve(match[1]!);
			}
		});
		void child.then(() => {
			reject(new Error(`server mode exited: ${stderr}`));
		});
	});
	return {child, base, stderr: () => stderr};
}

type Peer = HttpPeer | SsePeer | StdioPeer;

const textOfSize = (size: number) => 'x'.repeat(size);

/**
One random request of the mix; resolves to its answer.
*/
async function randomCall(peer: Peer): Promise<Answer | undefined> {
	const pick = Math.random();
	if (pick < 0.4) {
		const size = Math.random() < 0.05 ? 200_000 : Math.floor(10 + (Math.random() * 10_000));
		return peer.call('tools/call', {name: 'echo', arguments: {text: textOfSize(size)}});
	}

	if (pick < 0.55) {
		return peer.call('tools/list');
	}

	if (pick < 0.7) {
		return peer.call('ping');
	}

	if (pick < 0.85) {
		return peer.call('tools/call', {name: 'progress', arguments: {steps: 3, delayMs: 10}, _meta: {progressToken: `p${Math.random()}`}});
	}

	return peer.call('tools/call', {name: 'slow', arguments: {ms: Math.floor(50 + (Math.random() * 450))}});
}

type Measure = {rss: number; fds: number; children: number};

function measure(pid: number): Measure {
	return {rss: residentBytes(pid), fds: openFileDescriptors(pid), children: descendants(pid).length};
}

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

// eslint-disable-next-line complexity
async function main(argv: string[]): Promise<number> {
	const options = parseOptions(argv);
	const started = Date.now();
	const seconds = (ms: number) => `${ms / 1000} s`;
	const plan = `a child killed every ${seconds(options.killIntervalMs)}, the remote restarted every ${seconds(options.restartIntervalMs)}`;
	process.stderr.write(`soak: ${options.clients} clients for ${seconds(options.durationMs)}, ${plan}\n`);

	let remote = await startRemote();
	const server = await startServerModeProxy(remote.url);
	const ledger = new Ledger();
	const client = new StdioPeer([...(process.env['SOAK_DEBUG'] ? ['--debug'] : []), `${remote.url}/mcp`, '--reconnect-delay', '200ms', '--reconnect-max-delay', '2s', '--request-timeout', `${requestTimeoutMs}ms`], ledger, {deadline: deadlineMs});
	const initialized = await client.initialize();
	if (initialized?.kind !== 'result') {
		throw new Error(`client mode did not initialize: ${client.stderr}`);
	}

	const kinds = ['http-default', 'sse-default', 'http-remote', 'stdio-remote'] as const;
	const sessionsLost: Record<string, number> = {};
	const makePeer = async (kind: typeof kinds[number]): Promise<Peer> => {
		if (kind === 'stdio-remote') {
			return client;
		}

		const peer = kind === 'sse-default'
			? new SsePeer(server.base, ledger, '/sse', deadlineMs)
			: new HttpPeer(`${server.base}${kind === 'http-remote' ? '/servers/remote' : ''}/mcp`, ledger, deadlineMs);
		for (let attempt = 0; attempt < 50; attempt++) {
			// eslint-disable-next-line no-await-in-loop
			const answer = await peer.initialize().catch(() => undefined);
			if (answer?.kind === 'result') {
				return peer;
			}

			// eslint-disable-next-line no-await-in-loop
			await delay(200);
		}

		throw new Error(`a ${kind} client could not initialize`);
	};

	const clients = await Promise.all(Array.from({length: options.clients}, async (_, index) => {
		const kind = kinds[index % kinds.length]!;
		return {kind, peer: await makePeer(kind)};
	}));

	const state = {running: true, paused: false};
	const counts = {requests: 0};
	const worker = async (entry: {kind: typeof kinds[number]; peer: Peer}) => {
		while (state.running) {
			if (state.paused) {
				// eslint-disable-next-line no-await-in-loop
				await delay(50);
				continue;
			}

			counts.requests++;
			// eslint-disable-next-line no-await-in-loop
			const answer = await randomCall(entry.peer);
			if (answer?.message?.includes('Session not found')) {
				sessionsLost[entry.kind] = (sessionsLost[entry.kind] ?? 0) + 1;
				// eslint-disable-next-line no-await-in-loop
				entry.peer = await makePeer(entry.kind);
			}

			// eslint-disable-next-line no-await-in-loop
			await delay(Math.random() * 30);
		}
	};

	const workers = clients.flatMap(entry => [worker(entry), worker(entry)]);
	const quiesce = async () => {
		state.paused = true;
		await ledger.settle(deadlineMs, /./);
		await delay(1500);
	};

	// Warm up, then measure with traffic paused.
	await delay(Math.min(5000, options.durationMs / 6));
	await quiesce();
	const serverPid = server.child.pid!;
	const clientPid = client.child.pid!;
	const start = {server: measure(serverPid), client: measure(clientPid)};
	state.paused = false;

	let kills = 0;
	let restarts = 0;
	const samples: Array<{second: number; serverRss: number; clientRss: number; serverFds: number; clientFds: number}> = [];
	let nextSample = Date.now();
	const chaosDeadline = Date.now() + options.durationMs;
	let nextKill = Date.now() + options.killIntervalMs;
	let nextRestart = Date.now() + options.restartIntervalMs;
	while (Date.now() < chaosDeadline) {
		const now = Date.now();
		for (const [name, child, stderr] of [['server mode', server.child, server.stderr()], ['client mode', client.child, client.stderr]] as const) {
			if (child.exitCode !== null || child.signalCode !== null) {
				writeFileSync(path.join(os.tmpdir(), 'rx-mcp-proxy-soak-died.log'), stderr);
				throw new Error(`${name} died (${String(child.exitCode ?? child.signalCode)}); the end of its standard error:\n${stderr.slice(-4000)}`);
			}
		}

		if (now >= nextSample) {
			nextSample += Math.max(5000, options.durationMs / 20);
			const server_ = measure(serverPid);
			const client_ = measure(clientPid);
			samples.push({
				second: Math.round((now - started) / 1000), serverRss: server_.rss, clientRss: client_.rss, serverFds: server_.fds, clientFds: client_.fds,
			});
		}

		if (now >= nextKill) {
			nextKill += options.killIntervalMs;
			// eslint-disable-next-line no-await-in-loop
			const status = await fetch(`${server.base}/status`).then(async response => response.json() as Promise<{servers: {default: {pid?: number}}}>).catch(() => undefined);
			const pid = status?.servers.default.pid;
			if (pid !== undefined) {
				process.kill(pid, 'SIGKILL');
				kills++;
			}
		}

		if (now >= nextRestart) {
			nextRestart += options.restartIntervalMs;
			const {port} = remote;
			// Abruptly every other time, gracefully the others.
			remote.child.kill(restarts % 2 === 0 ? 'SIGKILL' : 'SIGTERM');
			// eslint-disable-next-line no-await-in-loop
			await remote.child;
			// eslint-disable-next-line no-await-in-loop
			await delay(500);
			// eslint-disable-next-line no-await-in-loop
			remote = await startRemote(port);
			restarts++;
		}

		// eslint-disable-next-line no-await-in-loop
		await delay(100);
	}

	state.running = false;
	await Promise.all(workers);
	await quiesce();
	const end = {server: measure(serverPid), client: measure(clientPid)};
	const summary = await ledger.settle(deadlineMs, /./);

	const errorsByCause: Record<string, number> = {};
	for (const [message, count] of Object.entries(summary.errorsByMessage)) {
		const cause = causeOf(message);
		errorsByCause[cause] = (errorsByCause[cause] ?? 0) + count;
	}

	// Shut both proxies down: exit 0, nothing left behind.
	const serverChildren = descendants(serverPid);
	process.kill(serverPid, 'SIGTERM');
	process.kill(clientPid, 'SIGTERM');
	const [serverExit, clientExit] = await Promise.all([server.child, client.child]);
	await delay(500);
	const leftBehind = serverChildren.filter(pid => isRunning(pid));
	remote.child.kill('SIGTERM');
	await remote.child;

	const growth = {
		server: {rss: end.server.rss - start.server.rss, fds: end.server.fds - start.server.fds},
		client: {rss: end.client.rss - start.client.rss, fds: end.client.fds - start.client.fds},
	};
	const failures: string[] = [];
	if (summary.lost.length > 0) {
		failures.push(`${summary.lost.length} requests lost: ${summary.lost.slice(0, 5).join(', ')}`);
	}

	for (const [name, list] of [['duplicated', summary.duplicated], ['stray answers', summary.strays], ['broken exchanges', summary.broken]] as const) {
		if (list.length > 0) {
			failures.push(`${list.length} ${name}: ${list.slice(0, 5).join(', ')}`);
		}
	}

	for (const [name, value] of Object.entries(growth)) {
		if (value.rss > bounds.rssGrowthBytes) {
			failures.push(`${name} RSS grew by ${megabytes(value.rss)} (bound ${megabytes(bounds.rssGrowthBytes)})`);
		}

		if (value.fds > bounds.fdGrowth) {
			failures.push(`${name} open file descriptors grew by ${value.fds} (bound ${bounds.fdGrowth})`);
		}
	}

	if (serverExit.exitCode !== 0 || clientExit.exitCode !== 0) {
		failures.push(`exit codes: server mode ${String(serverExit.exitCode ?? serverExit.signal)}, client mode ${String(clientExit.exitCode ?? clientExit.signal)}`);
	}

	if (leftBehind.length > 0) {
		failures.push(`processes left behind by server mode: ${leftBehind.join(', ')}`);
	}

	const report = {
		options: {...options, json: undefined},
		wallSeconds: Math.round((Date.now() - started) / 1000),
		machine: {
			cpus: os.cpus().length, cpu: os.cpus()[0]?.model.trim(), memoryGiB: Math.round(os.totalmem() / (1024 ** 3)), node: process.version, os: `${os.type()} ${os.release()}`,
		},
		requests: summary.sent,
		results: summary.results,
		errors: summary.errors,
		errorsByCause,
		lost: summary.lost.length,
		duplicated: summary.duplicated.length,
		strays: summary.strays.length,
		broken: summary.broken.length,
		unexplained: summary.unexplained,
		childKills: kills,
		remoteRestarts: restarts,
		sessionsLost,
		start,
		end,
		growth,
		samples,
		bounds,
		shutdown: {
			serverExit: serverExit.exitCode, clientExit: clientExit.exitCode, childrenBefore: serverChildren.length, leftBehind: leftBehind.length,
		},
		failures,
	};

	const lines = [
		`soak: ${report.wallSeconds} s on ${report.machine.cpus} × ${report.machine.cpu ?? '?'}, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}`,
		`  clients ${options.clients}, traffic ${options.durationMs / 1000} s, child kills ${kills}, remote restarts ${restarts}`,
		`  requests ${summary.sent}: ${summary.results} results, ${summary.errors} errors`,
		`  lost ${summary.lost.length}, duplicated ${summary.duplicated.length}, strays ${summary.strays.length}, broken ${summary.broken.length}`,
		...Object.entries(errorsByCause).toSorted(([, a], [, b]) => b - a).map(([cause, count]) => `    ${String(count).padStart(6)}  ${cause}`),
		`  sessions re-opened after a 404: ${JSON.stringify(sessionsLost)}`,
		`  server mode: RSS ${megabytes(start.server.rss)} → ${megabytes(end.server.rss)}, fds ${start.server.fds} → ${end.server.fds}, children ${start.server.children} → ${end.server.children}`,
		`  client mode: RSS ${megabytes(start.client.rss)} → ${megabytes(end.client.rss)}, fds ${start.client.fds} → ${end.client.fds}`,
		`  RSS over time (s: server/client MB): ${samples.map(sample => `${sample.second}: ${Math.round(sample.serverRss / 1_048_576)}/${Math.round(sample.clientRss / 1_048_576)}`).join(', ')}`,
		`  bounds: RSS growth ≤ ${megabytes(bounds.rssGrowthBytes)}, fd growth ≤ ${bounds.fdGrowth}`,
		`  shutdown: server mode exit ${String(serverExit.exitCode)}, client mode exit ${String(clientExit.exitCode)}, ${leftBehind.length} of ${serverChildren.length} children left behind`,
		failures.length === 0 ? '  PASS' : `  FAIL\n${failures.map(failure => `    - ${failure}`).join('\n')}`,
	];
	process.stdout.write(`${lines.join('\n')}\n`);
	if (options.json) {
		writeFileSync(options.json, `${JSON.stringify(report, undefined, '\t')}\n`);
	}

	return failures.length === 0 ? 0 : 1;
}

try {
	process.exitCode = await main(process.argv.slice(2));
} catch (error) {
	process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
	process.exitCode = 1;
}

// Idle keep-alive sockets must not hold the run open.
setTimeout(() => {
	// eslint-disable-next-line unicorn/no-process-exit
	process.exit();
}, 1000).unref();
