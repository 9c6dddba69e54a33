import {existsSync, statSync} from 'node:fs';
import process from 'node:process';
import type {Writable} from 'node:stream';
import {setTimeout as delay} from 'node:timers/promises';
import {execa} from 'execa';
import {Observable} from 'rxjs';
import type {Message, Transport} from '../types.js';
import {ChildExitError, SpawnError} from '../errors.js';
import {defaultLogger, redactArguments, type Logger} from '../logger.js';
import {
	defaultMaxLineBytes,
	defaultMaxQueueBytes,
	wireLineStreams,
} from './line-stream.js';
import {forwardLines} from './stderr-forward.js';
import {
	reapGroup, registerGroup, signalGroup, unregisterGroup,
} from './process-group.js';

export type SpawnStdioOptions = {
	/**
	The program to run: a name looked up on `PATH`, or a path.
	*/
	command: string;
	args?: readonly string[];
	/**
	Variables for the child, on top of the default set (`HOME`, `LOGNAME`, `PATH`, `SHELL`, `TERM`, `USER`) or of our whole environment with `passEnvironment`.
	*/
	env?: Readonly<Record<string, string>>;
	cwd?: string;
	/**
	Give the child our whole environment.

	@default false
	*/
	passEnvironment?: boolean;
	/**
	What to do with the child's standard error: forward it line by line to ours (`'inherit'`) or to a stream, drop it, or hand each chunk to a function. Forwarded lines that come while more than 1 MiB waits unwritten in our standard error (or the stream) are dropped, never held, and a line says how many once it drains: the child is never slowed. In every case the last lines are kept for the error raised if the child dies. A function gets the child's standard error in chunks; if it has a `flush` method (as `forwardLines` returns), that is called when the child's standard error ends, so a last line without a newline is not lost.

	@default 'inherit'
	*/
	stderr?: 'inherit' | 'ignore' | ((chunk: string) => void) | (((chunk: string) => void) & {flush(): void}) | Writable;
	/**
	The longest message accepted from the child, in bytes.

	@default 134217728 (128 MiB)
	*/
	maxLineBytes?: number;
	/**
	How many bytes may wait for the child to read its standard input before further messages are refused.

	@default 268435456 (256 MiB)
	*/
	maxQueueBytes?: number;
	/**
	How long each shutdown step waits: after closing standard input, then after SIGTERM, before SIGKILL.

	@default 2000
	*/
	shutdownTimeout?: number;
	logger?: Logger;
	/**
	Called with the pid once the child has started.
	*/
	onSpawn?: (pid: number) => void;
};

const inheritedVariables = process.platform === 'win32'
	? ['APPDATA', 'HOMEDRIVE', 'HOMEPATH', 'LOCALAPPDATA', 'PATH', 'PROCESSOR_ARCHITECTURE', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'USERNAME', 'USERPROFILE', 'PROGRAMFILES']
	: ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

/**
The environment a child gets: what the MCP SDK gives stdio servers (a few safe variables, skipping exported shell functions), or all of ours, plus `env`.
*/
export function childEnvironment(env: Readonly<Record<string, string>> = {}, passEnvironment = false): Record<string, string> {
	const result: Record<string, string> = {};
	if (passEnvironment) {
		for (const [key, value] of Object.entries(process.env)) {
			if (value !== undefined) {
				result[key] = value;
			}
		}
	} else {
		for (const key of inheritedVariables) {
			const value = process.env[key];
			if (value !== undefined && !value.startsWith('()')) {
				result[key] = value;
			}
		}
	}

	return {...result, ...env};
}

function commandLine(command: string, args: readonly string[]): string {
	return [command, ...args].map(part => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}

function spawnErrorMessage(command: string, code: string | undefined, cwd: string | undefined): string {
	if (code === 'ENOENT') {
		return command.includes('/')
			? `Cannot start \`${command}\`: no such file. Check the path${cwd ? ` (relative to the working directory ${cwd})` : ''}.`
			: `Cannot start \`${command}\`: command not found on PATH. Install it, check the spelling, or give its full path.`;
	}

	if (code === 'EACCES') {
		return `Cannot start \`${command}\`: permission denied. Make it executable (chmod +x ${command}) or run it through its interpreter (for example \`node ${command}\`).`;
	}

	return `Cannot start \`${command}\`${code ? ` (${code})` : ''}.`;
}

class StderrTail {
	private readonly lines: string[] = [];
	private partial = '';

	add(chunk: string): void {
		const parts = (this.partial + chunk).split('\n');
		this.partial = parts.pop()!.slice(-1000);
		for (const line of parts) {
			if (line.trim() !== '') {
				this.lines.push(line.slice(0, 1000));
			}
		}

		if (this.lines.length > 10) {
			this.lines.splice(0, this.lines.length - 10);
		}
	}

	text(): string {
		const lines = this.partial.trim() === '' ? this.lines : [...this.lines, this.partial];
		return lines.join('\n');
	}
}

/**
A stdio MCP server run as a child process, one JSON-RPC message per line.

Subscribing starts the child; its standard error is forwarded to ours. When the outgoing messages complete, the child is shut down as the MCP specification says (close its standard input, wait, SIGTERM, wait, SIGKILL), its whole process group with it, and then the observable completes. Unsubscribing starts the same shutdown without waiting for it. A child that exits on its own completes the observable when it exits with code 0, and errors it with a `ChildExitError` (exit code, signal, last lines of standard error) otherwise. A child that cannot be started errors it with a `SpawnError` that names the command and the fix.

@example
```
import {link, processStdio, spawnStdio} from 'rx-mcp-proxy';

link(processStdio(), spawnStdio({command: 'node', args: ['server.js']})).subscribe();
```
*/
export function spawnStdio(options: SpawnStdioOptions): Transport {
	const {
		command,
		args = [],
		cwd,
		passEnvironment = false,
		stderr = 'inherit',
		maxLineBytes = defaultMaxLineBytes,
		maxQueueBytes = defaultMaxQueueBytes,
		shutdownTimeout = 2000,
		logger = defaultLogger,
	} = options;
	if (typeof command !== 'string' || command === '') {
		throw new TypeError(`Expected \`command\` to be a non-empty string, got \`${String(command)}\``);
	}

	// Errors name the program only: they reach clients, and the arguments may carry secrets. The log's start line has the whole command line, its secret-looking values redacted.
	const label = `child \`${command}\``;
	redactArguments(args);

	return outgoing$ => new Observable<Message>(subscriber => {
		if (cwd !== undefined && !(existsSync(cwd) && statSync(cwd).isDirectory())) {
			subscriber.error(new SpawnError(`Cannot start \`${command}\`: the working directory \`${cwd}\` does not exist.`, command));
			return;
		}

		const child = execa(command, [...args], {
			stdin: 'pipe',
			stdout: 'pipe',
			stderr: 'pipe',
			buffer: false,
			reject: false,
			detached: true,
			cleanup: false,
			extendEnv: false,
			env: childEnvironment(options.env, passEnvironment),
			cwd,
			windowsHide: true,
			stripFinalNewline: false,
		});
		// Results are read from the events below; the promise only must not reject unobserved.
		child.catch(() => undefined);

		const {pid} = child;
		let closing = false;
		let exited = false;
		let spawnFailed = false;
		const tail = new StderrTail();

		if (pid !== undefined) {
			registerGroup(pid);
			logger.debug(`child \`${commandLine(command, args)}\`: started, pid ${pid}`);
			options.onSpawn?.(pid);
		}

		let forward: ((chunk: string) => void) | undefined;
		if (typeof stderr === 'function') {
			forward = stderr;
			const {flush} = stderr as {flush?: unknown};
			if (typeof flush === 'function') {
				child.stderr?.once('end', () => {
					flush.call(stderr);
				});
			}
		} else if (stderr !== 'ignore') {
			const lines = forwardLines(stderr === 'inherit' ? {} : {target: stderr});
			forward = lines;
			child.stderr?.once('end', lines.flush);
		}

		child.stderr?.setEncoding('utf8');
		child.stderr?.on('data', (chunk: string) => {
			tail.add(chunk);
			forward?.(chunk);
		});

		// EPIPE after the child died: the exit handler reports it.
		child.stdin.on('error', error => {
			logger.debug(`${label}: standard input:`, error.message);
		});

		const shutdown = async () => {
			if (closing) {
				return;
			}

			closing = true;
			if (pid === undefined) {
				return;
			}

			if (!exited) {
				// Let queued messages reach the child before its input closes.
				await Promise.race([wired.writer.flushed(), delay(shutdownTimeout)]);
				child.stdin.end();
				if (!await exitWithin(shutdownTimeout)) {
					logger.debug(`${label}: did not exit after its standard input closed; sending SIGTERM`);
					signalGroup(pid, 'SIGTERM');
					if (!await exitWithin(shutdownTimeout)) {
						logger.warning(`${label}: did not exit after SIGTERM; sending SIGKILL`);
						signalGroup(pid, 'SIGKILL');
						await exitWithin(shutdownTimeout);
					}
				}
			}

			await reapGroup(pid, shutdownTimeout);
		};

		let exitWaiters: Array<() => void> = [];
		const exitWithin = async (ms: number): Promise<boolean> => {
			if (exited) {
				return true;
			}

			const controller = new AbortController();
			const exitPromise = new Promise<boolean>(resolve => {
				exitWaiters.push(() => {
					resolve(true);
				});
			});
			const timeout = delay(ms, false, {signal: controller.signal}).catch(() => false);
			const result = await Promise.race([exitPromise, timeout]);
			controller.abort();
			return result;
		};

		const wired = wireLineStreams({
			readable: child.stdout,
			writable: child.stdin,
			subscriber,
			outgoing$,
			options: {
				maxLineBytes, maxQueueBytes, logger, label,
			},
			onReadableEnd() {
				// The exit ('close') handler decides: a clean exit or a crash.
			},
			onOutgoingComplete() {
				void shutdown().then(() => {
					subscriber.complete();
				});
			},
		});

		child.on('error', error => {
			const {code} = error as NodeJS.ErrnoException;
			if (pid === undefined || code === 'ENOENT' || code === 'EACCES') {
				spawnFailed = true;
				subscriber.error(new SpawnError(spawnErrorMessage(command, code, cwd), command, {cause: error}));
			} else {
				logger.debug(`${label}:`, error.message);
			}
		});

		child.on('close', (exitCode: number | undefined, signal: NodeJS.Signals | undefined) => {
			exited = true;
			for (const wake of exitWaiters) {
				wake();
			}

			exitWaiters = [];
			if (spawnFailed || pid === undefined) {
				return;
			}

			if (closing) {
				logger.debug(`${label}: exited (${signal ?? `code ${exitCode}`})`);
				return;
			}

			// Exited on its own: make sure its grandchildren go too.
			void reapGroup(pid, shutdownTimeout);
			if (exitCode === 0) {
				logger.info(`${label}: exited with code 0`);
				subscriber.complete();
				return;
			}

			const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
			const stderrText = tail.text();
			subscriber.error(new ChildExitError(
				`The ${label} ${how}${stderrText ? `; its last output on standard error:\n${stderrText}` : ''}`,
				exitCode ?? undefined,
				signal ?? undefined,
			));
		});

		return () => {
			wired.dispose();
			if (exited) {
				if (pid !== undefined) {
					unregisterGroup(pid);
				}

				return;
			}

			void shutdown();
		};
	});
}
