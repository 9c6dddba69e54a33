import test from 'ava';
import {UsageError} from '../../source/errors.js';
import {parse} from '../helpers/cli.js';
import {echoServer} from '../helpers/fixtures.js';

/*
Resolution into options, through the whole command line: the mode, defaults, units, OAuth and sign-in, the warnings for flags of the other mode, and every usage error's text.
*/

test('a URL selects client mode with auto-detection', t => {
	const options = parse(['https://example.com/mcp']);
	t.like(options, {
		mode: 'client', url: 'https://example.com/mcp', transport: 'auto', verifySsl: true, command: undefined,
	});
});

test('--header takes "Key: Value"', t => {
	t.deepEqual(parse(['--header', 'X-A: 1', '--header=X-B:2', 'https://x.test/mcp']).headers, [['X-A', '1'], ['X-B', '2']]);
});

test('named servers: a command string split like a shell, no default server needed', t => {
	const options = parse(['--named-server', 'fetch', 'uvx mcp-server-fetch --user-agent "My Agent"', '--named-server', 'echo', `node ${echoServer}`, '--port', '0']);
	t.like(options, {mode: 'server', command: undefined});
	t.deepEqual(options.namedServers, [
		{name: 'fetch', command: 'uvx', args: ['mcp-server-fetch', '--user-agent', 'My Agent']},
		{name: 'echo', command: 'node', args: [echoServer]},
	]);
});

test('deprecated --sse-host and --sse-port work', t => {
	t.like(parse(['--sse-port', '9000', '--sse-host', '127.0.0.2', 'cmd']), {port: 9000, host: '127.0.0.2'});
	t.like(parse(['--sse-port', '9000', '--port', '9001', 'cmd']), {port: 9001});
});

test('SSE_URL is the URL when none is given', t => {
	const options = parse([], {SSE_URL: 'http://localhost:9/sse'});
	t.like(options, {mode: 'client', url: 'http://localhost:9/sse'});
	t.true(options.warnings.some(warning => warning.includes('deprecated')));
});

test('--debug and --log-level', t => {
	t.is(parse(['--debug', 'cmd']).logLevel, 'debug');
	t.is(parse(['--log-level', 'WARNING', 'cmd']).logLevel, 'warning');
	t.is(parse(['--log-level', 'error', 'cmd']).logLevel, 'error');
});

test('durations and sizes take units', t => {
	t.like(parse(['--request-timeout', '1500ms', '--max-message-bytes', '16MiB', '--session-timeout', '2m', 'cmd']), {
		requestTimeout: 1500,
		maxMessageBytes: 16 * 1024 * 1024,
		sessionTimeout: 120_000,
	});
	t.is(parse(['--request-timeout', '30', 'cmd']).requestTimeout, 30_000);
	t.like(parse(['--read-timeout', '10s', '--startup-timeout', '500ms', 'cmd']), {readTimeout: 10_000, startupTimeout: 500});
	t.like(parse(['cmd']), {readTimeout: 120_000, startupTimeout: 60_000});
	t.like(parse(['--handshake-timeout', '5s', '--max-sessions-per-client', '20', 'cmd']), {handshakeTimeout: 5000, maxSessionsPerClient: 20});
	t.like(parse(['cmd']), {handshakeTimeout: 30_000, maxSessionsPerClient: 1000});
});

test('OAuth client credentials together, with a scope', t => {
	t.deepEqual(parse(['--client-id', 'id', '--client-secret', 'secret', '--token-url', 'https://auth.test/token', '--scope', 'mcp', 'https://x.test/mcp']).oauth, {
		clientId: 'id',
		clientSecret: 'secret',
		privateKeyFile: undefined,
		keyAlgorithm: undefined,
		audience: undefined,
		tokenUrl: 'https://auth.test/token',
		scope: 'mcp',
	});
});

test('OAuth client credentials with a private key (private_key_jwt)', t => {
	t.deepEqual(parse(['--client-id', 'id', '--client-private-key', echoServer, '--client-key-algorithm', 'ES256', '--token-audience', 'https://auth.test', '--token-url', 'https://auth.test/token', 'https://x.test/mcp']).oauth, {
		clientId: 'id',
		clientSecret: undefined,
		privateKeyFile: echoServer,
		keyAlgorithm: 'ES256',
		audience: 'https://auth.test',
		tokenUrl: 'https://auth.test/token',
		scope: undefined,
	});
});

test('browser sign-in: defaults, a pre-registered client, and the headless switches', t => {
	t.deepEqual(parse(['https://x.test/mcp']).signIn, {
		authDir: undefined, callbackPort: undefined, browserCommand: undefined, clientId: undefined, clientSecret: undefined, clientMetadataUrl: undefined, scope: undefined, timeout: 300_000, reset: false, deviceCode: false, only: false,
	});
	const options = parse([
		'--client-id',
		'pre',
		'--client-secret',
		'shh',
		'--scope',
		'read write',
		'--auth-dir',
		'/tmp/auth',
		'--callback-port',
		'8765',
		'--browser-command',
		'firefox --new-window',
		'--sign-in-timeout',
		'2m',
		'--reset-auth',
		'--client-metadata-url',
		'https://app.example/client.json',
		'https://x.test/mcp',
	]);
	t.is(options.oauth, undefined);
	t.deepEqual(options.signIn, {
		authDir: '/tmp/auth', callbackPort: 8765, browserCommand: ['firefox', '--new-window'], clientId: 'pre', clientSecret: 'shh', clientMetadataUrl: 'https://app.example/client.json', scope: 'read write', timeout: 120_000, reset: true, deviceCode: false, only: false,
	});
	t.false(parse(['--no-browser', '--browser-command', 'x', 'https://x.test/mcp']).signIn.browserCommand);
	t.like(parse(['https://x.test/mcp'], {MCP_PROXY_AUTH_DIR: '/srv/auth', MCP_PROXY_BROWSER: 'w3m'}).signIn, {authDir: '/srv/auth', browserCommand: ['w3m']});
	// With --token-url the same flags mean client credentials, not a pre-registered client.
	t.like(parse(['--client-id', 'id', '--client-secret', 's', '--token-url', 'https://a.test/t', 'https://x.test/mcp']).signIn, {clientId: undefined, clientSecret: undefined});
});

test('flags of the other mode are ignored with a warning', t => {
	const options = parse(['--port', '8080', 'https://x.test/mcp']);
	t.true(options.warnings.some(warning => warning.includes('`--port` applies to server mode only')));
});

const usageErrors: Array<[string[], RegExp]> = [
	[['--headers', 'Authorization'], /`--headers` expects two values, KEY VALUE; got only `Authorization`/],
	[['-e', 'KEY'], /`-e` expects two values/],
	[['--named-server', 'x'], /`--named-server` expects two values, NAME COMMAND/],
	[['--bogus', 'https://x.test'], /Unknown option `--bogus`/],
	[['--port', 'abc', 'cmd'], /`--port` expects an integer between 0 and 65535, got `abc`/],
	[['--port', '70000', 'cmd'], /`--port` expects an integer/],
	[['--port'], /`--port` expects a value/],
	[['--client-id', 'a', '--token-url', 'https://a.test/t', 'https://x.test'], /missing --client-secret \(or --client-private-key\)\.$/],
	[['--client-private-key', echoServer, 'https://x.test'], /missing --client-id and --token-url/],
	[['--client-secret', 's', 'https://x.test'], /`--client-secret` needs --client-id/],
	[['--client-metadata-url', 'http://x.test/client.json', 'https://x.test'], /`--client-metadata-url` expects an https:\/\/ URL with a path/],
	[['--client-metadata-url', 'https://x.test', 'https://x.test'], /`--client-metadata-url` expects an https:\/\/ URL with a path/],
	[['--callback-port', '99999', 'https://x.test'], /`--callback-port` expects an integer/],
	[['--sign-in-timeout', 'later', 'https://x.test'], /`--sign-in-timeout` expects a duration/],
	[['--browser-command', '', 'https://x.test'], /`--browser-command` is empty/],
	[['--client-id', 'a', '--client-secret', 's', '--client-private-key', 'k.pem', '--token-url', 'https://a.test/t', 'https://x.test'], /either --client-secret or --client-private-key/],
	[['--client-id', 'a', '--client-private-key', '/no/such.pem', '--token-url', 'https://a.test/t', 'https://x.test'], /no such file/],
	[['--client-id', 'a', '--client-secret', 's', '--token-url', 'https://a.test/t', '--token-audience', 'https://a.test', 'https://x.test'], /need --client-private-key/],
	[['--token-audience', 'https://a.test', 'https://x.test'], /`--client-key-algorithm` and `--token-audience` need --client-id, --client-private-key and --token-url/],
	[['--transport', 'websocket', 'https://x.test'], /`--transport` expects auto, streamablehttp or sse/],
	[['--transport', 'constructor', 'https://x.test'], /`--transport` expects auto, streamablehttp or sse, got `constructor`/],
	[['-H', 'X-Evil', 'a\r\nInjected: 1', 'https://x.test'], /contains a line break/],
	[['-H', 'Bad Name', 'v', 'https://x.test'], /Invalid header name/],
	[['--header', 'novalue', 'https://x.test'], /expects "Name: value"/],
	[['--log-level', 'loud', 'cmd'], /`--log-level` expects DEBUG/],
	[['--request-timeout', 'soon', 'cmd'], /`--request-timeout` expects a duration/],
	[['--max-body-bytes', 'lots', 'cmd'], /`--max-body-bytes` expects a size/],
	[['--read-timeout', '0', 'cmd'], /`--read-timeout` must be longer than 0/],
	[['--startup-timeout', '0s', 'cmd'], /`--startup-timeout` must be longer than 0/],
	[['--session-timeout', '0', 'cmd'], /`--session-timeout` must be longer than 0/],
	[['--handshake-timeout', '0', 'cmd'], /`--handshake-timeout` must be longer than 0/],
	[['--max-sessions-per-client', '0', 'cmd'], /`--max-sessions-per-client`/],
	[['--verify-ssl', 'maybe', 'https://x.test'], /`--verify-ssl` expects true, false or the path of a CA bundle/],
	[['--named-server', 'bad/name', 'cmd'], /may contain only letters/],
	[['--named-server', 'a', 'echo "unterminated'], /Unterminated double quote/],
	[['https://x.test', 'extra'], /Client mode takes one URL/],
	[[], /Nothing to run/],
];

for (const [argv, message] of usageErrors) {
	test(`usage error: ${JSON.stringify(argv)}`, t => {
		const error = t.throws(() => parse(argv), {instanceOf: UsageError});
		t.regex(error.message, message);
	});
}

test('--host 0.0.0.0 (or the Python tool\'s --sse-host) without an API key is allowed, with a loud warning naming --api-key; with a key or --allow-unauthenticated, quietly', t => {
	for (const argv of [['--host', '0.0.0.0', 'cmd'], ['--sse-host', '0.0.0.0', '--sse-port', '8080', 'cmd']]) {
		const options = parse(argv);
		t.is(options.host, '0.0.0.0');
		t.true(options.warnings.some(warning => /^Listening on `0\.0\.0\.0` WITHOUT AUTHENTICATION.*--api-key/.test(warning)), `${JSON.stringify(options.warnings)}`);
	}

	for (const argv of [['--host', '0.0.0.0', '--api-key', 'k', 'cmd'], ['--host', '0.0.0.0', '--allow-unauthenticated', 'cmd'], ['--host', '127.0.0.1', 'cmd']]) {
		t.false(parse(argv).warnings.some(warning => warning.includes('WITHOUT AUTHENTICATION')), `${argv.join(' ')}`);
	}

	t.like(parse(['--host', '0.0.0.0', '--api-key', 'k', 'cmd']), {host: '0.0.0.0', apiKey: 'k'});
	t.like(parse(['--host', '0.0.0.0', 'cmd'], {MCP_PROXY_API_KEY: 'k2'}), {apiKey: 'k2'});
	t.like(parse(['--host', '0.0.0.0', '--allow-unauthenticated', 'cmd']), {allowUnauthenticated: true});
});
