import {Buffer} from 'node:buffer';
import {mkdtemp, rm} from 'node:fs/promises';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {authorizationCode} from '../../source/auth/authorization-code.js';
import {clientCredentials} from '../../source/auth/client-credentials.js';
import {deviceAuthorization} from '../../source/auth/device-code.js';
import {tokenStore} from '../../source/auth/token-store.js';
import {AuthError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';

test.beforeEach(t => {
	t.timeout(30_000);
});

/**
What a hostile server may send before it gives up: far more than any bound of the proxy, so a client that reads it whole is caught.
*/
const serverMost = 64 * 1024 * 1024;

/**
An authorization server whose `endless` paths answer 200 with a chunked JSON body that never ends (up to `serverMost`), written as fast as the client reads; every other path is 404. `written()` counts the bytes the client let it write.
*/
async function hostileServer(t: ExecutionContext, endless: string[]) {
	let written = 0;
	const chunk = Buffer.alloc(64 * 1024, 'a');
	const server = http.createServer((request, response) => {
		request.resume();
		if (!endless.includes(request.url!.split('?')[0]!)) {
			response.writeHead(404).end();
			return;
		}

		response.writeHead(200, {'content-type': 'application/json'});
		response.write('{"padding":"');
		const write = () => {
			while (!response.destroyed && written < serverMost) {
				written += chunk.length;
				if (!response.write(chunk)) {
					response.once('drain', write);
					return;
				}
			}

			response.end('"}');
		};

		write();
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, written: () => written};
}

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
	const server = await hostileServer(t, ['/token']);
	const provider = clientCredentials({
		tokenUrl: `${server.url}/token`, clientId: 'proxy', clientSecret: 'secret-1', logger: quiet(),
	});
	const error = await t.throwsAsync(async () => provider.headers(), {instanceOf: AuthError});
	t.regex(error.message, limitMessage(`${server.url}/token`));
	t.true(bounded(server.written()), `the server wrote ${server.written()} bytes`);
});

test('a device authorization endpoint that sends an endless body: an AuthError naming the limit, the rest unread', async t => {
	const server = await hostileServer(t, ['/device']);
	const error = await t.throwsAsync(async () => deviceAuthorization({
		deviceAuthorizationEndpoint: `${server.url}/device`, tokenEndpoint: `${server.url}/token`, client: {client_id: 'cli'}, logger: quiet(),
	}), {instanceOf: AuthError});
	t.regex(error.message, limitMessage(`${server.url}/device`));
	t.true(bounded(server.written()), `the server wrote ${server.written()} bytes`);
});

test('authorization server metadata that never ends, read by the SDK\'s discovery: an AuthError naming the limit, the rest unread', async t => {
	const server = await hostileServer(t, ['/.well-known/oauth-authorization-server']);
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
