import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {
	authFromFlags, headersFromFlags, networkFromEnvironment, tlsFromFlags, warnAboutPlainHttp,
} from '../../source/cli/auth-from-flags.js';
import {parseCommandLine} from '../../source/cli/command-line.js';
import type {CliOptions} from '../../source/cli/options.js';
import {UsageError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';
import {fixture} from '../helpers/fixtures.js';

/*
The credential policy of client mode's flags, without a network: which provider the flags and API_ACCESS_TOKEN give, and the warning for each credential set aside.
*/

const authDirectory = path.join(os.tmpdir(), 'mcp-proxy-auth-from-flags-test');

function optionsOf(argv: string[], environment: Record<string, string> = {}): CliOptions {
	const commandLine = parseCommandLine(['--auth-dir', authDirectory, ...argv], environment);
	if (commandLine.action !== 'run') {
		throw new Error('expected options');
	}

	return commandLine.options;
}

function recording() {
	const lines: string[] = [];
	return {
		lines,
		logger: createLogger({
			write(line) {
				lines.push(line.trim());
			},
		}),
	};
}

const noFetch = async () => {
	throw new Error('no network in this test');
};

function auth(argv: string[], environment: Record<string, string> = {}) {
	const options = optionsOf(argv, environment);
	const {lines, logger} = recording();
	const provider = authFromFlags(options, {
		headers: headersFromFlags(options), environment, fetch: noFetch, logger,
	});
	return {provider, warnings: lines.filter(line => line.startsWith('[W')).map(line => line.replace(/^\[W [^\]]+] /, ''))};
}

test('API_ACCESS_TOKEN alone is sent as a bearer token', async t => {
	const {provider, warnings} = auth(['https://x.test/mcp'], {API_ACCESS_TOKEN: 'token-from-env'});
	t.deepEqual(await provider?.headers(), {authorization: 'Bearer token-from-env'});
	t.deepEqual(warnings, []);
});

test('API_ACCESS_TOKEN wins over an Authorization header given with --headers, with a warning (the Python tool\'s precedence); the header alone needs no provider', async t => {
	const {provider, warnings} = auth(['https://x.test/mcp', '-H', 'Authorization', 'Bearer from-flag'], {API_ACCESS_TOKEN: 'token-from-env'});
	t.deepEqual(await provider?.headers(), {authorization: 'Bearer token-from-env'});
	t.deepEqual(warnings, ['The Authorization header given with --headers is replaced by API_ACCESS_TOKEN (as in the Python mcp-proxy): unset the variable to send the header']);
	t.is(auth(['https://x.test/mcp', '-H', 'Authorization', 'Bearer from-flag']).provider, undefined);
});

test('OAuth client credentials win over both, each set aside with a warning', t => {
	const {provider, warnings} = auth(['https://x.test/mcp', '-H', 'Authorization', 'Bearer from-flag', '--client-id', 'proxy', '--client-secret', 'client-secret-value', '--token-url', 'https://auth.x.test/token'], {API_ACCESS_TOKEN: 'token-from-env'});
	t.truthy(provider);
	t.deepEqual(warnings, [
		'API_ACCESS_TOKEN is ignored: OAuth client credentials are given',
		'The Authorization header given with --headers is replaced by the OAuth access token',
	]);
});

test('no credentials at all: sign in when the server asks (a provider that answers 401s)', t => {
	const {provider, warnings} = auth(['https://x.test/mcp']);
	t.is(typeof provider?.onUnauthorized, 'function');
	t.deepEqual(warnings, []);
});

test('a private key file that holds no key is a usage error naming the flag', t => {
	const notAKey = fileURLToPath(import.meta.url);
	t.throws(() => auth(['https://x.test/mcp', '--client-id', 'proxy', '--client-private-key', notAKey, '--token-url', 'https://auth.x.test/token']), {
		instanceOf: UsageError,
		message: (message: string) => message.startsWith(`\`--client-private-key\` ${notAKey}: `),
	});
});

test('--headers: names lower-cased, the last of a name wins', t => {
	t.deepEqual(headersFromFlags({headers: [['X-Api-Key', 'a'], ['x-api-key', 'b'], ['Accept-Language', 'fr']]}), {'x-api-key': 'b', 'accept-language': 'fr'});
});

test('TLS: verified by default, off with a warning, or with a CA bundle that must be readable', t => {
	const {lines, logger} = recording();
	t.deepEqual(tlsFromFlags(true, logger), {verifyTls: true});
	t.deepEqual(tlsFromFlags(false, logger), {verifyTls: false});
	t.is(lines.length, 1);
	t.regex(lines[0]!, /TLS certificate verification is off \(--no-verify-ssl\)/);
	t.throws(() => tlsFromFlags('/nonexistent/ca.pem', logger), {instanceOf: UsageError, message: /^Cannot read the CA bundle given to --verify-ssl: /});
});

test('credentials over plain HTTP to a remote host are warned about; to a loopback host they are not', t => {
	for (const [url, warned] of [['http://x.test/mcp', true], ['http://127.0.0.1:3000/mcp', false], ['https://x.test/mcp', false]] as const) {
		const options = optionsOf([url, '-H', 'Authorization', 'Bearer from-flag']);
		const {lines, logger} = recording();
		warnAboutPlainHttp(options, headersFromFlags(options), {}, logger);
		t.is(lines.some(line => line.includes('Credentials go to x.test over unencrypted HTTP')), warned, `${url}`);
	}
});

test('the network from the environment, as httpx reads it: HTTPS_PROXY for https, HTTP_PROXY for http, ALL_PROXY for both, NO_PROXY, either case; SSL_CERT_FILE read as a CA bundle', t => {
	t.deepEqual(networkFromEnvironment({}), {});
	t.deepEqual(networkFromEnvironment({HTTPS_PROXY: 'http://p:3128', no_proxy: 'internal'}), {proxy: {https: 'http://p:3128', noProxy: 'internal'}});
	t.deepEqual(networkFromEnvironment({http_proxy: 'http://p:1', ALL_PROXY: 'http://all:2'}), {proxy: {http: 'http://p:1', https: 'http://all:2'}});
	t.deepEqual(networkFromEnvironment({HTTP_PROXY: ''}), {}, 'an empty variable is unset');
	t.true(networkFromEnvironment({SSL_CERT_FILE: fixture('tls/cert.pem')}).ca instanceof Uint8Array);
	t.throws(() => networkFromEnvironment({SSL_CERT_FILE: '/no/such/ca.pem'}), {instanceOf: UsageError, message: /^Cannot read the CA bundle SSL_CERT_FILE names: /});
});
