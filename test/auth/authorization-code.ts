import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {authorizationCode} from '../../source/auth/authorization-code/index.js';
import {tokenStore} from '../../source/auth/token-store.js';
import {AuthError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';
import type {SettingNames} from '../../source/setting-names.js';
import {startOAuthServer} from '../helpers/oauth.js';

/*
The authorization code provider used as a library; its sign-ins through the CLI are tested in test/modes/client-sign-in.ts.
*/

test.beforeEach(t => {
	t.timeout(30_000);
});

/**
`fetch` that hides the device authorization endpoint from the authorization server's metadata: a server without the device flow.
*/
const withoutDeviceFlow = async (url: string | URL, init?: RequestInit): Promise<Response> => {
	const response = await fetch(url, init);
	if (!String(url).includes('/.well-known/oauth-authorization-server')) {
		return response;
	}

	const metadata = await response.json() as Record<string, unknown>;
	delete metadata['device_authorization_endpoint'];
	return Response.json(metadata, {status: response.status});
};

async function deviceSignInError(t: ExecutionContext, settingNames?: SettingNames): Promise<string> {
	const urls = await startOAuthServer(t);
	const directory = await mkdtemp(path.join(os.tmpdir(), 'authorization-code-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	const provider = authorizationCode({
		serverUrl: urls.mcp,
		store: tokenStore({directory, serverUrl: urls.mcp}),
		deviceCode: true,
		browserCommand: false,
		fetch: withoutDeviceFlow,
		...(settingNames ? {settingNames} : {}),
		logger: createLogger({
			write() {
				// Nothing to keep.
			},
		}),
	});
	// The remote server refused us: the provider discovers how to sign in.
	const error = await t.throwsAsync(async () => provider.onUnauthorized!(new Response(null, {status: 401}), {}), {instanceOf: AuthError});
	return error.message;
}

test('a server without the device flow: the error says to sign in without the `deviceCode` option', async t => {
	const message = await deviceSignInError(t);
	t.regex(message, /offers no device authorization endpoint \(RFC 8628\); sign in with the browser instead \(without the `deviceCode` option\)$/);
});

test('a server without the device flow: the error names `deviceCode` as `settingNames` names it', async t => {
	const message = await deviceSignInError(t, {deviceCode: '--device-code'});
	t.regex(message, /sign in with the browser instead \(without --device-code\)$/);
});

test('`settingNames` is checked', t => {
	t.throws(() => authorizationCode({
		serverUrl: 'https://mcp.example.com/mcp',
		store: tokenStore({directory: os.tmpdir(), serverUrl: 'https://mcp.example.com/mcp'}),
		settingNames: 'names' as unknown as SettingNames,
	}), {instanceOf: TypeError, message: 'Expected `settingNames` to be an object of strings'});
});
