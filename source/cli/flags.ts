/*
The flag table: one row per flag of the command line, with how it takes its value, the mode it applies to, its short form, its metavar and its default. The lists meow parses, the pre-pass's special flags, the warnings for flags of the other mode, the setting names messages quote and the help text's flag column are all derived from it.

A new flag (say an era switch, `--protocol auto|2025|2026`) is a row here, a field of `CliOptions`, a line of its resolver in `resolve.ts`, and a row of `help-text.ts`.
*/

/**
How a flag takes its value:
- `string`: one value; given again, the last one wins (as with argparse).
- `list`: one value each time it is given (repeatable).
- `boolean`: no value; `--no-NAME` turns it off.
- `pair`: two values (`-H KEY VALUE`), taken out by the pre-pass.
- `optional`: an optional value (`--verify-ssl [VALUE]`), taken out by the pre-pass.
- `action`: no value, no option: `--help`, `--version`.
*/
export type FlagKind = 'string' | 'list' | 'boolean' | 'pair' | 'optional' | 'action';

export type FlagScope = 'client' | 'server' | 'both';

export type FlagSpec = {
	readonly kind: FlagKind;
	readonly scope: FlagScope;
	/**
	The one-letter form, without its dash.
	*/
	readonly shortFlag?: string;
	/**
	What the value is called in the help (`DURATION`, `KEY VALUE`).
	*/
	readonly metavar?: string;
	/**
	The value when the flag is not given, as a user would write it: read by the same parser as a given value, and quoted by the help.
	*/
	readonly default?: string;
	/**
	A `pair` flag: an example of its two values, for the usage error.
	*/
	readonly example?: string;
};

/**
Every flag, by its camel-case name (`maxBodyBytes` is `--max-body-bytes`), in the order meow and the scope warnings see them.
*/
export const flags = {
	// Client mode.
	headers: {
		kind: 'pair', scope: 'client', shortFlag: 'H', metavar: 'KEY VALUE', example: 'Authorization \'Bearer TOKEN\'',
	},
	header: {kind: 'list', scope: 'client', metavar: '"KEY: VALUE"'},
	transport: {
		kind: 'string', scope: 'client', metavar: 'auto|streamablehttp|sse', default: 'auto',
	},
	clientId: {kind: 'string', scope: 'client', metavar: 'ID'},
	clientSecret: {kind: 'string', scope: 'client', metavar: 'SECRET'},
	clientPrivateKey: {kind: 'string', scope: 'client', metavar: 'FILE'},
	clientKeyAlgorithm: {kind: 'string', scope: 'client', metavar: 'ALG'},
	tokenAudience: {kind: 'string', scope: 'client', metavar: 'URL'},
	tokenUrl: {kind: 'string', scope: 'client', metavar: 'URL'},
	scope: {kind: 'string', scope: 'client', metavar: 'SCOPE'},
	authDir: {kind: 'string', scope: 'client', metavar: 'DIR'},
	callbackPort: {kind: 'string', scope: 'client', metavar: 'N'},
	browser: {kind: 'boolean', scope: 'client'},
	browserCommand: {kind: 'string', scope: 'client', metavar: 'COMMAND'},
	clientMetadataUrl: {kind: 'string', scope: 'client', metavar: 'URL'},
	signInTimeout: {
		kind: 'string', scope: 'client', metavar: 'DURATION', default: '5m',
	},
	resetAuth: {kind: 'boolean', scope: 'client'},
	deviceCode: {kind: 'boolean', scope: 'client'},
	signIn: {kind: 'boolean', scope: 'client'},
	verifySsl: {
		kind: 'optional', scope: 'client', metavar: '[true|false|CA]', default: 'true',
	},
	reconnectDelay: {
		kind: 'string', scope: 'client', metavar: 'DURATION', default: '500ms',
	},
	reconnectMaxDelay: {
		kind: 'string', scope: 'client', metavar: 'DURATION', default: '30s',
	},
	maxQueuedMessages: {
		kind: 'string', scope: 'client', metavar: 'N', default: '1000',
	},
	// Server mode.
	env: {
		kind: 'pair', scope: 'server', shortFlag: 'e', metavar: 'KEY VALUE', example: 'Authorization \'Bearer TOKEN\'',
	},
	cwd: {kind: 'string', scope: 'server', metavar: 'DIR'},
	passEnvironment: {kind: 'boolean', scope: 'server'},
	namedServer: {
		kind: 'pair', scope: 'server', metavar: 'NAME COMMAND', example: 'fetch \'uvx mcp-server-fetch\'',
	},
	namedServerConfig: {kind: 'string', scope: 'server', metavar: 'FILE'},
	host: {
		kind: 'string', scope: 'server', metavar: 'HOST', default: '127.0.0.1',
	},
	port: {
		kind: 'string', scope: 'server', metavar: 'PORT', default: '0',
	},
	sseHost: {kind: 'string', scope: 'server', metavar: 'HOST'},
	ssePort: {kind: 'string', scope: 'server', metavar: 'PORT'},
	stateless: {kind: 'boolean', scope: 'server'},
	allowOrigin: {kind: 'list', scope: 'server', metavar: 'ORIGIN …'},
	allowHeaders: {kind: 'list', scope: 'server', metavar: 'NAME'},
	allowHost: {kind: 'list', scope: 'server', metavar: 'HOST'},
	exposeHeader: {
		kind: 'list', scope: 'server', metavar: 'NAME', default: 'Mcp-Session-Id',
	},
	isolateSessions: {kind: 'boolean', scope: 'server'},
	apiKey: {kind: 'string', scope: 'server', metavar: 'KEY'},
	allowUnauthenticated: {kind: 'boolean', scope: 'server'},
	sessionTimeout: {
		kind: 'string', scope: 'server', metavar: 'DURATION', default: '30m',
	},
	handshakeTimeout: {
		kind: 'string', scope: 'server', metavar: 'DURATION', default: '30s',
	},
	maxBodyBytes: {
		kind: 'string', scope: 'server', metavar: 'SIZE', default: '16MiB',
	},
	maxSessions: {
		kind: 'string', scope: 'server', metavar: 'N', default: '10000',
	},
	maxQueuedBytes: {
		kind: 'string', scope: 'server', metavar: 'SIZE', default: '256MiB',
	},
	maxSessionsPerClient: {
		kind: 'string', scope: 'server', metavar: 'N', default: '1000',
	},
	restartDelay: {
		kind: 'string', scope: 'server', metavar: 'DURATION', default: '1s',
	},
	restartMaxDelay: {
		kind: 'string', scope: 'server', metavar: 'DURATION', default: '30s',
	},
	startupTimeout: {
		kind: 'string', scope: 'server', metavar: 'DURATION', default: '60s',
	},
	readTimeout: {
		kind: 'string', scope: 'server', metavar: 'DURATION', default: '2m',
	},
	// Both modes.
	logLevel: {
		kind: 'string', scope: 'both', metavar: 'LEVEL', default: 'INFO',
	},
	debug: {kind: 'boolean', scope: 'both'},
	logMessages: {kind: 'optional', scope: 'both', metavar: '[FILE]'},
	maxMessageBytes: {
		kind: 'string', scope: 'both', metavar: 'SIZE', default: '128MiB',
	},
	requestTimeout: {
		kind: 'string', scope: 'both', metavar: 'DURATION', default: '0',
	},
	version: {kind: 'action', scope: 'both'},
	help: {kind: 'action', scope: 'both', shortFlag: 'h'},
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof flags;

type FlagsOfKind<Kind extends FlagKind> = {[Name in FlagName]: typeof flags[Name]['kind'] extends Kind ? Name : never}[FlagName];

/**
The flags meow parses: the ones with no value, one value, or one value each time.
*/
export type MeowFlagName = FlagsOfKind<'string' | 'list' | 'boolean'>;

/**
The flags whose default a resolver reads from the table.
*/
export type FlagWithDefault = {[Name in FlagName]: typeof flags[Name] extends {default: string} ? Name : never}[FlagName];

export type PairFlagName = FlagsOfKind<'pair'>;

export type OptionalFlagName = FlagsOfKind<'optional'>;

export type ActionFlagName = FlagsOfKind<'action'>;

/**
What meow returns for the flags it parses.
*/
export type ParsedFlags = Partial<Record<MeowFlagName, string | boolean | string[]>>;

/**
A flag's name on the command line, without its dashes: `maxBodyBytes` is `max-body-bytes`.
*/
export const kebab = (name: string) => name.replaceAll(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);

const isMeowFlag = (name: FlagName): name is MeowFlagName => ['string', 'list', 'boolean'].includes(flags[name].kind);

/**
The flags meow parses, in meow's own terms.
*/
export const meowFlags = Object.fromEntries((Object.keys(flags) as FlagName[]).filter(name => isMeowFlag(name)).map(name => [name, {
	type: flags[name].kind === 'boolean' ? 'boolean' : 'string',
	...(flags[name].kind === 'list' ? {isMultiple: true} : {}),
}])) as Record<MeowFlagName, {type: 'string' | 'boolean'; isMultiple?: true}>;

/**
The meow flags by their name on the command line: `max-body-bytes` → `maxBodyBytes`.
*/
export const meowFlagNames = new Map<string, MeowFlagName>((Object.keys(meowFlags) as MeowFlagName[]).map(name => [kebab(name), name]));

/**
The flags of one kind by every spelling: `-H` and `--headers` → `headers`.
*/
function spellingsOf<Name extends FlagName>(kind: FlagKind): Map<string, Name> {
	return new Map((Object.keys(flags) as FlagName[]).flatMap(name => {
		const spec: FlagSpec = flags[name];
		if (spec.kind !== kind) {
			return [];
		}

		const spellings = spec.shortFlag === undefined ? [`--${kebab(name)}`] : [`-${spec.shortFlag}`, `--${kebab(name)}`];
		return spellings.map(spelling => [spelling, name as Name] as const);
	}));
}

/**
The two-value flags by every spelling: `-H` and `--headers` → `headers`.
*/
export const pairFlags = spellingsOf<PairFlagName>('pair');

/**
`--help`, `-h` and `--version`.
*/
export const actionFlags = spellingsOf<ActionFlagName>('action');

/**
The default of a flag, as the user would write it.
*/
export const defaultOf = (name: FlagWithDefault): string => flags[name].default;
