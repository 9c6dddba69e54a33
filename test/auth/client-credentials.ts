import test, {type ExecutionContext} from 'ava';
import {startRemoteServer, type RemoteServerOptions} from '../../fixtures/remote-server.js';
import {clientCredentials, type ClientCredentialsOptions} from '../../source/auth/client-credentials.js';
import {withAuth} from '../../source/auth/auth-provider.js';
import {AuthError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';
import {createRedactor} from '../../source/redactor.js';
import {startGateway} from '../helpers/gateway.js';

const secret = 'fixture-secret-123';

async function setup(t: ExecutionContext, server: RemoteServerOptions = {}, client: Partial<ClientCredentialsOptions> = {}) {
	const remote = await startRemoteServer({
		clientId: 'proxy', clientSecret: secret, tokenExpiry: 3600, ...server,
	});
	t.teardown(async () => remote.close());
	const logged: string[] = [];
	const redactor = createRedactor();
	const provider = clientCredentials({
		tokenUrl: remote.urls.token,
		clientId: 'proxy',
		clientSecret: secret,
		redactor,
		logger: createLogger({
			redactor,
			level: 'debug',
			write(line) {
				logged.push(line);
			},
		}),
		...client,
	});
	return {
		remote, provider, logged, redactor,
	};
}

test('fetches a token with HTTP Basic client authentication and caches it', async t => {
	const {
		remote, provider, logged, redactor,
	} = await setup(t);
	const first = await provider.headers();
	const second = await provider.headers();
	t.regex(first['authorization']!, /^Bearer [\da-f]{32}$/);
	t.deepEqual(first, second);
	t.is(remote.stats.tokenRequests, 1);
	t.is(remote.stats.tokenRequestsBasic, 1);
	// The token and the secret never reach a log line.
	t.false(logged.join('').includes(first['authorization']!.slice(7)));
	t.is(redactor.redact(`x ${first['authorization']!} ${secret}`), 'x Bearer *** ***');
});

test('concurrent requests share one token request', async t => {
	const {remote, provider} = await setup(t);
	const all = await Promise.all([provider.headers(), provider.headers(), provider.headers()]);
	t.is(new Set(all.map(headers => headers['authorization'])).size, 1);
	t.is(remote.stats.tokenRequests, 1);
});

test('falls back to client_secret_post when the server refuses Basic, and remembers it', async t => {
	const {remote, provider} = await setup(t, {tokenClientAuth: 'post'});
	await provider.headers();
	t.is(remote.stats.tokenRequestsBasic, 1);
	t.is(remote.stats.tokenRequestsPost, 1);
	await provider.onUnauthorized!(new Response(null, {status: 401}), {});
	t.is(remote.stats.tokenRequestsBasic, 1);
	t.is(remote.stats.tokenRequestsPost, 2);
});

test('refreshes a token before it expires', async t => {
	let now = 1_000_000;
	const {remote, provider} = await setup(t, {tokenExpiry: 2}, {now: () => now});
	const first = await provider.headers();
	now += 1500;
	t.deepEqual(await provider.headers(), first);
	now += 400; // 1.9 s: within the last tenth of the lifetime.
	const second = await provider.headers();
	t.not(second['authorization'], first['authorization']);
	t.is(remote.stats.tokenRequests, 2);
});

test('a 401 fetches a new token once and the request is sent again (withAuth)', async t => {
	const {remote, provider} = await setup(t);
	const authorizedFetch = withAuth(provider, fetch);
	const initialize = JSON.stringify({
		jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
	});
	const post = async () => authorizedFetch(remote.urls.mcp, {method: 'POST', headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream'}, body: initialize});
	const first = await post();
	t.is(first.status, 200);
	await first.body?.cancel();
	await fetch(`${remote.urls.admin}/revoke-tokens`, {method: 'POST'});
	const response = await post();
	t.is(response.status, 200);
	await response.body?.cancel();
	t.is(remote.stats.unauthorized, 1);
	t.is(remote.stats.tokenRequests, 2);
});

test('wrong credentials are an AuthError that names the endpoint and the OAuth error, never the secret', async t => {
	const {provider} = await setup(t, {}, {clientSecret: 'wrong-secret-456'});
	const error = await t.throwsAsync(async () => provider.headers());
	t.true(error instanceof AuthError);
	t.regex(error.message, /token endpoint http:\/\/127\.0\.0\.1:\d+\/token refused the client credentials \(HTTP 401, invalid_client: Client authentication failed\)/);
	t.false(error.message.includes('wrong-secret-456'));
});

test('a token request never follows a redirect to another origin, whatever the status, with the secret in a header or in the body', async t => {
	const remote = await startRemoteServer({clientId: 'proxy', clientSecret: secret, tokenExpiry: 3600});
	t.teardown(async () => remote.close());
	const seen: string[] = [];
	const elsewhere = await startGateway(t, remote.urls.url, request => {
		seen.push(`${request.method!} ${request.url!} ${request.headers.authorization ?? ''}`);
		return false;
	});
	let status = 307;
	const home = await startGateway(t, remote.urls.url, (request, response) => {
		response.writeHead(status, {location: `${elsewhere.url}${request.url!}`}).end();
		return true;
	});
	const logged: string[] = [];
	const logger = createLogger({
		write(line) {
			logged.push(line);
		},
	});
	for (const code of [301, 302, 303, 307, 308]) {
		for (const clientAuthentication of ['basic', 'post'] as const) {
			status = code;
			// The default fetch: the proxy's own, with its redirect policy.
			const provider = clientCredentials({
				tokenUrl: `${home.url}/token`, clientId: 'proxy', clientSecret: secret, clientAuthentication, logger,
			});
			// eslint-disable-next-line no-await-in-loop
			const error = await t.throwsAsync(async () => provider.headers(), {instanceOf: AuthError});
			t.deepEqual(seen, [], 'the other origin got no request');
			t.regex(error.message, new RegExp(String.raw`redirected POST /token to another origin, ${elsewhere.url.replaceAll('.', String.raw`\.`)} \(HTTP ${code}\)`));
		}
	}

	t.is(remote.stats.tokenRequests, 0);
	t.false(logged.join('').includes(secret));
});

test('options are validated', t => {
	t.throws(() => clientCredentials({tokenUrl: 'not a url', clientId: 'a', clientSecret: 'b'}), {instanceOf: TypeError, message: /tokenUrl/});
	t.throws(() => clientCredentials({tokenUrl: 'https://x.test/token', clientId: '', clientSecret: 'b'}), {instanceOf: TypeError, message: /clientId/});
	t.throws(() => clientCredentials({
		tokenUrl: 'https://x.test/token', clientId: 'a', clientSecret: 'b', clientAuthentication: 'jwt' as 'basic',
	}), {instanceOf: TypeError, message: /clientAuthentication/});
});
