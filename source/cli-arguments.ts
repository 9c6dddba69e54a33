import {
	accessSync, constants, existsSync, statSync,
} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import meow from 'meow';
import {serverNameProblem} from './config/named-servers.js';
import {UsageError} from './errors.js';
import {isLoopbackHost} from './loopback.js';
import {parseLogLevel, type LogLevel} from './logger.js';
import {jwtAlgorithms, type JwtAlgorithm} from './auth/jwt.js';

/*
The command line, parsed and validated into plain options. Pure (no I/O but file-existence checks, and a look along PATH for `--log-messages`), so it is tested directly; `cli.ts` hands what is left to meow for `--help`, `--version` and typed flags.
*/

export type RemoteTransportKind = 'auto' | 'sse' | 'streamablehttp';

export type NamedServerDefinition = {
	name: string;
	command: string;
	args: string[];
};

export type CliOptions = {
	mode: 'client' | 'server';
	// Client mode.
	url: string | undefined;
	headers: Array<[string, string]>;
	transport: RemoteTransportKind;
	/**
	OAuth 2 client credentials: a client secret, or a private key file for `private_key_jwt`.
	*/
	oauth: {
		clientId: string;
		clientSecret: string | undefined;
		privateKeyFile: string | undefined;
		keyAlgorithm: string | undefined;
		audience: string | undefined;
		tokenUrl: string;
		scope: string | undefined;
	} | undefined;
	/**
	Browser sign-in (the MCP authorization flow), used when the remote server answers 401 and no other credentials are given.
	*/
	signIn: {
		/**
		Where tokens and client registrations are kept.
		*/
		authDir: string | undefined;
		/**
		The loopback port of the redirect URI; `undefined`: derived from the URL.
		*/
		callbackPort: number | undefined;
		/**
		The command that opens the sign-in URL; `false`: only print it; `undefined`: the system's.
		*/
		browserCommand: string[] | false | undefined;
		/**
		A pre-registered client.
		*/
		clientId: string | undefined;
		clientSecret: string | undefined;
		clientMetadataUrl: string | undefined;
		scope: string | undefined;
		timeout: number;
		/**
		Sign in with the device authorization grant (RFC 8628) instead of a browser redirect.
		*/
		deviceCode: boolean;
		/**
		Sign in (if the server asks) and exit, without serving MCP on standard input and output.
		*/
		only: boolean;
		/**
		Forget the stored tokens and registration of this server before starting.
		*/
		reset: boolean;
	};
	/**
	`true`/`false`, or the path of a CA bundle to trust.
	*/
	verifySsl: boolean | string;
	reconnectDelay: number;
	reconnectMaxDelay: number;
	maxQueuedMessages: number;
	// Server mode.
	command: string | undefined;
	args: string[];
	env: Record<string, string>;
	cwd: string | undefined;
	passEnvironment: boolean;
	namedServers: NamedServerDefinition[];
	namedServerConfig: string | undefined;
	host: string;
	port: number;
	stateless: boolean;
	allowOrigins: string[];
	exposeHeaders: string[];
	isolateSessions: boolean;
	apiKey: string | undefined;
	allowUnauthenticated: boolean;
	sessionTimeout: number;
	/**
	How long a client may take to complete initialization (send anything after `initialize`).
	*/
	handshakeTimeout: number;
	maxBodyBytes: number;
	maxSessions: number;
	/**
	Bytes of messages the listener may hold for all clients together.
	*/
	maxQueuedBytes: number;
	maxSessionsPerClient: number;
	restartDelay: number;
	restartMaxDelay: number;
	/**
	How long a shared server may take to answer the proxy's `initialize` before it is restarted.
	*/
	startupTimeout: number;
	/**
	How long an HTTP client may take to send a whole request.
	*/
	readTimeout: number;
	// Both.
	logLevel: LogLevel;
	/**
	`undefined`: off; `'-'`: standard error; otherwise a file path.
	*/
	logMessages: string | undefined;
	maxMessageBytes: number;
	requestTimeout: number;
	/**
	Warnings to log once logging is set up (flags that do not apply to the mode…).
	*/
	warnings: string[];
};

type FlagType = 'string' | 'boolean';

type FlagSpec = {
	type: FlagType;
	isMultiple?: boolean;
	shortFlag?: string;
	scope: 'client' | 'server' | 'both';
};

/**
The flags meow parses. Two-value flags (`-H`, `-e`, `--named-server`) and optional-value flags (`--verify-ssl`, `--log-messages`) are taken out before meow sees the arguments.
*/
export const meowFlags = {
	header: {type: 'string', isMultiple: true, scope: 'client'},
	transport: {type: 'string', scope: 'client'},
	clientId: {type: 'string', scope: 'client'},
	clientSecret: {type: 'string', scope: 'client'},
	clientPrivateKey: {type: 'string', scope: 'client'},
	clientKeyAlgorithm: {type: 'string', scope: 'client'},
	tokenAudience: {type: 'string', scope: 'client'},
	tokenUrl: {type: 'string', scope: 'client'},
	scope: {type: 'string', scope: 'client'},
	authDir: {type: 'string', scope: 'client'},
	callbackPort: {type: 'string', scope: 'client'},
	browser: {type: 'boolean', scope: 'client'},
	browserCommand: {type: 'string', scope: 'client'},
	clientMetadataUrl: {type: 'string', scope: 'client'},
	signInTimeout: {type: 'string', scope: 'client'},
	resetAuth: {type: 'boolean', scope: 'client'},
	deviceCode: {type: 'boolean', scope: 'client'},
	signIn: {type: 'boolean', scope: 'client'},
	reconnectDelay: {type: 'string', scope: 'client'},
	reconnectMaxDelay: {type: 'string', scope: 'client'},
	maxQueuedMessages: {type: 'string', scope: 'client'},
	cwd: {type: 'string', scope: 'server'},
	passEnvironment: {type: 'boolean', scope: 'server'},
	namedServerConfig: {type: 'string', scope: 'server'},
	host: {type: 'string', scope: 'server'},
	port: {type: 'string', scope: 'server'},
	sseHost: {type: 'string', scope: 'server'},
	ssePort: {type: 'string', scope: 'server'},
	stateless: {type: 'boolean', scope: 'server'},
	allowOrigin: {type: 'string', isMultiple: true, scope: 'server'},
	exposeHeader: {type: 'string', isMultiple: true, scope: 'server'},
	isolateSessions: {type: 'boolean', scope: 'server'},
	apiKey: {type: 'string', scope: 'server'},
	allowUnauthenticated: {type: 'boolean', scope: 'server'},
	sessionTimeout: {type: 'string', scope: 'server'},
	handshakeTimeout: {type: 'string', scope: 'server'},
	maxBodyBytes: {type: 'string', scope: 'server'},
	maxSessions: {type: 'string', scope: 'server'},
	maxQueuedBytes: {type: 'string', scope: 'server'},
	maxSessionsPerClient: {type: 'string', scope: 'server'},
	restartDelay: {type: 'string', scope: 'server'},
	restartMaxDelay: {type: 'string', scope: 'server'},
	startupTimeout: {type: 'string', scope: 'server'},
	readTimeout: {type: 'string', scope: 'server'},
	logLevel: {type: 'string', scope: 'both'},
	debug: {type: 'boolean', scope: 'both'},
	maxMessageBytes: {type: 'string', scope: 'both'},
	requestTimeout: {type: 'string', scope: 'both'},
} as const satisfies Record<string, FlagSpec>;

export type MeowFlagName = keyof typeof meowFlags;

export type ParsedFlags = Partial<Record<MeowFlagName, string | boolean | string[]>>;

const kebab = (name: string) => name.replaceAll(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);

const flagNames = new Map<string, MeowFlagName>(Object.keys(meowFlags).map(name => [kebab(name), name as MeowFlagName]));

const twoValueFlags = new Map<string, 'headers' | 'env' | 'namedServer'>([
	['-H', 'headers'],
	['--headers', 'headers'],
	['-e', 'env'],
	['--env', 'env'],
	['--named-server', 'namedServer'],
]);

const twoValueMetavars = {
	headers: 'KEY VALUE',
	env: 'KEY VALUE',
	namedServer: 'NAME COMMAND',
} as const;

const isUrl = (value: string) => /^https?:\/\//i.test(value);

/**
A CORS origin as `--allow-origin` takes it: `*`, `null`, or `scheme://host[:port]` with no path but an optional `/`. A URL with a path (`http://host/mcp`) is never one, so the URL of client mode is not taken for an origin.
*/
export function isOrigin(value: string): boolean {
	if (value === '*' || value === 'null') {
		return true;
	}

	if (!/^[a-z][a-z\d+.-]*:\/\/[^/?#@\s]+\/?$/i.test(value) || !URL.canParse(value)) {
		return false;
	}

	const url = new URL(value);
	return url.pathname === '/' || url.pathname === '';
}

type Environment = Readonly<Record<string, string | undefined>>;

function isExecutableFile(file: string, environment: Environment): boolean {
	try {
		if (!statSync(file).isFile()) {
			return false;
		}

		if (process.platform === 'win32') {
			const extensions = (environment['PATHEXT'] ?? '.COM;.EXE;.BAT;.CMD').toUpperCase().split(';');
			return extensions.includes(path.extname(file).toUpperCase());
		}

		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/**
Whether `word` names something to run: an existing executable file or a directory, or a bare name (no slash) of an executable on PATH.
*/
export function isCommand(word: string, environment: Environment): boolean {
	try {
		if (statSync(word).isDirectory()) {
			return true;
		}
	} catch {
		// Not there: maybe a name on PATH.
	}

	if (isExecutableFile(word, environment)) {
		return true;
	}

	if (/[/\\]/.test(word)) {
		return false;
	}

	const pathValue = environment['PATH'] ?? environment['Path'] ?? '';
	const extensions = process.platform === 'win32' ? ['', ...(environment['PATHEXT'] ?? '.COM;.EXE;.BAT;.CMD').split(';')] : [''];
	return pathValue.split(path.delimiter).some(directory => directory !== '' && extensions.some(extension => isExecutableFile(path.join(directory, word + extension), environment)));
}

/**
What the pre-pass took out of the arguments, and what is left for meow.
*/
export type Prepass = {
	/**
	Our arguments for meow: flags and positionals before `--`.
	*/
	argv: string[];
	/**
	Everything after `--`: the child's command and its arguments, or its arguments when the command came before.
	*/
	afterSeparator: string[];
	headers: Array<[string, string]>;
	env: Array<[string, string]>;
	namedServers: Array<[string, string]>;
	verifySsl: boolean | string | undefined;
	logMessages: string | undefined;
	help: boolean;
	version: boolean;
	/**
	The positionals, in order: the URL, or the command and its arguments before `--` (a flag after the command that is not ours among them).
	*/
	positionals: string[];
};

const booleanWords = new Map<string, boolean>([
	['true', true],
	['yes', true],
	['on', true],
	['1', true],
	['false', false],
	['no', false],
	['off', false],
	['0', false],
]);

function parseVerifySsl(value: string): boolean | string {
	const word = booleanWords.get(value.toLowerCase());
	if (word !== undefined) {
		return word;
	}

	if (!existsSync(value)) {
		throw new UsageError(`\`--verify-ssl\` expects true, false or the path of a CA bundle; \`${value}\` is none of these (no such file).`);
	}

	return value;
}

/**
Take out what meow cannot parse: the two-value flags of the Python tool, optional values, further values of `--allow-origin`, and the `--` separator. A single-value flag given again replaces the earlier value (the last one wins, as with argparse). Unknown flags are refused here, with a hint about `--`.
*/
export function prepass(argv: readonly string[], environment: Environment = process.env): Prepass {
	const separator = argv.indexOf('--');
	const ours = separator === -1 ? [...argv] : argv.slice(0, separator);
	const result: Prepass = {
		argv: [],
		afterSeparator: separator === -1 ? [] : argv.slice(separator + 1),
		headers: [],
		env: [],
		namedServers: [],
		verifySsl: undefined,
		logMessages: undefined,
		help: false,
		version: false,
		positionals: [],
	};
	// Where each single-value flag's tokens are in `result.argv`, and the tokens of earlier occurrences to drop.
	const lastOccurrence = new Map<MeowFlagName, number[]>();
	const dropped = new Set<number>();

	for (let index = 0; index < ours.length; index++) {
		const token = ours[index]!;
		if (!token.startsWith('-') || token === '-') {
			result.argv.push(token);
			result.positionals.push(token);
			continue;
		}

		const equals = token.indexOf('=');
		const name = token.startsWith('--') && equals !== -1 ? token.slice(0, equals) : token;
		const inlineValue = token.startsWith('--') && equals !== -1 ? token.slice(equals + 1) : undefined;

		const twoValue = twoValueFlags.get(name);
		if (twoValue) {
			const values = inlineValue === undefined ? ours.slice(index + 1, index + 3) : [inlineValue, ...ours.slice(index + 1, index + 2)];
			if (values.length < 2 || values.some(value => value.startsWith('--'))) {
				throw new UsageError(`\`${name}\` expects two values, ${twoValueMetavars[twoValue]}${values[0] === undefined ? '' : `; got only \`${values[0]}\``}. Example: ${name} ${twoValue === 'namedServer' ? 'fetch \'uvx mcp-server-fetch\'' : 'Authorization \'Bearer TOKEN\''}`);
			}

			index += inlineValue === undefined ? 2 : 1;
			const pair: [string, string] = [values[0]!, values[1]!];
			if (twoValue === 'headers') {
				result.headers.push(pair);
			} else if (twoValue === 'env') {
				result.env.push(pair);
			} else {
				result.namedServers.push(pair);
			}

			continue;
		}

		switch (name) {
			case '--verify-ssl': {
				if (inlineValue === undefined) {
					const next = ours[index + 1];
					if (next !== undefined && !next.startsWith('-') && !isUrl(next)) {
						result.verifySsl = parseVerifySsl(next);
						index++;
					} else {
						result.verifySsl = true;
					}
				} else {
					result.verifySsl = parseVerifySsl(inlineValue);
				}

				continue;
			}

			case '--no-verify-ssl': {
				result.verifySsl = false;
				continue;
			}

			case '--log-messages': {
				if (inlineValue === undefined) {
					// A following word is the file only if it looks like a path and is not a command: `--log-messages node server.js`, `--log-messages python3.11 server.py` and `--log-messages ./run.sh` keep the command.
					const next = ours[index + 1];
					if (next !== undefined && !next.startsWith('-') && !isUrl(next) && /[./\\]/.test(next) && !isCommand(next, environment)) {
						result.logMessages = next;
						index++;
					} else {
						result.logMessages = '-';
					}
				} else {
					result.logMessages = inlineValue === '' ? '-' : inlineValue;
				}

				continue;
			}

			case '--help':
			case '-h': {
				result.help = true;
				continue;
			}

			case '--version': {
				result.version = true;
				continue;
			}

			default: {
				break;
			}
		}

		const bare = name.startsWith('--no-') ? name.slice(5) : name.slice(2);
		const known = name.startsWith('--') ? flagNames.get(bare) : undefined;
		if (!known || (name.startsWith('--no-') && meowFlags[known].type !== 'boolean')) {
			if (result.positionals.length > 0 && !isUrl(result.positionals[0]!)) {
				// After the command, a flag that is not ours is the command's (the ones we know stay ours, as in the Python tool).
				result.positionals.push(token);
				continue;
			}

			throw new UsageError(`Unknown option \`${token}\`. See \`mcp-proxy --help\`; a server command's own flags go after the command, or after \`--\`.`);
		}

		const spec: FlagSpec = meowFlags[known];
		const start = result.argv.length;
		if (spec.type === 'boolean' && inlineValue === undefined) {
			// Spelled out, so that meow does not take a following `true` or `false` for its value: as with argparse, that word is a positional (`--stateless false …` runs `false`).
			result.argv.push(`--${bare}=${name.startsWith('--no-') ? 'false' : 'true'}`);
		} else {
			result.argv.push(token);
		}

		if (spec.type === 'string' && inlineValue === undefined) {
			const value = ours[index + 1];
			if (value === undefined || (value.startsWith('-') && value !== '-')) {
				throw new UsageError(`\`${name}\` expects a value.`);
			}

			result.argv.push(value);
			index++;
			// `--allow-origin A B C`, as in the Python tool (nargs="+"): the words after the value that are origins; a command or a URL with a path is not one.
			if (known === 'allowOrigin') {
				while (index + 1 < ours.length && isOrigin(ours[index + 1]!)) {
					result.argv.push(token, ours[++index]!);
				}
			}
		}

		if (spec.type === 'string' && !spec.isMultiple) {
			for (const earlier of lastOccurrence.get(known) ?? []) {
				dropped.add(earlier);
			}

			lastOccurrence.set(known, Array.from({length: result.argv.length - start}, (_, offset) => start + offset));
		}
	}

	result.argv = result.argv.filter((_, position) => !dropped.has(position));
	return result;
}

const durationUnits: Record<string, number> = {
	ms: 1,
	s: 1000,
	m: 60_000,
	h: 3_600_000,
};

/**
A duration in milliseconds from `1500ms`, `30s`, `5m`, `1h`, or a plain number of seconds.
*/
export function parseDuration(flag: string, value: string): number {
	const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
	if (!match) {
		throw new UsageError(`\`--${flag}\` expects a duration such as 30s, 1500ms or 5m (a plain number is seconds), got \`${value}\`.`);
	}

	return Math.round(Number(match[1]) * durationUnits[match[2] ?? 's']!);
}

const sizeUnits = new Map<string, number>([
	['', 1],
	['b', 1],
	['k', 1024],
	['kb', 1024],
	['kib', 1024],
	['m', 1024 ** 2],
	['mb', 1024 ** 2],
	['mib', 1024 ** 2],
	['g', 1024 ** 3],
	['gb', 1024 ** 3],
	['gib', 1024 ** 3],
]);

/**
A size in bytes from `1048576`, `512k`, `16MiB`, `1g` (binary units).
*/
export function parseSize(flag: string, value: string): number {
	const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
	const unit = match ? sizeUnits.get(match[2]!.toLowerCase()) : undefined;
	if (!match || unit === undefined || Number(match[1]) * unit < 1) {
		throw new UsageError(`\`--${flag}\` expects a size in bytes such as 1048576, 512k or 16MiB, got \`${value}\`.`);
	}

	return Math.floor(Number(match[1]) * unit);
}

export function parseInteger(flag: string, value: string, min: number, max: number): number {
	const number = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
	if (!Number.isSafeInteger(number) || number < min || number > max) {
		throw new UsageError(`\`--${flag}\` expects an integer between ${min} and ${max}, got \`${value}\`.`);
	}

	return number;
}

function parseHeaderLine(value: string): [string, string] {
	const colon = value.indexOf(':');
	if (colon <= 0) {
		throw new UsageError(`\`--header\` expects "Name: value", got \`${value}\`. For two separate values use -H NAME VALUE.`);
	}

	return [value.slice(0, colon).trim(), value.slice(colon + 1).trim()];
}

const headerName = /^[!#$%&'*+.^`|~\w-]+$/;

function checkHeader([name, value]: [string, string]): [string, string] {
	if (!headerName.test(name)) {
		throw new UsageError(`Invalid header name \`${name}\`: use letters, digits and - only.`);
	}

	// Header injection: a value with a line break would start a new header.
	if (/[\r\n\0]/.test(value)) {
		throw new UsageError(`Invalid value for header \`${name}\`: it contains a line break or NUL.`);
	}

	return [name, value];
}

const envName = /^[A-Za-z_]\w*$/;

/**
Split a command string the way a POSIX shell would (quotes and backslashes), without running a shell.
*/
export function splitCommand(command: string): string[] {
	const words: string[] = [];
	let word = '';
	let inWord = false;
	let quote: '"' | '\'' | undefined;
	for (let index = 0; index < command.length; index++) {
		const character = command[index]!;
		if (quote === '\'') {
			if (character === '\'') {
				quote = undefined;
			} else {
				word += character;
			}
		} else if (quote === '"') {
			if (character === '"') {
				quote = undefined;
			} else if (character === '\\' && index + 1 < command.length && '"\\$`'.includes(command[index + 1]!)) {
				word += command[++index];
			} else {
				word += character;
			}
		} else if (character === '\'' || character === '"') {
			quote = character;
			inWord = true;
		} else if (character === '\\' && index + 1 < command.length) {
			word += command[++index];
			inWord = true;
		} else if (/\s/.test(character)) {
			if (inWord) {
				words.push(word);
				word = '';
				inWord = false;
			}
		} else {
			word += character;
			inWord = true;
		}
	}

	if (quote) {
		throw new UsageError(`Unterminated ${quote === '"' ? 'double' : 'single'} quote in \`${command}\`.`);
	}

	if (inWord) {
		words.push(word);
	}

	return words;
}

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asStrings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/**
Turn the pre-pass (its positionals: the URL, or the command and its arguments) and meow's flags into validated options. `environment` is `process.env` (read for `SSE_URL`, `API_ACCESS_TOKEN` handled later, `MCP_PROXY_API_KEY`).
*/
export function resolveOptions(pre: Prepass, flags: ParsedFlags, environment: Readonly<Record<string, string | undefined>>): CliOptions {
	const warnings: string[] = [];
	let positionals = [...pre.positionals, ...pre.afterSeparator];

	let first = positionals[0];
	if (first === undefined && pre.afterSeparator.length === 0 && environment['SSE_URL'] && pre.namedServers.length === 0 && !flags.namedServerConfig) {
		first = environment['SSE_URL'];
		positionals = [first];
		warnings.push('Using the URL in SSE_URL; this variable is deprecated: give the URL as the first argument.');
	}

	const mode: CliOptions['mode'] = first !== undefined && isUrl(first) ? 'client' : 'server';
	if (mode === 'server' && first === undefined && pre.namedServers.length === 0 && !flags.namedServerConfig) {
		throw new UsageError('Nothing to run: give a URL (client mode), a command (server mode), --named-server or --named-server-config. See `mcp-proxy --help`.');
	}

	if (mode === 'client' && positionals.length > 1) {
		throw new UsageError(`Client mode takes one URL; unexpected \`${positionals[1]}\`.`);
	}

	if (mode === 'client') {
		try {
			// eslint-disable-next-line no-new
			new URL(first!);
		} catch {
			throw new UsageError(`\`${first}\` is not a valid URL.`);
		}
	}

	for (const [name, spec] of Object.entries(meowFlags)) {
		const value = flags[name as MeowFlagName];
		const given = Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;
		if (given && spec.scope !== 'both' && spec.scope !== mode) {
			warnings.push(`\`--${kebab(name)}\` applies to ${spec.scope} mode only; ignored in ${mode} mode.`);
		}
	}

	if (mode === 'server' && (pre.headers.length > 0 || pre.verifySsl !== undefined)) {
		warnings.push('`--headers` and `--verify-ssl` apply to client mode only; ignored in server mode. (Remote entries of --named-server-config take `headers`.)');
	}

	if (mode === 'client' && (pre.env.length > 0 || pre.namedServers.length > 0)) {
		warnings.push('`--env` and `--named-server` apply to server mode only; ignored in client mode.');
	}

	const transportValue = asString(flags.transport)?.toLowerCase() ?? 'auto';
	const transportAliases: Record<string, RemoteTransportKind> = {
		auto: 'auto',
		sse: 'sse',
		streamablehttp: 'streamablehttp',
		'streamable-http': 'streamablehttp',
		http: 'streamablehttp',
	};
	const transport = transportAliases[transportValue];
	if (!transport) {
		throw new UsageError(`\`--transport\` expects auto, streamablehttp or sse, got \`${transportValue}\`.`);
	}

	const clientId = asString(flags.clientId);
	const clientSecret = asString(flags.clientSecret);
	const privateKeyFile = asString(flags.clientPrivateKey);
	const keyAlgorithm = asString(flags.clientKeyAlgorithm);
	const audience = asString(flags.tokenAudience);
	const tokenUrl = asString(flags.tokenUrl);
	const scope = asString(flags.scope);
	let oauth: CliOptions['oauth'];
	if (clientSecret !== undefined && privateKeyFile !== undefined) {
		throw new UsageError('Give either --client-secret or --client-private-key, not both.');
	}

	// --token-url or a private key: client credentials (machine to machine). Otherwise --client-id (and --client-secret) name a pre-registered client for the browser sign-in.
	const clientCredentialsWanted = tokenUrl !== undefined || privateKeyFile !== undefined;
	const credential = clientSecret ?? privateKeyFile;
	const oauthGiven = [clientId, credential, tokenUrl].filter(value => value !== undefined).length;
	if (clientCredentialsWanted && oauthGiven < 3) {
		const missing = [['--client-id', clientId], ['--client-secret (or --client-private-key)', credential], ['--token-url', tokenUrl]].filter(([, value]) => value === undefined).map(([flag]) => flag);
		throw new UsageError(`OAuth2 client credentials need --client-id, --client-secret (or --client-private-key) and --token-url together; missing ${missing.join(' and ')}.`);
	}

	if (clientCredentialsWanted) {
		for (const [flag, value] of [['--token-url', tokenUrl], ['--token-audience', audience]] as const) {
			if (value !== undefined && !URL.canParse(value)) {
				throw new UsageError(`\`${flag}\` expects a URL, got \`${value}\`.`);
			}
		}

		if (privateKeyFile !== undefined && !existsSync(privateKeyFile)) {
			throw new UsageError(`\`--client-private-key\`: no such file \`${privateKeyFile}\`.`);
		}

		if (keyAlgorithm !== undefined && !jwtAlgorithms.includes(keyAlgorithm as JwtAlgorithm)) {
			throw new UsageError(`\`--client-key-algorithm\` expects one of ${jwtAlgorithms.join(', ')}, got \`${keyAlgorithm}\`.`);
		}

		if ((keyAlgorithm !== undefined || audience !== undefined) && privateKeyFile === undefined) {
			throw new UsageError('`--client-key-algorithm` and `--token-audience` need --client-private-key.');
		}

		oauth = {
			clientId: clientId!,
			clientSecret,
			privateKeyFile,
			keyAlgorithm,
			audience,
			tokenUrl: tokenUrl!,
			scope,
		};
	} else if (keyAlgorithm !== undefined || audience !== undefined) {
		throw new UsageError('`--client-key-algorithm` and `--token-audience` need --client-id, --client-private-key and --token-url.');
	} else if (clientSecret !== undefined && clientId === undefined) {
		throw new UsageError('`--client-secret` needs --client-id (a pre-registered client for the browser sign-in), or --client-id and --token-url (client credentials).');
	}

	const clientMetadataUrl = asString(flags.clientMetadataUrl);
	if (clientMetadataUrl !== undefined && (!URL.canParse(clientMetadataUrl) || new URL(clientMetadataUrl).protocol !== 'https:' || new URL(clientMetadataUrl).pathname === '/')) {
		throw new UsageError(`\`--client-metadata-url\` expects an https:// URL with a path (where your client metadata document is served), got \`${clientMetadataUrl}\`.`);
	}

	const nonEmpty = (value: string | undefined) => (value === '' ? undefined : value);
	const browserCommandValue = asString(flags.browserCommand) ?? nonEmpty(environment['MCP_PROXY_BROWSER']);
	let browserCommand: string[] | false | undefined = browserCommandValue === undefined ? undefined : splitCommand(browserCommandValue);
	if (Array.isArray(browserCommand) && browserCommand.length === 0) {
		throw new UsageError('`--browser-command` is empty.');
	}

	if (flags.browser === false) {
		browserCommand = false;
	}

	const callbackPortValue = asString(flags.callbackPort);
	const signIn: CliOptions['signIn'] = {
		authDir: asString(flags.authDir) ?? nonEmpty(environment['MCP_PROXY_AUTH_DIR']),
		callbackPort: callbackPortValue === undefined ? undefined : parseInteger('callback-port', callbackPortValue, 0, 65_535),
		browserCommand,
		clientId: clientCredentialsWanted ? undefined : clientId,
		clientSecret: clientCredentialsWanted ? undefined : clientSecret,
		clientMetadataUrl,
		scope: clientCredentialsWanted ? undefined : scope,
		timeout: asString(flags.signInTimeout) === undefined ? 300_000 : parseDuration('sign-in-timeout', asString(flags.signInTimeout)!),
		reset: flags.resetAuth === true,
		deviceCode: flags.deviceCode === true,
		only: flags.signIn === true,
	};

	const headers = [...pre.headers, ...asStrings(flags.header).map(value => parseHeaderLine(value))].map(header => checkHeader(header));

	const env: Record<string, string> = {};
	for (const [key, value] of pre.env) {
		if (!envName.test(key)) {
			throw new UsageError(`\`--env\` expects a variable name, got \`${key}\`.`);
		}

		env[key] = value;
	}

	const namedServers: NamedServerDefinition[] = [];
	for (const [name, commandString] of pre.namedServers) {
		const nameProblem = serverNameProblem(name);
		if (nameProblem !== undefined) {
			throw new UsageError(`\`--named-server\` name \`${name}\` ${nameProblem}.`);
		}

		if (namedServers.some(server => server.name === name)) {
			throw new UsageError(`\`--named-server\` \`${name}\` is defined twice.`);
		}

		const words = splitCommand(commandString);
		if (words.length === 0) {
			throw new UsageError(`\`--named-server ${name}\` has an empty command.`);
		}

		namedServers.push({name, command: words[0]!, args: words.slice(1)});
	}

	const logLevelValue = asString(flags.logLevel);
	let logLevel: LogLevel = 'info';
	if (logLevelValue !== undefined) {
		const parsed = parseLogLevel(logLevelValue);
		if (!parsed) {
			throw new UsageError(`\`--log-level\` expects DEBUG, INFO, WARNING, ERROR or CRITICAL, got \`${logLevelValue}\`.`);
		}

		logLevel = parsed;
	}

	if (flags.debug === true) {
		logLevel = 'debug';
	}

	const host = asString(flags.host) ?? asString(flags.sseHost) ?? '127.0.0.1';
	const portValue = asString(flags.port) ?? asString(flags.ssePort);
	const port = portValue === undefined ? 0 : parseInteger(flags.port === undefined ? 'sse-port' : 'port', portValue, 0, 65_535);
	const environmentKey = environment['MCP_PROXY_API_KEY'];
	const apiKey = asString(flags.apiKey) ?? (environmentKey === '' ? undefined : environmentKey);

	const duration = (name: MeowFlagName, fallback: number) => {
		const value = asString(flags[name]);
		return value === undefined ? fallback : parseDuration(kebab(name), value);
	};

	const size = (name: MeowFlagName, fallback: number) => {
		const value = asString(flags[name]);
		return value === undefined ? fallback : parseSize(kebab(name), value);
	};

	const integer = (name: MeowFlagName, fallback: number, min: number, max: number) => {
		const value = asString(flags[name]);
		return value === undefined ? fallback : parseInteger(kebab(name), value, min, max);
	};

	const options: CliOptions = {
		mode,
		url: mode === 'client' ? first : undefined,
		headers,
		transport,
		oauth,
		signIn,
		verifySsl: pre.verifySsl ?? true,
		reconnectDelay: duration('reconnectDelay', 500),
		reconnectMaxDelay: duration('reconnectMaxDelay', 30_000),
		maxQueuedMessages: integer('maxQueuedMessages', 1000, 1, 1_000_000),
		command: mode === 'server' ? first : undefined,
		args: mode === 'server' ? positionals.slice(1) : [],
		env,
		cwd: asString(flags.cwd),
		passEnvironment: flags.passEnvironment === true,
		namedServers,
		namedServerConfig: asString(flags.namedServerConfig),
		host,
		port,
		stateless: flags.stateless === true,
		allowOrigins: asStrings(flags.allowOrigin),
		exposeHeaders: asStrings(flags.exposeHeader).length > 0 ? asStrings(flags.exposeHeader) : ['Mcp-Session-Id'],
		isolateSessions: flags.isolateSessions === true,
		apiKey,
		allowUnauthenticated: flags.allowUnauthenticated === true,
		sessionTimeout: duration('sessionTimeout', 30 * 60_000),
		handshakeTimeout: duration('handshakeTimeout', 30_000),
		maxBodyBytes: size('maxBodyBytes', 16 * 1024 * 1024),
		maxSessions: integer('maxSessions', 10_000, 1, 1_000_000),
		maxQueuedBytes: size('maxQueuedBytes', 256 * 1024 * 1024),
		maxSessionsPerClient: integer('maxSessionsPerClient', 1000, 1, 1_000_000),
		restartDelay: duration('restartDelay', 1000),
		restartMaxDelay: duration('restartMaxDelay', 30_000),
		startupTimeout: duration('startupTimeout', 60_000),
		readTimeout: duration('readTimeout', 120_000),
		logLevel,
		logMessages: pre.logMessages,
		maxMessageBytes: size('maxMessageBytes', 128 * 1024 * 1024),
		requestTimeout: duration('requestTimeout', 0),
		warnings,
	};

	if (options.reconnectMaxDelay < options.reconnectDelay) {
		throw new UsageError('`--reconnect-max-delay` must not be shorter than `--reconnect-delay`.');
	}

	for (const [flag, value] of [['session-timeout', options.sessionTimeout], ['handshake-timeout', options.handshakeTimeout], ['startup-timeout', options.startupTimeout], ['read-timeout', options.readTimeout]] as const) {
		if (value <= 0) {
			throw new UsageError(`\`--${flag}\` must be longer than 0.`);
		}
	}

	if (options.restartMaxDelay < options.restartDelay) {
		throw new UsageError('`--restart-max-delay` must not be shorter than `--restart-delay`.');
	}

	if (mode === 'server' && !options.apiKey && !options.allowUnauthenticated && !isLoopbackHost(host)) {
		throw new UsageError(`Refusing to listen on \`${host}\` without authentication: anyone who can reach it could run the server's tools. Set --api-key (or MCP_PROXY_API_KEY), or pass --allow-unauthenticated if something in front of the proxy authenticates.`);
	}

	if (options.stateless && options.isolateSessions) {
		warnings.push('`--isolate-sessions` has no effect with `--stateless`: every request is its own session.');
	}

	return options;
}

export const helpText = `
	Usage
	  $ mcp-proxy [options] URL                          client mode
	  $ mcp-proxy [options] [--] COMMAND [ARGS…]         server mode
	  $ mcp-proxy [options] --named-server NAME 'COMMAND ARGS' …

	Client mode: a URL (http:// or https://) as the first argument. The proxy is
	a stdio MCP server for a local client (Claude Desktop, an IDE) and forwards
	everything to the remote server over Streamable HTTP or legacy SSE.

	Server mode: a command. The proxy runs it as a stdio MCP server and serves it
	over HTTP: Streamable HTTP at /mcp, legacy SSE at /sse and /messages/, named
	servers at /servers/NAME/…, and /status. Arguments after the command are
	its own, but for our flags; put the command after -- to give it one of ours.

	Client options
	  -H, --headers KEY VALUE        Add a request header (repeatable)
	  --header "KEY: VALUE"          Same, as one value (repeatable)
	  --transport auto|streamablehttp|sse
	                                 Remote transport (default: auto = Streamable HTTP,
	                                 falling back to legacy SSE on 400/404/405)
	  Sign-in: when the server answers 401 and no other credentials are given, the
	  proxy signs in with OAuth (browser, PKCE) and keeps the tokens.
	  --auth-dir DIR                 Where tokens live (default: $XDG_CONFIG_HOME or
	                                 ~/.config, then rx-mcp-proxy/auth; env
	                                 MCP_PROXY_AUTH_DIR)
	  --reset-auth                   Forget this server's tokens and registration first
	  --sign-in                      Sign in (if the server asks) and exit
	  --no-browser                   Only print the sign-in URL (headless machines)
	  --device-code                  Sign in with a code on another device (RFC 8628)
	  --browser-command COMMAND      Open the sign-in URL with COMMAND URL (env
	                                 MCP_PROXY_BROWSER; default: xdg-open/open)
	  --callback-port N              Port of the loopback redirect URI (default: one
	                                 derived from the URL, stable across runs)
	  --sign-in-timeout DURATION     How long to wait for the sign-in (default: 5m)
	  --client-id ID                 A pre-registered client id (default: the proxy
	                                 registers itself)
	  --client-secret SECRET         … its secret (confidential clients)
	  --client-metadata-url URL      https URL of this client's metadata document,
	                                 used as client id where the server supports it
	  --scope SCOPE                  Scope to ask for when the server names none
	  OAuth2 client credentials (machine to machine, no browser):
	  --client-id ID --token-url URL with --client-secret SECRET (HTTP Basic, or
	                                 form post when the token endpoint asks for it)
	  --client-private-key FILE      … or a PEM private key: private_key_jwt
	  --client-key-algorithm ALG     … its JWS algorithm (default: from the key)
	  --token-audience URL           … the assertion's audience (default: the
	                                 authorization server's issuer)
	  --scope SCOPE                  … scope to request (optional)
	  --verify-ssl [true|false|CA]   Verify TLS certificates (default: true), or trust
	                                 the CA bundle at the given path
	  --no-verify-ssl                Do not verify TLS certificates
	  --reconnect-delay DURATION     First reconnection delay (default: 500ms)
	  --reconnect-max-delay DURATION Longest reconnection delay (default: 30s)
	  --max-queued-messages N        Messages held while reconnecting (default: 1000)
	  Environment: API_ACCESS_TOKEN sends Authorization: Bearer <token>;
	  SSE_URL is the URL when none is given (deprecated).

	Server options
	  -e, --env KEY VALUE            Environment variable for the command (repeatable)
	  --cwd DIR                      Working directory of the command
	  --pass-environment             Give every server our whole environment
	                                 (--no-pass-environment: only HOME, LOGNAME, PATH,
	                                 SHELL, TERM, USER; the default)
	  --named-server NAME 'COMMAND'  Serve another command at /servers/NAME/ (repeatable)
	  --named-server-config FILE     Named servers from a JSON file in the Claude Desktop
	                                 format ({"mcpServers": {…}}); entries may be URLs
	  --host HOST                    Address to listen on (default: 127.0.0.1)
	  --port PORT                    Port to listen on (default: 0 = any free port)
	  --sse-host, --sse-port         Deprecated aliases of --host and --port
	  --stateless                    Streamable HTTP without sessions
	  --isolate-sessions             One server process per client session, instead of
	                                 one shared by all sessions
	  --allow-origin ORIGIN …        Allow cross-origin requests from ORIGIN; * for any
	                                 (repeatable; default: none)
	  --expose-header NAME           CORS exposed header (repeatable;
	                                 default: Mcp-Session-Id)
	  --api-key KEY                  Require Authorization: Bearer KEY or X-API-Key: KEY
	                                 (or set MCP_PROXY_API_KEY)
	  --allow-unauthenticated        Listen on a non-loopback address without --api-key
	  --session-timeout DURATION     Close sessions idle this long (default: 30m)
	  --handshake-timeout DURATION   Close a session whose client sends nothing after
	                                 initialize for this long (default: 30s)
	  --max-body-bytes SIZE          Largest request body accepted (default: 16MiB)
	  --max-sessions N               Most sessions open at once (default: 10000)
	  --max-queued-bytes SIZE        Messages held for slow clients, all sessions
	                                 together; past it the oldest notifications of
	                                 the slowest are dropped (default: 256MiB)
	  --max-sessions-per-client N    Most sessions open at once from one client
	                                 address (default: 1000); clients behind one
	                                 reverse proxy or NAT share its address
	  --read-timeout DURATION        Time a client has to send a whole request; its
	                                 headers must come within 30s at most (default: 2m)
	  --restart-delay DURATION       First delay before restarting a server that
	                                 exited (default: 1s)
	  --restart-max-delay DURATION   Longest restart delay (default: 30s)
	  --startup-timeout DURATION     Restart a shared server that does not answer
	                                 initialize within this time (default: 60s)

	Options for both modes
	  --log-level LEVEL              DEBUG, INFO, WARNING, ERROR or CRITICAL
	                                 (default: INFO); logs go to standard error
	  --debug                        Same as --log-level DEBUG
	  --log-messages [FILE]          Log every JSON-RPC message as a JSON line
	                                 {time, direction, session, message} to FILE
	                                 (appended), or to standard error without one
	  --max-message-bytes SIZE       Largest message accepted (default: 128MiB)
	  --request-timeout DURATION     Answer a request with an error and cancel it when
	                                 the server takes longer (default: 0 = never)
	  --version                      Print the version
	  --help                         Print this help

	DURATION is 1500ms, 30s, 5m, 1h, or a number of seconds. SIZE is a number of
	bytes, or with a unit: 512k, 16MiB, 1g.

	Examples
	  $ mcp-proxy https://example.com/mcp
	  $ API_ACCESS_TOKEN=secret mcp-proxy --transport sse https://example.com/sse
	  $ mcp-proxy -H Authorization 'Bearer secret' https://example.com/mcp
	  $ mcp-proxy --port 8080 -- npx -y @modelcontextprotocol/server-everything
	  $ mcp-proxy --port 8080 --named-server fetch 'uvx mcp-server-fetch' node server.js
	  $ mcp-proxy --host 0.0.0.0 --port 8080 --api-key "$KEY" --named-server-config servers.json
`;

/**
Parse the command line. Exits for `--help`, `--version` and usage errors (code 2).
*/
export function parseCommandLine(argv: readonly string[], environment: Readonly<Record<string, string | undefined>>): CliOptions {
	const pre = prepass(argv, environment);
	const cli = meow(helpText, {
		importMeta: import.meta,
		argv: pre.argv,
		flags: Object.fromEntries(Object.entries(meowFlags).map(([name, spec]) => [name, {
			type: spec.type,
			...('isMultiple' in spec ? {isMultiple: spec.isMultiple} : {}),
		}])),
		description: false,
		autoHelp: false,
		autoVersion: false,
		allowUnknownFlags: false,
		booleanDefault: undefined,
	});
	if (pre.help) {
		process.stdout.write(`${helpText.replaceAll(/^\t/gm, '').trimStart()}`);
		process.exit(0);
	}

	if (pre.version) {
		process.stdout.write(`${cli.pkg.version ?? 'unknown'}\n`);
		process.exit(0);
	}

	// The positionals come from the pre-pass, which keeps the command's own flags among them, in order.
	return resolveOptions(pre, cli.flags, environment);
}
