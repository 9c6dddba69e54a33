// Long-running processes of the benchmark (proxies, peers, fixture servers): started in their own process
// group, watched until ready, and always killed with their whole tree, also on error and Ctrl-C.
import {spawn} from 'node:child_process';
import net from 'node:net';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import {treePids} from './process-tree.js';

const live = new Set();

function signalAll(pids, signal) {
	for (const pid of pids) {
		try {
			process.kill(pid, signal);
		} catch {
			// Already gone.
		}
	}
}

function isAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** Kill every process the benchmark started that still runs (synchronous: safe in an `exit` handler). */
export function killAllServices() {
	for (const service of live) {
		const pids = treePids([service.pid]);
		signalAll(pids, 'SIGKILL');
		live.delete(service);
	}
}

/** A free TCP port on 127.0.0.1 (for peers that cannot be told to pick one themselves). */
export async function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const {port} = server.address();
			server.close(() => {
				resolve(port);
			});
		});
	});
}

async function portAccepts(port) {
	return new Promise(resolve => {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => {
			resolve(false);
		});
	});
}

/**
Start a process and wait until it is ready: `readyPattern` (a RegExp whose first group is captured) matched on
its stdout or stderr, or `port` accepting TCP connections on 127.0.0.1.
@returns {Promise<{pid: number, match?: string, output: () => string, stop: () => Promise<void>}>}
*/
export async function startService({command, args, cwd, env, readyPattern, port, timeoutMs = 20_000, label = command}) {
	const child = spawn(command, args, {
		cwd, env: {...process.env, ...env}, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	let exited;
	const exit = new Promise(resolve => {
		child.once('exit', (code, signal) => {
			exited = {code, signal};
			resolve(exited);
		});
		child.once('error', error => {
			exited = {error};
			resolve(exited);
		});
	});
	let matched;
	const onData = chunk => {
		// Keep the last 8 kB only: some peers log a line per message.
		output = (output + chunk.toString('utf8')).slice(-8192);
		if (matched === undefined && readyPattern) {
			const match = readyPattern.exec(output);
			if (match) {
				matched = match[1] ?? match[0];
			}
		}
	};

	child.stdout.on('data', onData);
	child.stderr.on('data', onData);

	const service = {
		pid: child.pid,
		get match() {
			return matched;
		},
		output: () => output,
		async stop() {
			if (!live.has(service)) {
				return;
			}

			live.delete(service);
			const pids = treePids([child.pid]);
			signalAll([-child.pid], 'SIGTERM');
			signalAll(pids, 'SIGTERM');
			const deadline = Date.now() + 3000;
			while (Date.now() < deadline && pids.some(pid => isAlive(pid))) {
				// eslint-disable-next-line no-await-in-loop
				await delay(50);
			}

			signalAll([-child.pid, ...pids.filter(pid => isAlive(pid))], 'SIGKILL');
			await Promise.race([exit, delay(1000)]);
		},
	};
	live.add(service);

	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (exited) {
			live.delete(service);
			const reason = exited.error ? exited.error.message : `exited with ${exited.signal ?? `code ${exited.code}`}`;
			throw new Error(`${label} ${reason}: ${lastLines(output)}`);
		}

		// eslint-disable-next-line no-await-in-loop
		if (readyPattern ? matched !== undefined : await portAccepts(port)) {
			return service;
		}

		// eslint-disable-next-line no-await-in-loop
		await delay(25);
	}

	await service.stop();
	throw new Error(`${label} was not ready within ${timeoutMs} ms: ${lastLines(output)}`);
}

/** The last lines of some output, on one line, for error notes. */
export function lastLines(text, count = 2) {
	const lines = text.split('\n').map(line => line.trim()).filter(Boolean);
	return lines.slice(-count).join(' | ').slice(0, 300) || '(no output)';
}
