/*
The container image, tested where it can be without pulling a base image: the Dockerfile's promises (two stages, an unprivileged user, tini as the entrypoint, a health check on /status), its HEALTHCHECK command run against a real proxy, and the entrypoint as PID 1 in PID and network namespaces of its own (`unshare`, as a container runtime would start it), stopped by SIGTERM: a clean exit 0, the stdio server shut down gracefully, nothing left running. Needs root (for the namespaces) and Debian's `tini`, installed here when missing.
*/
import {existsSync, readFileSync} from 'node:fs';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import test, {type ExecutionContext} from 'ava';
import {execa, execaSync} from 'execa';
import {cli, echoServer, root} from './helpers/fixtures.js';
import {startServerMode} from './helpers/server-mode.js';

const dockerfile = readFileSync(`${root}/Dockerfile`, 'utf8');

/**
The exec-form array of a Dockerfile instruction (`CMD ["node", …]` after `HEALTHCHECK … \`), continuation lines joined.
*/
function execForm(instruction: string): string[] {
	const joined = dockerfile.replaceAll(/\\\n\s*/g, ' ');
	const line = joined.split('\n').find(candidate => candidate.startsWith(`${instruction} `));
	if (!line) {
		throw new Error(`The Dockerfile has no ${instruction}`);
	}

	return JSON.parse(line.slice(line.indexOf('['))) as string[];
}

function which(command: string): string | undefined {
	const found = execaSync('sh', ['-c', `command -v ${command}`], {reject: false});
	return found.exitCode === 0 ? found.stdout.trim() : undefined;
}

/**
Debian's tini: installed with apt-get when missing (CI runs as root on Debian).
*/
function ensureTini(): string {
	const found = which('tini');
	if (found) {
		return found;
	}

	const install = execaSync('sh', ['-c', '(apt-get install --yes --no-install-recommends tini || (apt-get update && apt-get install --yes --no-install-recommends tini)) >/dev/null 2>&1'], {reject: false, timeout: 300_000});
	const installed = which('tini');
	if (!installed) {
		throw new Error(`Debian's tini is needed and could not be installed (apt-get exit ${String(install.exitCode)}); install it with: apt-get install tini`);
	}

	return installed;
}

test('the Dockerfile: a build stage and a runtime stage, the unprivileged node user, tini as PID 1, a health check on /status', t => {
	t.is(dockerfile.match(/^FROM /gm)?.length, 2);
	t.regex(dockerfile, /^FROM node:20-[\w-]+ AS build$/m);
	t.regex(dockerfile, /^USER node$/m);
	t.deepEqual(execForm('ENTRYPOINT'), ['tini', '--', 'mcp-proxy']);
	t.regex(dockerfile, /npm pack/, 'the runtime stage installs the packed tarball, as a user would');
	t.deepEqual(execForm('CMD'), ['--help']);
});

test('the HEALTHCHECK command: exit 0 while every server serves, 1 when one has failed or nothing answers', async t => {
	t.timeout(60_000);
	const healthcheck = execForm('HEALTHCHECK');
	t.is(healthcheck[0], 'node');
	const exitOf = async (port: string, apiKey?: string) => {
		const result = await execa(process.execPath, healthcheck.slice(1), {
			reject: false, timeout: 20_000, env: {MCP_PROXY_HEALTH_PORT: port, ...(apiKey ? {MCP_PROXY_API_KEY: apiKey} : {})},
		});
		return result.exitCode;
	};

	// The servers start in the background: poll (bounded) until the check gives the answer expected.
	const settles = async (port: string, expected: number, apiKey?: string) => {
		let exitCode: number | undefined;
		for (let attempt = 0; attempt < 50 && exitCode !== expected; attempt++) {
			// eslint-disable-next-line no-await-in-loop
			exitCode = await exitOf(port, apiKey);
			// eslint-disable-next-line no-await-in-loop
			await delay(100);
		}

		return exitCode;
	};

	const healthy = await startServerMode(t, ['--api-key', 'health-key', '--', process.execPath, echoServer]);
	const {port} = new URL(healthy.base);
	t.is(await settles(port, 0, 'health-key'), 0);
	t.is(await exitOf(port, 'wrong-key'), 1, 'a 401 is not healthy');
	const failing = await startServerMode(t, ['--named-server', 'ok', `${process.execPath} ${echoServer}`, '--named-server', 'broken', 'no-such-command-for-rx-mcp-proxy']);
	t.is(await settles(new URL(failing.base).port, 1), 1, 'a failed server makes /status 503');
	t.is(await exitOf('1'), 1, 'nothing listening');
});

/**
Start `command` as PID 1 of new PID and network namespaces (loopback up), as a container runtime does, with a marker word last (an argument of the stdio server, to find what is left); resolves once it printed where it serves, with the host's PID of that PID 1.
*/
async function startAsPidOne(t: ExecutionContext, command: string[]) {
	const marker = `rx-mcp-proxy-pid1-${process.pid}-${Date.now()}`;
	const quoted = command.map(word => `'${word.replaceAll('\'', String.raw`'\''`)}'`).join(' ');
	const child = execa('unshare', ['--pid', '--fork', '--net', '--mount-proc', 'sh', '-c', `ip link set lo up && exec ${quoted} ${marker}`], {
		reject: false, stdin: 'ignore', timeout: 60_000,
	});
	t.teardown(() => {
		child.kill('SIGKILL');
	});
	let stderr = '';
	child.stderr.setEncoding('utf8');
	const serving = new Promise<boolean>(resolve => {
		child.stderr.on('data', (chunk: string) => {
			stderr += chunk;
			if (stderr.includes('Serving')) {
				resolve(true);
			}
		});
		void child.then(() => {
			resolve(false);
		});
	});
	t.true(await serving, `it serves:\n${stderr}`);
	// The namespace's PID 1, seen from here: the only child of `unshare`.
	const pidOne = Number(readFileSync(`/proc/${child.pid!}/task/${child.pid!}/children`, 'utf8').trim());
	return {
		child, pidOne, marker, stderr: () => stderr,
	};
}

for (const variant of ['tini', 'node'] as const) {
	test.serial(`${variant === 'tini' ? 'tini -- mcp-proxy' : 'mcp-proxy itself'} as PID 1 in its own PID and network namespaces: SIGTERM ends it cleanly (exit 0), its stdio server shut down, nothing left`, async t => {
		t.timeout(90_000);
		t.is(process.getuid?.(), 0, 'creating PID and network namespaces needs root (CI runs as root)');

		const prefix = variant === 'tini' ? [ensureTini(), '--'] : [];
		const started = await startAsPidOne(t, [...prefix, process.execPath, cli, '--host', '0.0.0.0', '--port', '8080', '--api-key', 'pid-one-key', '--', process.execPath, echoServer]);
		// The image's own health check, run inside the namespace (bounded polling: the stdio server starts in the background).
		const healthcheck = execForm('HEALTHCHECK');
		let health: number | undefined;
		for (let attempt = 0; attempt < 50 && health !== 0; attempt++) {
			// eslint-disable-next-line no-await-in-loop
			const result = await execa('nsenter', ['--target', String(started.pidOne), '--net', process.execPath, ...healthcheck.slice(1)], {reject: false, timeout: 20_000, env: {MCP_PROXY_API_KEY: 'pid-one-key'}});
			health = result.exitCode;
			// eslint-disable-next-line no-await-in-loop
			await delay(100);
		}

		t.is(health, 0, `the health check inside the namespace:\n${started.stderr()}`);
		t.true(existsSync(`/proc/${started.pidOne}`));
		process.kill(started.pidOne, 'SIGTERM');
		const result = await started.child;
		t.is(result.exitCode, 0, `a clean exit:\n${started.stderr()}`);
		t.notRegex(started.stderr(), /SIGKILL/, 'the stdio server was not killed');
		const left = execaSync('pgrep', ['-f', started.marker], {reject: false});
		t.is(left.stdout.trim(), '', 'no process of the namespace is left');
	});
}
