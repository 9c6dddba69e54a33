/*
The logger: leveled lines with a timestamp and a prefix, secrets hidden by the redactor it is given, on a standard error that never holds more than a bound when nobody reads it.
*/
import process from 'node:process';
import {format} from 'node:util';
import {boundedWriter, type BoundedWriter} from './bounded-write.js';
import {noRedaction, type Redactor} from './redactor.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical' | 'silent';

const ranks: Record<LogLevel, number> = {
	debug: 10,
	info: 20,
	warning: 30,
	error: 40,
	critical: 50,
	silent: 100,
};

const letters: Record<Exclude<LogLevel, 'silent'>, string> = {
	debug: 'D',
	info: 'I',
	warning: 'W',
	error: 'E',
	critical: 'C',
};

export const logLevels = Object.keys(ranks) as LogLevel[];

/**
Parse a level name the way the Python `mcp-proxy` spells them (`DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`), case-insensitively; `warn` is accepted too.
*/
export function parseLogLevel(value: string): LogLevel | undefined {
	const name = value.toLowerCase();
	if (name === 'warn') {
		return 'warning';
	}

	return Object.hasOwn(ranks, name) ? name as LogLevel : undefined;
}

export type Logger = {
	debug(...parts: unknown[]): void;
	info(...parts: unknown[]): void;
	warning(...parts: unknown[]): void;
	error(...parts: unknown[]): void;
	critical(...parts: unknown[]): void;
	isEnabled(level: LogLevel): boolean;
	/**
	A logger whose lines carry a prefix, such as a server's name.
	*/
	child(prefix: string): Logger;
};

export type LoggerOptions = {
	level?: LogLevel;
	/**
	Where lines go. Default: standard error, holding at most 1 MiB of lines unwritten when nobody reads it (more are dropped and counted). Never standard output, which belongs to MCP messages in client mode.
	*/
	write?: (line: string) => void;
	prefix?: string;
	/**
	Hides the secrets it knows in every line (see `createRedactor`).

	@default no redaction
	*/
	redactor?: Redactor;
};

function timestamp(): string {
	return new Date().toISOString().replace('T', ' ').slice(0, -1);
}

/**
How many bytes of log lines may wait unwritten in our standard error (nobody reads it) before lines are dropped, and counted.
*/
export const maxBufferedLogBytes = 1024 * 1024;

let stderrOut: BoundedWriter | undefined;

/**
Our standard error, bounded: the log never holds more than `maxBufferedLogBytes` when the pipe is not drained; one line says how many lines were dropped once it is. Shared by every logger writing there.
*/
function standardError(): BoundedWriter {
	stderrOut ??= boundedWriter(process.stderr, {
		maxBufferedBytes: maxBufferedLogBytes,
		notice: dropped => `[W ${timestamp()}] mcp-proxy: dropped ${dropped} log line${dropped === 1 ? '' : 's'}: our standard error is not being read\n`,
	});
	return stderrOut;
}

export function createLogger(options: LoggerOptions = {}): Logger {
	const state = {level: options.level ?? 'info'};
	const {redactor = noRedaction} = options;
	const out = options.write ? undefined : standardError();
	const write = options.write ?? ((line: string) => {
		out!.write(line);
	});

	const make = (prefix: string | undefined): Logger => {
		const emit = (level: Exclude<LogLevel, 'silent'>, parts: unknown[]) => {
			if (ranks[level] < ranks[state.level]) {
				return;
			}

			if (out?.full()) {
				// Not formatted: it would be dropped.
				out.drop(1);
				return;
			}

			const text = redactor.redact(format(...parts));
			write(`[${letters[level]} ${timestamp()}${prefix ? ` ${prefix}` : ''}] ${text}\n`);
		};

		return {
			debug(...parts) {
				emit('debug', parts);
			},
			info(...parts) {
				emit('info', parts);
			},
			warning(...parts) {
				emit('warning', parts);
			},
			error(...parts) {
				emit('error', parts);
			},
			critical(...parts) {
				emit('critical', parts);
			},
			isEnabled: level => ranks[level] >= ranks[state.level],
			child: childPrefix => make(prefix ? `${prefix} ${childPrefix}` : childPrefix),
		};
	};

	const logger = make(options.prefix);
	loggerStates.set(logger, state);
	return logger;
}

const loggerStates = new WeakMap<Logger, {level: LogLevel}>();

/**
The logger the library uses when none is given: standard error, level `info`.
*/
export const defaultLogger: Logger = createLogger();

/**
Change a logger's level (children share it).
*/
export function setLogLevel(level: LogLevel, logger: Logger = defaultLogger): void {
	const state = loggerStates.get(logger);
	if (state) {
		state.level = level;
	}
}
