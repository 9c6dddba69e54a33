import process from 'node:process';
import {format} from 'node:util';
import {boundedWriter, type BoundedWriter} from './bounded-write.js';

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
};

const secrets = new Set<string>();
const rotatingSecrets = new Set<string>();

/**
How many rotating secrets (access tokens that are replaced as they expire) are remembered: the newest ones. Fixed secrets are all kept.
*/
const maxRotatingSecrets = 32;

/**
Register a secret (token, API key, client secret) so that no log line ever shows it: it is replaced by `***` wherever it appears. Secrets shorter than 4 characters are not registered (they would mask ordinary text). With `rotating`, the secret is one of a series that replace each other (access tokens): only the newest few are kept, so a long run does not grow the list without bound.
*/
export function redactSecret(secret: string | undefined, options: {rotating?: boolean} = {}): void {
	if (!secret || secret.length < 4 || secrets.has(secret)) {
		return;
	}

	if (!options.rotating) {
		secrets.add(secret);
		return;
	}

	rotatingSecrets.delete(secret);
	rotatingSecrets.add(secret);
	if (rotatingSecrets.size > maxRotatingSecrets) {
		rotatingSecrets.delete(rotatingSecrets.values().next().value!);
	}
}

/**
Names of headers and environment variables whose values are secrets: Authorization, Cookie, and anything with key, token, secret, password or credential in it.
*/
const secretName = /authorization|key|token|secret|cookie|password|credential/i;

/**
Register the value of a header or environment variable as a secret when its name looks secret (see `redactSecret`); for a header value with a scheme (`Bearer TOKEN`, `Basic …`), the credential after the scheme too, as peers often quote it alone.

@example
```
redactNamedSecret('Authorization', 'Bearer abc123'); // both `Bearer abc123` and `abc123` are redacted from now on
```
*/
export function redactNamedSecret(name: string, value: string): void {
	if (secretName.test(name) && !numeric.test(value)) {
		redactSecret(value);
		redactSecret(value.replace(/^\S+\s+/, ''));
	}
}

/**
Names of command-line flags whose values are secrets: `--api-key`, `--apikey`, `--token`, `--client-secret`, `--password`, `--auth`, `--auth-token`… A whole part of the name must say so (`--max-tokens`, `--tokenizer`, `--author` are not secret-looking), and `--no-…` flags take no value.
*/
const secretFlag = /(?:^|[-_.])(?:api-?key|key|token|secret|passw(?:or)?d|pass|passphrase|credentials?|auth|authorization|cookie|bearer)(?:$|[-_.])/i;

/**
A value made of digits only (a count, a port, a size) is never taken for a secret: registering it would mask that number everywhere in the log.
*/
const numeric = /^\d+$/;

/**
Register the secrets a command line carries (see `redactSecret`), so that logging it, or anything that quotes it, shows `***` instead: the value of a flag whose name looks secret (`--api-key VALUE`, `--token=VALUE`), a `NAME=VALUE` whose name looks secret (`docker run -e GITHUB_TOKEN=…`), a `Name: value` header whose name looks secret (`--header 'Authorization: Bearer …'`), and in a URL the password and the query values whose names look secret (`https://host/sse?token=…`). One-letter flags (`-p`) are too ambiguous to judge and are left alone.

@example
```
redactArguments(['server.js', '--api-key', 'abc123', 'GITHUB_TOKEN=ghp_1234']); // `abc123` and `ghp_1234` are redacted from now on
```
*/
export function redactArguments(args: readonly string[]): void {
	for (const [index, argument] of args.entries()) {
		const flag = /^--([\w.-]+)(?:=([\s\S]*))?$/.exec(argument);
		if (flag) {
			const [, name, inline] = flag as unknown as [string, string, string | undefined];
			const next = args[index + 1];
			const value = inline ?? (next?.startsWith('-') ? undefined : next);
			if (value !== undefined && secretFlag.test(name) && !name.startsWith('no-') && !numeric.test(value)) {
				redactSecret(value);
			}

			continue;
		}

		const assignment = /^([A-Za-z_]\w*)=([\s\S]*)$/.exec(argument);
		if (assignment) {
			redactNamedSecret(assignment[1]!, assignment[2]!);
			continue;
		}

		if (/^[a-z][\w+.-]*:\/\//i.test(argument)) {
			redactUrl(argument);
			continue;
		}

		const header = /^([!#$%&'*+.^`|~\w-]+):[ \t]*([\s\S]+)$/.exec(argument);
		if (header) {
			redactNamedSecret(header[1]!, header[2]!);
		}
	}
}

function redactUrl(text: string): void {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return;
	}

	redactSecret(url.password);
	try {
		redactSecret(decodeURIComponent(url.password));
	} catch {
		// Not percent-encoded text: the raw form is registered.
	}

	for (const [name, value] of url.searchParams) {
		if (secretName.test(name)) {
			redactSecret(value);
			redactSecret(encodeURIComponent(value));
		}
	}
}

/**
Replace every registered secret in a text by `***`.
*/
export function redact(text: string): string {
	if (secrets.size === 0 && rotatingSecrets.size === 0) {
		return text;
	}

	let result = text;
	for (const list of [secrets, rotatingSecrets]) {
		for (const secret of list) {
			if (result.includes(secret)) {
				result = result.replaceAll(secret, '***');
			}
		}
	}

	return result;
}

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

			const text = redact(format(...parts));
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
