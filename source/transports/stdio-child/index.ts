/*
The stdio child transport (`spawnStdio`): an MCP server run as a child process, as a transport. This file is the glue: it starts the child, wires its standard streams (line-stream.ts, stderr.ts) and its end (shutdown.ts) to the subscriber; the options and messages are in options.ts, process groups in process-group.ts.
*/
import {existsSync, statSync} from 'node:fs';
import {execa} from 'execa';
import {Observable} from 'rxjs';
import type {Message, Transport} from '../../types.js';
import {ChildExitError, SpawnError} from '../../errors.js';
import {wireLineStreams} from '../line-stream/index.js';
import {checkSettingNames} from '../../setting-names.js';
import {
	childEnvironment, commandLine, spawnErrorMessage, withDefaults, type SpawnStdioOptions,
} from './options.js';
import {reapGroup, registerGroup, unregisterGroup} from './process-group.js';
import {childExit, stopChild} from './shutdown.js';
import {readStderr, StderrTail} from './stderr.js';

export {childEnvironment, type SpawnStdioOptions} from './options.js';

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
		command, args, cwd, passEnvironment, stderr, maxLineBytes, maxQueueBytes, shutdownTimeout, settingNames, redactor, logger,
	} = withDefaults(options);
	checkSettingNames(settingNames);
	if (typeof command !== 'string' || command === '') {
		throw new TypeError(`Expected \`command\` to be a non-empty string, got \`${String(command)}\``);
	}

	// Errors name the program only: they reach clients, and the arguments may carry secrets. The log's start line has the whole command line, its secret-looking values redacted.
	const label = `child \`${command}\``;
	redactor.addArguments(args);

	return outgoing$ => new Observable<Message>(subscriber => {
		if (cwd !== undefined && !(existsSync(cwd) && statSync(cwd).isDirectory())) {
			subscriber.error(new SpawnError(`Cannot start \`${command}\`: the working directory \`${cwd}\` does not exist.`, command));
			return;
		}

		const child = startChild(command, args, childEnvironment(options.env, passEnvironment), cwd);
		const {pid} = child;
		let closing = false;
		const exit = childExit();
		let spawnFailed = false;
		const tail = new StderrTail();

		if (pid !== undefined) {
			registerGroup(pid);
			logger.debug(`child \`${commandLine(command, args)}\`: started, pid ${pid}`);
			options.onSpawn?.(pid);
		}

		readStderr(child.stderr ?? undefined, stderr, tail);

		// EPIPE after the child died: the exit handler reports it.
		child.stdin.on('error', error => {
			logger.debug(`${label}: standard input:`, error.message);
		});

		const shutdown = async () => {
			if (closing) {
				return;
			}

			closing = true;
			if (pid !== undefined) {
				await stopChild({
					pid, stdin: child.stdin, exit, flushed: async () => wired.writer.flushed(), timeout: shutdownTimeout, logger, label,
				});
			}
		};

		const wired = wireLineStreams({
			readable: child.stdout,
			writable: child.stdin,
			subscriber,
			outgoing$,
			options: {
				maxLineBytes, maxQueueBytes, settingNames, logger, label,
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
			exit.exit();
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
			} else {
				subscriber.error(exitError(label, exitCode, signal, tail));
			}
		});

		return () => {
			wired.dispose();
			if (exit.exited) {
				if (pid !== undefined) {
					unregisterGroup(pid);
				}

				return;
			}

			void shutdown();
		};
	});
}

function exitError(label: string, exitCode: number | undefined, signal: NodeJS.Signals | undefined, tail: StderrTail): ChildExitError {
	const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
	const stderrText = tail.text();
	return new ChildExitError(
		`The ${label} ${how}${stderrText ? `; its last output on standard error:\n${stderrText}` : ''}`,
		exitCode ?? undefined,
		signal ?? undefined,
	);
}

/**
Start the child in a process group of its own (so that its grandchildren can be stopped with it), its standard streams piped, nothing buffered.
*/
// eslint-disable-next-line @typescript-eslint/promise-function-async -- execa returns the child process itself, which is also a promise: an async function would hand back a plain promise instead.
function startChild(command: string, args: readonly string[], env: Record<string, string>, cwd: string | undefined) {
	const child = execa(command, [...args], {
		stdin: 'pipe',
		stdout: 'pipe',
		stderr: 'pipe',
		buffer: false,
		reject: false,
		detached: true,
		cleanup: false,
		extendEnv: false,
		env,
		cwd,
		windowsHide: true,
		stripFinalNewline: false,
	});
	// Results are read from the events; the promise only must not reject unobserved.
	child.catch(() => undefined);
	return child;
}
