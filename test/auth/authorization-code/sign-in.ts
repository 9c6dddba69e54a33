import {mkdtemp, rm} from 'node:fs/promises';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {authorizationCode} from '../../../source/auth/authorization-code/index.js';
import {tokenStore} from '../../../source/auth/token-store.js';
import {AuthError} from '../../../source/errors.js';
import {createLogger} from '../../../source/logger.js';
import type {SettingNames} from '../../../source/setting-names.js';

test.beforeEach(t => {
	t.timeout(30_000);
});

/**
The error of a 401 from a server that publishes no OAuth metadata (every path is 404), perhaps one that expects a fixed token.
*/
async function noMetadataError(t: ExecutionContext, settingNames?: SettingNames): Promise<string> {
	const server = createServer((_request, response) => {
		response.writeHead(404).end();
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	const serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
	const directory = await mkdtemp(path.join(os.tmpdir(), 'authorization-code-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	const provider = authorizationCode({
		serverUrl,
		store: tokenStore({directory, serverUrl}),
		callbackPort: 0,
		browserCommand: false,
		...(settingNames ? {settingNames} : {}),
		logger: createLogger({
			write() {
				// Nothing to keep.
			},
		}),
	});
	const error = await t.throwsAsync(async () => provider.onUnauthorized!(new Response(null, {status: 401}), {}), {instanceOf: AuthError});
	return error.message;
}

test('a 401 from a server without OAuth metadata: the error suggests a fixed token through the `headers` option', async t => {
	t.regex(await noMetadataError(t), /publishes no OAuth metadata; if it expects a fixed token, send it with the `headers` option instead\)$/);
});

test('a 401 from a server without OAuth metadata: the fixed token is suggested as `settingNames` names `headers`', async t => {
	t.regex(await noMetadataError(t, {headers: 'HEADERS'}), /if it expects a fixed token, send it with HEADERS instead\)$/);
});
