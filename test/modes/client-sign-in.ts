import {readdir} from 'node:fs/promises';
import {createServer, type AddressInfo} from 'node:net';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {execa} from 'execa';
import {cli} from '../helpers/fixtures.js';
import {connectThroughProxy, eventually} from '../helpers/remote.js';
import {
	authorizationCount, oauthStats, permissions, revokeAccessTokens, signInSandbox, startOAuthServer,
} from '../helpers/oauth.js';

const text = (result: unknown) => ((result as {content: Array<{text: string}>}).content[0]!.text);

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address() as AddressInfo;
	await new Promise(resolve => {
		server.close(resolve);
	});
	return port;
}

async function storedFiles(authDir: string): Promise<string[]> {
	const names = await readdir(authDir).catch(() => []);
	return names.filter(name => name.endsWith('.json'));
}

test.serial('first use: a 401 leads to discovery, registration, a browser sign-in with PKCE and the resource, and stored tokens; secrets stay out of the logs', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const {client, stderr} = await connectThroughProxy(t, urls.mcp, {args: [...sandbox.args, '--debug', '--log-messages'], env: sandbox.env});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'signed in'}})), 'signed in');

	const stats = await oauthStats(urls);
	t.is(stats.registrations, 1);
	t.is(stats.authorizations.length, 1);
	const [authorization] = stats.authorizations;
	t.is(authorization!.scope, 'mcp:tools', 'the scope of the 401 challenge');
	t.is(authorization!.resource, urls.mcp);
	t.regex(authorization!.redirect_uri, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
	t.is(stats.tokenRequests.authorization_code, 1);
	const opened = await sandbox.opened();
	t.is(opened.length, 1);
	t.regex(opened[0]!, /code_challenge_method=S256/);
	// The URL is printed too, for machines where no browser comes up.
	t.true(await eventually(() => stderr().includes('/authorize?response_type=code')), `${stderr()}`);

	const files = await storedFiles(sandbox.authDir);
	t.is(files.length, 1);
	t.is(await permissions(sandbox.authDir), 0o700);
	t.is(await permissions(path.join(sandbox.authDir, files[0]!)), 0o600);
	const token = stats.lastAuthorization!.replace('Bearer ', '');
	t.true(token.startsWith('at-'));
	t.false(stderr().includes(token), 'the access token is never logged');
	t.notRegex(stderr(), /rt-[\da-f-]{36}/, 'nor the refresh token');
});

test.serial('the next run reuses the stored tokens: no browser, no registration', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const first = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env});
	t.is(text(await first.client.callTool({name: 'echo', arguments: {text: 'one'}})), 'one');
	await first.client.close();

	const second = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env});
	t.is(text(await second.client.callTool({name: 'echo', arguments: {text: 'two'}})), 'two');
	const stats = await oauthStats(urls);
	t.is(stats.authorizations.length, 1);
	t.is(await sandbox.openedCount(), 1);
	t.is(stats.unauthorized, 1, 'only the very first request went without a token');
});

test.serial('tokens are refreshed before they expire, and with the refresh token after a 401, without the browser', async t => {
	const urls = await startOAuthServer(t, ['--token-expiry', '2']);
	const sandbox = await signInSandbox(t);
	const {client} = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'one'}})), 'one');
	const before = await oauthStats(urls);
	await new Promise(resolve => {
		setTimeout(resolve, 2300);
	});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'two'}})), 'two');
	const refreshed = await oauthStats(urls);
	t.true(refreshed.tokenRequests.refresh_token >= 1);
	t.is(refreshed.unauthorized, before.unauthorized, 'the expired token was never sent');

	await revokeAccessTokens(urls);
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'three'}})), 'three');
	const revoked = await oauthStats(urls);
	t.is(revoked.unauthorized, refreshed.unauthorized + 1);
	t.is(revoked.tokenRequests.refresh_token, refreshed.tokenRequests.refresh_token + 1);
	t.is(revoked.authorizations.length, 1, 'no new sign-in');
	t.is(await sandbox.openedCount(), 1);
});

test.serial('403 insufficient_scope: the user is asked once more, for the larger scope, and the call succeeds', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const {client, stderr} = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'basic'}})), 'basic');
	const pid = text(await client.callTool({name: 'whoami', arguments: {}}));
	t.regex(pid, /^\d+$/);
	const stats = await oauthStats(urls);
	t.is(stats.forbidden, 1);
	t.deepEqual(stats.authorizations.map(authorization => authorization.scope), ['mcp:tools', 'mcp:tools mcp:admin']);
	t.true(await eventually(() => stderr().includes('needs the scope `mcp:tools mcp:admin`')), `${stderr()}`);
});

test.serial('a step-up the user abandons costs the call, not the sign-in: the tokens that work are kept, in memory and on disk', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const first = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env});
	t.is(text(await first.client.callTool({name: 'echo', arguments: {text: 'signed in'}})), 'signed in');
	await first.client.close();

	// Nobody opens the step-up's page this time.
	const headless = [...sandbox.args.filter((_, index, all) => !['--sign-in-timeout', '--browser-command'].includes(all[index]!) && !['--sign-in-timeout', '--browser-command'].includes(all[index - 1]!)), '--no-browser', '--sign-in-timeout', '2s'];
	const second = await connectThroughProxy(t, urls.mcp, {args: headless, env: sandbox.env});
	const refused = await second.client.callTool({name: 'whoami', arguments: {}}).then(result => JSON.stringify(result), (error: unknown) => (error as Error).message);
	t.notRegex(refused, /^{"content":\[{"type":"text","text":"\d+"/, 'whoami needs the larger scope');
	t.is(text(await second.client.callTool({name: 'echo', arguments: {text: 'still'}})), 'still');
	await second.client.close();

	const third = await connectThroughProxy(t, urls.mcp, {args: headless, env: sandbox.env});
	t.is(text(await third.client.callTool({name: 'echo', arguments: {text: 'kept'}})), 'kept');
	const stats = await oauthStats(urls);
	t.is(stats.authorizations.length, 1, 'one completed sign-in, the first');
	t.is(await sandbox.openedCount(), 1);
});

test.serial('a redirect that names another issuer (RFC 9207) is refused', async t => {
	const urls = await startOAuthServer(t, ['--wrong-iss']);
	const sandbox = await signInSandbox(t);
	const {client, transport, stderr} = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env, connect: false});
	const error = await t.throwsAsync(client.connect(transport));
	t.regex(error.message, /names the issuer `https:\/\/evil\.example\/`/);
	const stats = await oauthStats(urls);
	t.is(stats.tokenRequests.authorization_code, 0, 'the code was not redeemed');
	t.true(await eventually(() => stderr().includes('RFC 9207')), `${stderr()}`);
});

test.serial('--no-browser only prints the URL; whoever opens it completes the sign-in', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const {client, transport, stderr} = await connectThroughProxy(t, urls.mcp, {args: [...sandbox.args, '--no-browser'], env: sandbox.env, connect: false});
	const connected = client.connect(transport);
	t.true(await eventually(() => /http:\/\/\S+\/authorize\?\S+/.test(stderr()), 20_000));
	const url = /http:\/\/\S+\/authorize\?\S+/.exec(stderr())![0];
	// The user, on another machine or in a text browser.
	const page = await fetch(url);
	t.is(page.status, 200);
	t.regex(await page.text(), /signed in/);
	await connected;
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'headless'}})), 'headless');
	t.deepEqual(await sandbox.opened(), [], 'no browser command ran');
});

test.serial('several instances for one server share one sign-in (the lock)', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const [first, second] = await Promise.all([
		connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env}),
		connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env}),
	]);
	const [one, two] = await Promise.all([
		first.client.callTool({name: 'echo', arguments: {text: 'first'}}),
		second.client.callTool({name: 'echo', arguments: {text: 'second'}}),
	]);
	t.is(text(one), 'first');
	t.is(text(two), 'second');
	t.is(await authorizationCount(urls), 1);
	t.is(await sandbox.openedCount(), 1);
});

test.serial('a pre-registered client (--client-id, --client-secret) signs in without registering', async t => {
	const port = await freePort();
	const urls = await startOAuthServer(t, ['--pre-registered', `pre-client:pre-secret-4242:http://127.0.0.1:${port}/oauth/callback`]);
	const sandbox = await signInSandbox(t, {callbackPort: port});
	const {client, stderr} = await connectThroughProxy(t, urls.mcp, {
		args: [...sandbox.args, '--client-id', 'pre-client', '--client-secret', 'pre-secret-4242', '--debug'],
		env: sandbox.env,
	});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'pre'}})), 'pre');
	const stats = await oauthStats(urls);
	t.is(stats.registrations, 0);
	t.is(stats.authorizations[0]!.client_id, 'pre-client');
	t.false(stderr().includes('pre-secret-4242'));
});

test.serial('--reset-auth forgets the stored sign-in', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const first = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env});
	t.is(text(await first.client.callTool({name: 'echo', arguments: {text: 'one'}})), 'one');
	await first.client.close();
	const second = await connectThroughProxy(t, urls.mcp, {args: [...sandbox.args, '--reset-auth'], env: sandbox.env});
	t.is(text(await second.client.callTool({name: 'echo', arguments: {text: 'two'}})), 'two');
	t.is(await authorizationCount(urls), 2);
	t.true(await eventually(() => second.stderr().includes('Forgot the stored sign-in')), `${second.stderr()}`);
});

test.serial('API_ACCESS_TOKEN turns the sign-in off: a 401 is an error, no browser', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const {client, transport} = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: {...sandbox.env, API_ACCESS_TOKEN: 'not-a-token'}, connect: false});
	await t.throwsAsync(client.connect(transport), {message: /401/});
	t.deepEqual(await sandbox.opened(), []);
	t.is(await authorizationCount(urls), 0);
});

test.serial('--device-code: the user enters a code on another device (RFC 8628); no callback, no browser', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const {client, transport, stderr} = await connectThroughProxy(t, urls.mcp, {args: [...sandbox.args, '--device-code'], env: sandbox.env, connect: false});
	const connected = client.connect(transport);
	t.true(await eventually(() => /http:\/\/\S+\/device\?user_code=\S+/.test(stderr()), 20_000));
	const url = /http:\/\/\S+\/device\?user_code=\S+/.exec(stderr())![0];
	t.true(await eventually(() => /the code [\dA-F-]{8}/.test(stderr())), `${stderr()}`);
	// The user, on a phone.
	const page = await fetch(url);
	t.is(page.status, 200);
	await connected;
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'device'}})), 'device');
	const stats = await oauthStats(urls);
	t.is(stats.deviceAuthorizations, 1);
	t.true(stats.tokenRequests.device_code >= 1);
	t.is(stats.authorizations.length, 0, 'no browser redirect');
	t.deepEqual(await sandbox.opened(), []);
	t.false(stderr().includes(stats.lastAuthorization!.replace('Bearer ', '')));
});

test.serial('--sign-in signs in and exits without serving MCP; the next run needs no browser', async t => {
	const urls = await startOAuthServer(t);
	const sandbox = await signInSandbox(t);
	const result = await execa(process.execPath, [cli, ...sandbox.args, '--sign-in', urls.mcp], {
		env: {...process.env, ...sandbox.env}, reject: false, timeout: 40_000, stdin: 'ignore',
	});
	t.is(result.exitCode, 0, `stderr: ${String(result.stderr)}`);
	t.is(result.stdout, '');
	t.regex(result.stderr, /accepts our credentials \(HTTP 200\)/);
	t.is(await authorizationCount(urls), 1);

	const {client} = await connectThroughProxy(t, urls.mcp, {args: sandbox.args, env: sandbox.env});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'later'}})), 'later');
	t.is(await sandbox.openedCount(), 1);
});
