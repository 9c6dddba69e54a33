import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import {execa, type ResultPromise} from 'execa';
import {
	cli, conformanceServer, conformanceServer2026, root,
} from './paths.js';
import type {ServerTargetName} from './targets.js';

/**
A server the suite or the inspector can reach.
*/
export type RunningTarget = {
	/**
	Streamable HTTP endpoint (`…/mcp`).
	*/
	url: string;
	/**
	Legacy SSE endpoint (`…/sse`).
	*/
	sseUrl: string;
	/**
	What the target wrote to stderr so far (the last 64 KiB), for diagnostics.
	*/
	stderr: () => string;
	stop: () => Promise<void>;
};

const urlPattern = /http:\/\/127\.0\.0\.1:\d+(?:\/servers\/[\w-]+)?\/mcp/g;
const maxStderr = 64 * 1024;

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

async function stopGroup(child: ResultPromise, pid: number): Promise<void> {
	// The target runs in its own process group (detached), so its children (fixture, client mode) go with it.
	for (const [signal, waitMs] of [['SIGTERM', 5000], ['SIGKILL', 2000]] as const) {
		try {
			process.kill(-pid, signal);
		} catch {
			return; // The group is gone.
		}

		const deadline = Date.now() + waitMs;
		while (Date.now() < deadline && isAlive(-pid)) {
			// eslint-disable-next-line no-await-in-loop
			await delay(25);
		}

		if (!isAlive(-pid)) {
			break;
		}
	}

	await child.catch(() => undefined);
}

/**
Spawn `command` (in its own process group) and resolve once it prints an `http://127.0.0.1:PORT/mcp` URL on stderr that is not in `ignoreUrls` (the proxy may relay its children's logs, which name other URLs).
*/
export async function spawnTarget(command: string, arguments_: string[], {ignoreUrls = [], timeoutMs = 20_000}: {ignoreUrls?: string[]; timeoutMs?: number} = {}): Promise<RunningTarget> {
	const child = execa(command, arguments_, {
		cwd: root,
		detached: true,
		stdin: 'ignore',
		stdout: 'ignore',
		stderr: 'pipe',
		reject: false,
	});
	const {pid} = child;
	if (pid === undefined) {
		const result = await child;
		throw new Error(`Could not start ${command} ${arguments_.join(' ')}: ${String(result.message)}`);
	}

	let stderr = '';
	const url = await new Promise<string>((resolve, reject) => {
		const timer = setTimeout(() => {
			reject(new Error(`${command} ${arguments_.join(' ')} printed no http://127.0.0.1:PORT/mcp URL within ${timeoutMs} ms; stderr:\n${stderr}`));
		}, timeoutMs);
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (chunk: string) => {
			stderr = (stderr + chunk).slice(-maxStderr);
			const found = stderr.match(urlPattern)?.find(candidate => !ignoreUrls.includes(candidate));
			if (found) {
				clearTimeout(timer);
				resolve(found);
			}
		});
		void child.then(result => {
			clearTimeout(timer);
			reject(new Error(`${command} ${arguments_.join(' ')} exited (${String(result.exitCode ?? result.signal)}) before printing its URL; stderr:\n${stderr}`));
		});
	}).catch(async (error: unknown) => {
		await stopGroup(child, pid);
		throw error;
	});

	return {
		url,
		sseUrl: url.replace(/\/mcp$/, '/sse'),
		stderr: () => stderr,
		stop: async () => stopGroup(child, pid),
	};
}

/**
The conformance fixture served over Streamable HTTP and legacy SSE by the SDK, no proxy.
*/
export async function startFixtureHttp(): Promise<RunningTarget> {
	return spawnTarget(process.execPath, [conformanceServer, '--http', '--port', '0']);
}

/**
The 2026-07-28 conformance fixture (SDK v2) over Streamable HTTP, no proxy: both eras, or 2026-07-28 only.
*/
export async function startFixture2026Http({modernOnly = false} = {}): Promise<RunningTarget> {
	return spawnTarget(process.execPath, [conformanceServer2026, '--http', '--port', '0', ...(modernOnly ? ['--modern-only'] : [])]);
}

/**
Server mode whose child is client mode pointed at a fixture's HTTP face, or (`remote`) whose config file names that face as a remote server; the fixture starts first and stops with the proxy.
*/
async function startChain(startFixture: () => Promise<RunningTarget>, {remote = false} = {}): Promise<RunningTarget> {
	const fixture = await startFixture();
	try {
		let upstream = ['--', process.execPath, cli, fixture.url];
		if (remote) {
			const config = path.join(mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-conformance-')), 'servers.json');
			writeFileSync(config, JSON.stringify({mcpServers: {fixture: {url: fixture.url}}}));
			upstream = ['--named-server-config', config];
		}

		const proxy = await spawnTarget(process.execPath, [cli, '--port', '0', ...upstream], {ignoreUrls: [fixture.url]});
		return {
			...proxy,
			stderr: () => `${proxy.stderr()}\n--- fixture (behind ${remote ? 'server mode' : 'client mode'}) ---\n${fixture.stderr()}`,
			async stop() {
				await proxy.stop();
				await fixture.stop();
			},
		};
	} catch (error) {
		await fixture.stop();
		throw error;
	}
}

const serverMode = async (flags: string[], child: string[]) => spawnTarget(process.execPath, [cli, '--port', '0', ...flags, '--', process.execPath, ...child]);

/**
Start one server target of `targets.ts`. The chains start the fixture's HTTP face first and stop it with the proxy.
*/
export async function startServerTarget(name: ServerTargetName): Promise<RunningTarget> {
	switch (name) {
		case 'server/direct': {
			return startFixtureHttp();
		}

		case 'server/proxy-multiplexed': {
			return serverMode([], [conformanceServer]);
		}

		case 'server/proxy-isolated': {
			return serverMode(['--isolate-sessions'], [conformanceServer]);
		}

		case 'server/proxy-chain': {
			return startChain(startFixtureHttp);
		}

		case 'server-2026/direct': {
			return startFixture2026Http();
		}

		case 'server-2026/direct-modern-only': {
			return startFixture2026Http({modernOnly: true});
		}

		case 'server-2026/proxy-multiplexed': {
			return serverMode([], [conformanceServer2026]);
		}

		case 'server-2026/proxy-modern-child': {
			return serverMode([], [conformanceServer2026, '--modern-only']);
		}

		case 'server-2026/proxy-isolated': {
			return serverMode(['--isolate-sessions'], [conformanceServer2026]);
		}

		case 'server-2026/proxy-stateless': {
			return serverMode(['--stateless'], [conformanceServer2026]);
		}

		case 'server-2026/proxy-chain': {
			return startChain(startFixture2026Http);
		}

		case 'server-2026/proxy-remote': {
			return startChain(startFixture2026Http, {remote: true});
		}
	}
}
