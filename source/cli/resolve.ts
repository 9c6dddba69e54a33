import {existsSync} from 'node:fs';
import {serverNameProblem} from '../config/named-servers.js';
import {UsageError} from '../errors.js';
import {isLoopbackHost} from '../loopback.js';
import {parseLogLevel, type LogLevel} from '../logger.js';
import {jwtAlgorithms, type JwtAlgorithm} from '../auth/jwt.js';
import {
	defaultOf, flags as flagTable, kebab, meowFlags, type FlagWithDefault, type MeowFlagName, type ParsedFlags,
} from './flags.js';
import type {CliOptions, NamedServerDefinition, RemoteTransportKind} from './options.js';
import {
	checkHeader, isUrl, parseDuration, parseHeaderLine, parseInteger, parseSize, splitCommand, type Environment,
} from './parse.js';
import type {Prepass} from './prepass.js';

/*
From the pre-pass and meow's flags to validated options: one small resolver per group (mode, client, OAuth, sign-in, server, logging, limits), called in the order their usage errors are checked. Pure but for file-existence checks; the environment is passed in.
*/

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asStrings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const nonEmpty = (value: string | undefined) => (value === '' ? undefined : value);

/**
The value of a flag that takes one, as given.
*/
const given = (flags: ParsedFlags, name: MeowFlagName) => asString(flags[name]);

/**
The value of a flag with a default: as given, else its default from the flag table.
*/
const valueOf = (flags: ParsedFlags, name: FlagWithDefault & MeowFlagName) => given(flags, name) ?? defaultOf(name);

const duration = (flags: ParsedFlags, name: FlagWithDefault & MeowFlagName) => parseDuration(kebab(name), valueOf(flags, name));
const size = (flags: ParsedFlags, name: FlagWithDefault & MeowFlagName) => parseSize(kebab(name), valueOf(flags, name));
const integer = (flags: ParsedFlags, name: FlagWithDefault & MeowFlagName, min: number, max: number) => parseInteger(kebab(name), valueOf(flags, name), min, max);

type ModeResolution = {
	mode: CliOptions['mode'];
	/**
	The URL (client mode), or the command (server mode; `undefined` with named servers only).
	*/
	first: string | undefined;
	positionals: string[];
};

/**
The mode, from the first positional (or `SSE_URL`): a URL is client mode, anything else a command.
*/
function resolveMode(pre: Prepass, flags: ParsedFlags, environment: Environment, warnings: string[]): ModeResolution {
	let positionals = [...pre.positionals, ...pre.afterSeparator];
	let first = positionals[0];
	const namedServersGiven = pre.pairs.namedServer.length > 0 || Boolean(flags.namedServerConfig);
	if (first === undefined && pre.afterSeparator.length === 0 && environment['SSE_URL'] && !namedServersGiven) {
		first = environment['SSE_URL'];
		positionals = [first];
		warnings.push('Using the URL in SSE_URL; this variable is deprecated: give the URL as the first argument.');
	}

	const mode: CliOptions['mode'] = first !== undefined && isUrl(first) ? 'client' : 'server';
	if (mode === 'server' && first === undefined && !namedServersGiven) {
		throw new UsageError('Nothing to run: give a URL (client mode), a command (server mode), --named-server or --named-server-config. See `mcp-proxy --help`.');
	}

	if (mode === 'client' && positionals.length > 1) {
		throw new UsageError(`Client mode takes one URL; unexpected \`${positionals[1]}\`.`);
	}

	if (mode === 'client' && !URL.canParse(first!)) {
		throw new UsageError(`\`${first}\` is not a valid URL.`);
	}

	return {mode, first, positionals};
}

/**
Warn about the flags given that apply to the other mode only.
*/
function scopeWarnings(pre: Prepass, flags: ParsedFlags, mode: CliOptions['mode'], warnings: string[]): void {
	for (const name of Object.keys(meowFlags) as MeowFlagName[]) {
		const value = flags[name];
		const {scope} = flagTable[name];
		const isGiven = Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;
		if (isGiven && scope !== 'both' && scope !== mode) {
			warnings.push(`\`--${kebab(name)}\` applies to ${scope} mode only; ignored in ${mode} mode.`);
		}
	}

	if (mode === 'server' && (pre.pairs.headers.length > 0 || pre.verifySsl !== undefined)) {
		warnings.push('`--headers` and `--verify-ssl` apply to client mode only; ignored in server mode. (Remote entries of --named-server-config take `headers`.)');
	}

	if (mode === 'client' && (pre.pairs.env.length > 0 || pre.pairs.namedServer.length > 0)) {
		warnings.push('`--env` and `--named-server` apply to server mode only; ignored in client mode.');
	}
}

const transportAliases: Readonly<Record<string, RemoteTransportKind>> = {
	auto: 'auto',
	sse: 'sse',
	streamablehttp: 'streamablehttp',
	'streamable-http': 'streamablehttp',
	http: 'streamablehttp',
};

function resolveTransport(flags: ParsedFlags): RemoteTransportKind {
	const value = valueOf(flags, 'transport').toLowerCase();
	const transport = Object.hasOwn(transportAliases, value) ? transportAliases[value] : undefined;
	if (!transport) {
		throw new UsageError(`\`--transport\` expects auto, streamablehttp or sse, got \`${value}\`.`);
	}

	return transport;
}

/**
OAuth 2 client credentials (machine to machine): `--token-url` or a private key asks for them, and then `--client-id`, a secret or a key and `--token-url` must come together. Without them, `--client-id` (and `--client-secret`) name a pre-registered client for the browser sign-in.
*/
function resolveClientCredentials(flags: ParsedFlags): CliOptions['oauth'] {
	const clientId = given(flags, 'clientId');
	const clientSecret = given(flags, 'clientSecret');
	const privateKeyFile = given(flags, 'clientPrivateKey');
	const keyAlgorithm = given(flags, 'clientKeyAlgorithm');
	const audience = given(flags, 'tokenAudience');
	const tokenUrl = given(flags, 'tokenUrl');
	if (clientSecret !== undefined && privateKeyFile !== undefined) {
		throw new UsageError('Give either --client-secret or --client-private-key, not both.');
	}

	if (!wantsClientCredentials(flags)) {
		if (keyAlgorithm !== undefined || audience !== undefined) {
			throw new UsageError('`--client-key-algorithm` and `--token-audience` need --client-id, --client-private-key and --token-url.');
		}

		if (clientSecret !== undefined && clientId === undefined) {
			throw new UsageError('`--client-secret` needs --client-id (a pre-registered client for the browser sign-in), or --client-id and --token-url (client credentials).');
		}

		return undefined;
	}

	const credential = clientSecret ?? privateKeyFile;
	const missing = [['--client-id', clientId], ['--client-secret (or --client-private-key)', credential], ['--token-url', tokenUrl]].filter(([, value]) => value === undefined).map(([flag]) => flag);
	if (missing.length > 0) {
		throw new UsageError(`OAuth2 client credentials need --client-id, --client-secret (or --client-private-key) and --token-url together; missing ${missing.join(' and ')}.`);
	}

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

	return {
		clientId: clientId!,
		clientSecret,
		privateKeyFile,
		keyAlgorithm,
		audience,
		tokenUrl: tokenUrl!,
		scope: given(flags, 'scope'),
	};
}

const wantsClientCredentials = (flags: ParsedFlags) => given(flags, 'tokenUrl') !== undefined || given(flags, 'clientPrivateKey') !== undefined;

/**
The browser sign-in (the MCP authorization flow), used when the server answers 401 and no other credentials are given.
*/
function resolveSignIn(flags: ParsedFlags, environment: Environment): CliOptions['signIn'] {
	const clientMetadataUrl = given(flags, 'clientMetadataUrl');
	if (clientMetadataUrl !== undefined && (!URL.canParse(clientMetadataUrl) || new URL(clientMetadataUrl).protocol !== 'https:' || new URL(clientMetadataUrl).pathname === '/')) {
		throw new UsageError(`\`--client-metadata-url\` expects an https:// URL with a path (where your client metadata document is served), got \`${clientMetadataUrl}\`.`);
	}

	const browserCommandValue = given(flags, 'browserCommand') ?? nonEmpty(environment['MCP_PROXY_BROWSER']);
	const browserCommand = browserCommandValue === undefined ? undefined : splitCommand(browserCommandValue);
	if (browserCommand?.length === 0) {
		throw new UsageError('`--browser-command` is empty.');
	}

	const callbackPort = given(flags, 'callbackPort');
	// With client credentials, --client-id, --client-secret and --scope are theirs, not a pre-registered client's.
	const preRegistered = !wantsClientCredentials(flags);
	return {
		authDir: given(flags, 'authDir') ?? nonEmpty(environment['MCP_PROXY_AUTH_DIR']),
		callbackPort: callbackPort === undefined ? undefined : parseInteger('callback-port', callbackPort, 0, 65_535),
		browserCommand: flags.browser === false ? false : browserCommand,
		clientId: preRegistered ? given(flags, 'clientId') : undefined,
		clientSecret: preRegistered ? given(flags, 'clientSecret') : undefined,
		clientMetadataUrl,
		scope: preRegistered ? given(flags, 'scope') : undefined,
		timeout: duration(flags, 'signInTimeout'),
		reset: flags.resetAuth === true,
		deviceCode: flags.deviceCode === true,
		only: flags.signIn === true,
	};
}

/**
The request headers of client mode: `-H KEY VALUE` first, then `--header "KEY: VALUE"`, each checked against header injection.
*/
function resolveHeaders(pre: Prepass, flags: ParsedFlags): Array<[string, string]> {
	return [...pre.pairs.headers, ...asStrings(flags.header).map(value => parseHeaderLine(value))].map(header => checkHeader(header));
}

const envName = /^[A-Za-z_]\w*$/;

/**
The default server's environment (`-e KEY VALUE`) and the named servers (`--named-server NAME COMMAND`).
*/
function resolveChildren(pre: Prepass): Pick<CliOptions, 'env' | 'namedServers'> {
	const env: Record<string, string> = {};
	for (const [key, value] of pre.pairs.env) {
		if (!envName.test(key)) {
			throw new UsageError(`\`--env\` expects a variable name, got \`${key}\`.`);
		}

		env[key] = value;
	}

	const namedServers: NamedServerDefinition[] = [];
	for (const [name, commandString] of pre.pairs.namedServer) {
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

	return {env, namedServers};
}

function resolveLogLevel(flags: ParsedFlags): LogLevel {
	const value = valueOf(flags, 'logLevel');
	const logLevel = parseLogLevel(value);
	if (!logLevel) {
		throw new UsageError(`\`--log-level\` expects DEBUG, INFO, WARNING, ERROR or CRITICAL, got \`${value}\`.`);
	}

	return flags.debug === true ? 'debug' : logLevel;
}

/**
Where server mode listens (`--sse-host` and `--sse-port` are the Python tool's names), and its API key (`MCP_PROXY_API_KEY` when the flag is not given).
*/
function resolveListen(flags: ParsedFlags, environment: Environment): Pick<CliOptions, 'host' | 'port' | 'apiKey'> {
	const portFlag = given(flags, 'port') === undefined && given(flags, 'ssePort') !== undefined ? 'ssePort' : 'port';
	const environmentKey = environment['MCP_PROXY_API_KEY'];
	return {
		host: given(flags, 'host') ?? given(flags, 'sseHost') ?? defaultOf('host'),
		port: parseInteger(kebab(portFlag), given(flags, portFlag) ?? defaultOf('port'), 0, 65_535),
		apiKey: given(flags, 'apiKey') ?? (environmentKey === '' ? undefined : environmentKey),
	};
}

type Limits = Pick<CliOptions,
	| 'reconnectDelay' | 'reconnectMaxDelay' | 'maxQueuedMessages'
	| 'sessionTimeout' | 'handshakeTimeout' | 'maxBodyBytes' | 'maxSessions' | 'maxQueuedBytes' | 'maxSessionsPerClient'
	| 'restartDelay' | 'restartMaxDelay' | 'startupTimeout' | 'readTimeout'
	| 'maxMessageBytes' | 'requestTimeout'>;

/**
The timeouts, delays, sizes and counts of both modes, and how they must relate.
*/
function resolveLimits(flags: ParsedFlags): Limits {
	const limits: Limits = {
		reconnectDelay: duration(flags, 'reconnectDelay'),
		reconnectMaxDelay: duration(flags, 'reconnectMaxDelay'),
		maxQueuedMessages: integer(flags, 'maxQueuedMessages', 1, 1_000_000),
		sessionTimeout: duration(flags, 'sessionTimeout'),
		handshakeTimeout: duration(flags, 'handshakeTimeout'),
		maxBodyBytes: size(flags, 'maxBodyBytes'),
		maxSessions: integer(flags, 'maxSessions', 1, 1_000_000),
		maxQueuedBytes: size(flags, 'maxQueuedBytes'),
		maxSessionsPerClient: integer(flags, 'maxSessionsPerClient', 1, 1_000_000),
		restartDelay: duration(flags, 'restartDelay'),
		restartMaxDelay: duration(flags, 'restartMaxDelay'),
		startupTimeout: duration(flags, 'startupTimeout'),
		readTimeout: duration(flags, 'readTimeout'),
		maxMessageBytes: size(flags, 'maxMessageBytes'),
		requestTimeout: duration(flags, 'requestTimeout'),
	};
	if (limits.reconnectMaxDelay < limits.reconnectDelay) {
		throw new UsageError('`--reconnect-max-delay` must not be shorter than `--reconnect-delay`.');
	}

	for (const name of ['sessionTimeout', 'handshakeTimeout', 'startupTimeout', 'readTimeout'] as const) {
		if (limits[name] <= 0) {
			throw new UsageError(`\`--${kebab(name)}\` must be longer than 0.`);
		}
	}

	if (limits.restartMaxDelay < limits.restartDelay) {
		throw new UsageError('`--restart-max-delay` must not be shorter than `--restart-delay`.');
	}

	return limits;
}

/**
Turn the pre-pass (its positionals: the URL, or the command and its arguments) and meow's flags into validated options. `environment` is `process.env` (read for `SSE_URL`, `MCP_PROXY_API_KEY`, `MCP_PROXY_AUTH_DIR` and `MCP_PROXY_BROWSER`; `API_ACCESS_TOKEN` is handled later).
*/
export function resolveOptions(pre: Prepass, flags: ParsedFlags, environment: Environment): CliOptions {
	const warnings: string[] = [];
	const {mode, first, positionals} = resolveMode(pre, flags, environment, warnings);
	scopeWarnings(pre, flags, mode, warnings);
	const transport = resolveTransport(flags);
	const oauth = resolveClientCredentials(flags);
	const signIn = resolveSignIn(flags, environment);
	const headers = resolveHeaders(pre, flags);
	const {env, namedServers} = resolveChildren(pre);
	const logLevel = resolveLogLevel(flags);
	const {host, port, apiKey} = resolveListen(flags, environment);
	const limits = resolveLimits(flags);
	const exposeHeaders = asStrings(flags.exposeHeader);
	const options: CliOptions = {
		mode,
		url: mode === 'client' ? first : undefined,
		headers,
		transport,
		oauth,
		signIn,
		verifySsl: pre.verifySsl ?? true,
		command: mode === 'server' ? first : undefined,
		args: mode === 'server' ? positionals.slice(1) : [],
		env,
		cwd: given(flags, 'cwd'),
		passEnvironment: flags.passEnvironment === true,
		namedServers,
		namedServerConfig: given(flags, 'namedServerConfig'),
		host,
		port,
		stateless: flags.stateless === true,
		allowOrigins: asStrings(flags.allowOrigin),
		allowHeaders: asStrings(flags.allowHeaders),
		allowHosts: asStrings(flags.allowHost),
		exposeHeaders: exposeHeaders.length > 0 ? exposeHeaders : [defaultOf('exposeHeader')],
		isolateSessions: flags.isolateSessions === true,
		apiKey,
		allowUnauthenticated: flags.allowUnauthenticated === true,
		...limits,
		logLevel,
		logMessages: pre.logMessages,
		warnings,
	};
	// The host was asked for (the default is loopback): allowed, as the Python tool's `--sse-host 0.0.0.0` Docker line expects, but loudly.
	if (mode === 'server' && !options.apiKey && !options.allowUnauthenticated && !isLoopbackHost(host)) {
		warnings.push(`Listening on \`${host}\` WITHOUT AUTHENTICATION: anyone who can reach this port can run the server's tools. `
			+ 'Set --api-key (or MCP_PROXY_API_KEY) to require a key; pass --allow-unauthenticated if something in front of the proxy authenticates (that also silences this warning).');
	}

	if (options.stateless && options.isolateSessions) {
		warnings.push('`--isolate-sessions` has no effect with `--stateless`: every request is its own session.');
	}

	return options;
}
