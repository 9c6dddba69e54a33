import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {authorizationCode} from '../../source/auth/authorization-code/index.js';
import {clientCredentials} from '../../source/auth/client-credentials.js';
import {deviceAuthorization} from '../../source/auth/device-code.js';
import {tokenStore} from '../../source/auth/token-store.js';
import {AuthError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';
import {hostileAuthServer, serverMost} from '../helpers/hostile-auth-server.js';

test.beforeEach(t => {
	t.timeout(30_000);
});

const escape = (text: string) => text.replaceAll('.', String.raw`\.`);
const limitMessage = (url: string) => new RegExp(String.raw`The answer from ${escape(url)} exceeds the proxy's limit of 1048576 bytes \(a fixed limit for the answers of authorization servers\)`);

// The client stopped reading: the server could write the limit plus what the socket buffers hold, never the whole body.
const bounded = (written: number) => written < serverMost / 2;

const quiet = () => createLogger({
	write() {
		// Nothing to keep.
	},
});

test('a token endpoint that sends an endless body: an AuthError naming the limit, the rest unread', async t => {
	const server = await hostileAuthServer(t, ['/token']);
	const provider = clientCredentials({
		tokenUrl: `${server.url}/token`, clientId: 'proxy', clientSecret: 'secret-1', logger: quiet(),
	});
	const error = await t.throwsAsync(async () => provider.headers(), {instanceOf: AuthError});
	t.regex(error.message, limitMessage(`${server.url}/token`));
	t.true(bounded(server.written()), `the server wrote ${server.written()} bytes`);
});

test('a device authorization endpoint that sends an endless body: an AuthError naming the limit, the rest unread', async t => {
	const server = await hostileAuthServer(t, ['/device']);
	const error = await t.throwsAsync(async () => deviceAuthorization({
		deviceAuthorizationEndpoint: `${server.url}/device`, tokenEndpoint: `${server.url}/token`, client: {client_id: 'cli'}, logger: quiet(),
	}), {instanceOf: AuthError});
	t.regex(error.message, limitMessage(`${server.url}/device`));
	t.true(bounded(server.written()), `the server wrote ${server.written()} bytes`);
});

test('authorization server metadata that never ends, read by the SDK\'s discovery: an AuthError naming the limit, the rest unread', async t => {
	const server = await hostileAuthServer(t, ['/.well-known/oauth-authorization-server']);
	const directory = await mkdtemp(path.join(os.tmpdir(), 'auth-limits-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	const serverUrl = `${server.url}/mcp`;
	const provider = authorizationCode({
		serverUrl, store: tokenStore({directory, serverUrl}), callbackPort: 0, browserCommand: false, logger: quiet(),
	});
	// The remote server refused us: the provider discovers how to sign in.
	const error = await t.throwsAsync(async () => provider.onUnauthorized!(new Response(null, {status: 401}), {}), {instanceOf: AuthError});
	t.regex(error.message, /^Authorization with 127\.0\.0\.1:\d+ failed: /);
	t.regex(error.message, limitMessage(`${server.url}/.well-known/oauth-authorization-server`));
	t.notRegex(error.message, /publishes no OAuth metadata/);
	t.true(bounded(server.written()), `the server wrote ${server.written()} bytes`);
});
