import {
	defaultOf, flags, kebab, type FlagName, type FlagSpec,
} from './flags.js';

/*
The help text, as data: prose paragraphs and, per mode, a table of flag rows rendered into two columns. A row names its flag, and its left column (`-H, --headers KEY VALUE`) comes from the flag table, its defaults too; the readme's CLI block is this text verbatim (checked by test/cli/help-text.ts).
*/

/**
A row of the flag table in the help: the flag (its usage derived from the flag table unless `usage` spells it), and the description, one string per line.
*/
type Row = {
	readonly flag?: FlagName;
	readonly usage?: string;
	readonly text: readonly string[];
};

/**
A line of a section: a row, or a line of prose among the rows.
*/
type Line = Row | string;

type Section = {
	readonly title: string;
	readonly lines: readonly Line[];
};

const d = defaultOf;

const usageText = `Usage
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
`;

const clientOptions: Section = {
	title: 'Client options',
	lines: [
		{flag: 'headers', text: ['Add a request header (repeatable)']},
		{flag: 'header', text: ['Same, as one value (repeatable)']},
		{flag: 'transport', text: [`Remote transport (default: ${d('transport')} = Streamable HTTP,`, 'falling back to legacy SSE on 400/404/405)']},
		'Sign-in: when the server answers 401 and no other credentials are given, the',
		'proxy signs in with OAuth (browser, PKCE) and keeps the tokens.',
		{flag: 'authDir', text: ['Where tokens live (default: $XDG_CONFIG_HOME or', '~/.config, then rx-mcp-proxy/auth; env', 'MCP_PROXY_AUTH_DIR)']},
		{flag: 'resetAuth', text: ['Forget this server\'s tokens and registration first']},
		{flag: 'signIn', text: ['Sign in (if the server asks) and exit']},
		{flag: 'browser', usage: '--no-browser', text: ['Only print the sign-in URL (headless machines)']},
		{flag: 'deviceCode', text: ['Sign in with a code on another device (RFC 8628)']},
		{flag: 'browserCommand', text: ['Open the sign-in URL with COMMAND URL (env', 'MCP_PROXY_BROWSER; default: xdg-open/open)']},
		{flag: 'callbackPort', text: ['Port of the loopback redirect URI (default: one', 'derived from the URL, stable across runs)']},
		{flag: 'signInTimeout', text: [`How long to wait for the sign-in (default: ${d('signInTimeout')})`]},
		{flag: 'clientId', text: ['A pre-registered client id (default: the proxy', 'registers itself)']},
		{flag: 'clientSecret', text: ['… its secret (confidential clients)']},
		{flag: 'clientMetadataUrl', text: ['https URL of this client\'s metadata document,', 'used as client id where the server supports it']},
		{flag: 'scope', text: ['Scope to ask for when the server names none']},
		'OAuth2 client credentials (machine to machine, no browser):',
		{usage: '--client-id ID --token-url URL with --client-secret SECRET (HTTP Basic, or', text: ['form post when the token endpoint asks for it)']},
		{flag: 'clientPrivateKey', text: ['… or a PEM private key: private_key_jwt']},
		{flag: 'clientKeyAlgorithm', text: ['… its JWS algorithm (default: from the key)']},
		{flag: 'tokenAudience', text: ['… the assertion\'s audience (default: the', 'authorization server\'s issuer)']},
		{flag: 'scope', text: ['… scope to request (optional)']},
		{flag: 'verifySsl', text: [`Verify TLS certificates (default: ${d('verifySsl')}), or trust`, 'the CA bundle at the given path']},
		{flag: 'verifySsl', usage: '--no-verify-ssl', text: ['Do not verify TLS certificates']},
		{flag: 'reconnectDelay', text: [`First reconnection delay (default: ${d('reconnectDelay')})`]},
		{flag: 'reconnectMaxDelay', text: [`Longest reconnection delay (default: ${d('reconnectMaxDelay')})`]},
		{flag: 'maxQueuedMessages', text: [`Messages held while reconnecting (default: ${d('maxQueuedMessages')})`]},
		'Environment: API_ACCESS_TOKEN sends Authorization: Bearer <token>;',
		'HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY pick a forward proxy;',
		'SSL_CERT_FILE adds trusted CAs; SSE_URL is the URL when none is given',
		'(deprecated).',
	],
};

const serverOptions: Section = {
	title: 'Server options',
	lines: [
		{flag: 'env', text: ['Environment variable for the command (repeatable)']},
		{flag: 'cwd', text: ['Working directory of the command']},
		{flag: 'passEnvironment', text: ['Give every server our whole environment', '(--no-pass-environment: only HOME, LOGNAME, PATH,', 'SHELL, TERM, USER; the default)']},
		{flag: 'namedServer', usage: '--named-server NAME \'COMMAND\'', text: ['Serve another command at /servers/NAME/ (repeatable)']},
		{flag: 'namedServerConfig', text: ['Named servers from a JSON file in the Claude Desktop', 'format ({"mcpServers": {…}}); entries may be URLs']},
		{flag: 'host', text: [`Address to listen on (default: ${d('host')})`]},
		{flag: 'port', text: [`Port to listen on (default: ${d('port')} = any free port)`]},
		{usage: '--sse-host, --sse-port', text: ['Deprecated aliases of --host and --port']},
		{flag: 'stateless', text: ['Streamable HTTP without sessions']},
		{flag: 'isolateSessions', text: ['One server process per client session, instead of', 'one shared by all sessions']},
		{flag: 'allowOrigin', text: ['Allow cross-origin requests from ORIGIN; * for any', '(repeatable; default: none)']},
		{flag: 'allowHeaders', text: ['CORS: a request header browsers may send; * for', 'any (repeatable; MCP\'s own are always allowed)']},
		{flag: 'allowHost', text: ['Accept requests for host name HOST: the name a', 'reverse proxy forwards; * for any (repeatable)']},
		{flag: 'exposeHeader', text: ['CORS exposed header (repeatable;', `default: ${d('exposeHeader')})`]},
		{flag: 'apiKey', text: ['Require Authorization: Bearer KEY or X-API-Key: KEY', '(or set MCP_PROXY_API_KEY)']},
		{flag: 'allowUnauthenticated', text: ['No warning for a non-loopback address without', '--api-key (something in front authenticates)']},
		{flag: 'sessionTimeout', text: [`Close sessions idle this long (default: ${d('sessionTimeout')})`]},
		{flag: 'handshakeTimeout', text: ['Close a session whose client sends nothing after', `initialize for this long (default: ${d('handshakeTimeout')})`]},
		{flag: 'maxBodyBytes', text: [`Largest request body accepted (default: ${d('maxBodyBytes')})`]},
		{flag: 'maxSessions', text: [`Most sessions open at once (default: ${d('maxSessions')})`]},
		{flag: 'maxQueuedBytes', text: ['Messages held for slow clients, all sessions', 'together; past it the oldest notifications of', `the slowest are dropped (default: ${d('maxQueuedBytes')})`]},
		{
			flag: 'maxSessionsPerClient',
			text: ['Most sessions open at once from one client', `address (default: ${d('maxSessionsPerClient')}); clients behind one`, 'reverse proxy or NAT share its address'],
		},
		{flag: 'readTimeout', text: ['Time a client has to send a whole request; its', `headers must come within 30s at most (default: ${d('readTimeout')})`]},
		{flag: 'restartDelay', text: ['First delay before restarting a server that', `exited (default: ${d('restartDelay')})`]},
		{flag: 'restartMaxDelay', text: [`Longest restart delay (default: ${d('restartMaxDelay')})`]},
		{flag: 'startupTimeout', text: ['Restart a shared server that does not answer', `initialize within this time (default: ${d('startupTimeout')})`]},
	],
};

const bothOptions: Section = {
	title: 'Options for both modes',
	lines: [
		{flag: 'logLevel', text: ['DEBUG, INFO, WARNING, ERROR or CRITICAL', `(default: ${d('logLevel')}); logs go to standard error`]},
		{flag: 'debug', text: ['Same as --log-level DEBUG']},
		{flag: 'logMessages', text: ['Log every JSON-RPC message as a JSON line', '{time, direction, session, message} to FILE', '(appended), or to standard error without one']},
		{flag: 'maxMessageBytes', text: [`Largest message accepted (default: ${d('maxMessageBytes')})`]},
		{flag: 'requestTimeout', text: ['Answer a request with an error and cancel it when', `the server takes longer (default: ${d('requestTimeout')} = never)`]},
		{flag: 'version', text: ['Print the version']},
		{flag: 'help', usage: '--help', text: ['Print this help']},
	],
};

const footer = String.raw`
DURATION is 1500ms, 30s, 5m, 1h, or a number of seconds. SIZE is a number of
bytes, or with a unit: 512k, 16MiB, 1g.

In a container, localhost is the container itself: serve with --host 0.0.0.0
(and --api-key), and reach a server on the host machine at host.docker.internal
(on Linux, run the container with --add-host=host.docker.internal:host-gateway).

Examples
  $ mcp-proxy https://example.com/mcp
  $ API_ACCESS_TOKEN=secret mcp-proxy --transport sse https://example.com/sse
  $ mcp-proxy -H Authorization 'Bearer secret' https://example.com/mcp
  $ mcp-proxy --port 8080 -- npx -y @modelcontextprotocol/server-everything
  $ mcp-proxy --port 8080 --named-server fetch 'uvx mcp-server-fetch' \
      node server.js
  $ mcp-proxy --host 0.0.0.0 --port 8080 --api-key "$KEY" \
      --named-server-config servers.json
`;

/**
The width of the left column, after its indent of two spaces; a longer usage gets a line of its own.
*/
const usageWidth = 31;
const indent = '  ';
const descriptionIndent = ' '.repeat(indent.length + usageWidth);

/**
How a flag is written in the help's left column: `-H, --headers KEY VALUE`.
*/
export function flagUsage(name: FlagName): string {
	const spec: FlagSpec = flags[name];
	const short = spec.shortFlag === undefined ? '' : `-${spec.shortFlag}, `;
	const metavar = spec.metavar === undefined ? '' : ` ${spec.metavar}`;
	return `${short}--${kebab(name)}${metavar}`;
}

/**
The help fits a terminal of this many columns.
*/
export const helpWidth = 80;

/**
`text` broken into lines of at most `width` characters, at spaces (a longer word keeps a line of its own).
*/
export function wrap(text: string, width: number): string[] {
	const lines: string[] = [];
	let line = '';
	for (const word of text.split(' ').filter(Boolean)) {
		if (line !== '' && line.length + 1 + word.length > width) {
			lines.push(line);
			line = word;
		} else {
			line = line === '' ? word : `${line} ${word}`;
		}
	}

	return line === '' ? lines : [...lines, line];
}

function renderRow(row: Row): string {
	const usage = row.usage ?? flagUsage(row.flag!);
	const [first, ...rest] = wrap(row.text.join(' '), helpWidth - descriptionIndent.length);
	const head = usage.length < usageWidth ? `${indent}${usage.padEnd(usageWidth)}${first}` : `${indent}${usage}\n${descriptionIndent}${first}`;
	return [head, ...rest.map(line => `${descriptionIndent}${line}`)].join('\n');
}

function renderSection({title, lines}: Section): string {
	return [title, ...lines.map(line => (typeof line === 'string' ? `${indent}${line}` : renderRow(line)))].join('\n');
}

/**
The flags the help describes, in its order (a flag may be described twice, `--scope` is).
*/
export const describedFlags: readonly FlagName[] = [clientOptions, serverOptions, bothOptions]
	.flatMap(({lines}) => lines.flatMap(line => (typeof line === 'string' || line.flag === undefined ? [] : [line.flag])));

/**
What `mcp-proxy --help` prints.
*/
export const helpText = [usageText, ...[clientOptions, serverOptions, bothOptions].map(section => `${renderSection(section)}\n`)].join('\n') + footer;
