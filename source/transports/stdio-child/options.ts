/*
What spawnStdio is given and the plain facts it derives: its options, the environment a child gets, the command line as the log shows it, and the message for a child that cannot be started.
*/
import process from 'node:process';
import type {Writable} from 'node:stream';
import {defaultLogger, type Logger} from '../../logger.js';
import type {SettingNames} from '../../setting-names.js';
import {noRedaction, type Redactor} from '../../redactor.js';
import {defaultMaxLineBytes, defaultMaxQueueBytes} from '../line-stream/index.js';

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
	/**
	How messages name the settings they suggest, by option name: a message over `maxLineBytes` says to raise it as this names it (by default ``the `maxLineBytes` option``; a command line passes its flag, `{maxLineBytes: '--max-message-bytes'}`).
	*/
	settingNames?: SettingNames;
	/**
	Learns the secret-looking values of the command line (see `Redactor.addArguments`), which the log's start line shows.

	@default no redaction
	*/
	redactor?: Redactor;
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

export function commandLine(command: string, args: readonly string[]): string {
	return [command, ...args].map(part => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}

export function spawnErrorMessage(command: string, code: string | undefined, cwd: string | undefined): string {
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

/**
The options with their defaults filled in.
*/
export function withDefaults(options: SpawnStdioOptions) {
	return {
		command: options.command,
		args: options.args ?? [],
		cwd: options.cwd,
		passEnvironment: options.passEnvironment ?? false,
		stderr: options.stderr ?? 'inherit',
		maxLineBytes: options.maxLineBytes ?? defaultMaxLineBytes,
		maxQueueBytes: options.maxQueueBytes ?? defaultMaxQueueBytes,
		shutdownTimeout: options.shutdownTimeout ?? 2000,
		settingNames: options.settingNames,
		redactor: options.redactor ?? noRedaction,
		logger: options.logger ?? defaultLogger,
	};
}
