import {Buffer} from 'node:buffer';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import test, {type ExecutionContext} from 'ava';
import {deviceAuthorization} from '../../source/auth/device-code.js';
import {createLogger} from '../../source/logger.js';
import {createRedactor} from '../../source/redactor.js';

type Poll = {status: number; body: Record<string, unknown>};

/**
A loopback authorization server whose token endpoint answers the polls from a script.
*/
async function deviceServer(t: ExecutionContext, polls: Poll[]) {
	const seen: Array<{path: string; form: URLSearchParams; authorization: string | undefined}> = [];
	const server = http.createServer((request, response) => {
		let body = '';
		request.on('data', (chunk: Uint8Array) => {
			body += String(chunk);
		});
		request.on('end', () => {
			seen.push({path: request.url!, form: new URLSearchParams(body), authorization: request.headers.authorization});
			response.setHeader('content-type', 'application/json');
			if (request.url === '/device') {
				response.end(JSON.stringify({
					device_code: 'device-secret-31337', user_code: 'WDJB-MJHT', verification_uri: 'https://auth.test/device', expires_in: 60, interval: 1,
				}));
				return;
			}

			const poll = polls.shift() ?? {status: 400, body: {error: 'expired_token'}};
			response.statusCode = poll.status;
			response.end(JSON.stringify(poll.body));
		});
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		server.close();
	});
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {deviceAuthorizationEndpoint: `${base}/device`, tokenEndpoint: `${base}/token`, seen};
}

test('polls until approved, slowing down when asked; the device code is redacted', async t => {
	const server = await deviceServer(t, [
		{status: 400, body: {error: 'authorization_pending'}},
		{status: 400, body: {error: 'slow_down'}},
		{status: 200, body: {access_token: 'device-access', token_type: 'Bearer', expires_in: 60}},
	]);
	const waits: number[] = [];
	const lines: string[] = [];
	const redactor = createRedactor();
	const tokens = await deviceAuthorization({
		...server,
		client: {client_id: 'cli'},
		scope: 'mcp:tools',
		resource: 'https://mcp.test/mcp',
		redactor,
		logger: createLogger({
			write(line) {
				lines.push(line);
			},
		}),
		async sleep(ms) {
			waits.push(ms);
		},
	});
	t.is(tokens.access_token, 'device-access');
	t.deepEqual(waits, [1000, 1000, 6000]);
	t.is(server.seen[0]!.form.get('client_id'), 'cli');
	t.is(server.seen[0]!.form.get('scope'), 'mcp:tools');
	t.is(server.seen[0]!.form.get('resource'), 'https://mcp.test/mcp');
	t.is(server.seen[1]!.form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:device_code');
	t.is(server.seen[1]!.form.get('device_code'), 'device-secret-31337');
	t.true(lines.some(line => line.includes('https://auth.test/device') && line.includes('WDJB-MJHT')));
	t.false(redactor.redact('device-secret-31337').includes('device-secret-31337'));
});

test('a confidential client authenticates with HTTP Basic', async t => {
	const server = await deviceServer(t, [{status: 200, body: {access_token: 'a', token_type: 'Bearer'}}]);
	await deviceAuthorization({
		...server, client: {client_id: 'cli', client_secret: 'shh'}, logger: createLogger({level: 'silent'}), sleep: async () => undefined,
	});
	t.is(server.seen[1]!.authorization, `Basic ${Buffer.from('cli:shh').toString('base64')}`);
	t.is(server.seen[1]!.form.get('client_id'), null);
});

test('a denial ends the wait with a SignInError (an AuthError the reconnect operator does not retry on a timer)', async t => {
	const server = await deviceServer(t, [{status: 400, body: {error: 'access_denied', error_description: 'the user said no'}}]);
	await t.throwsAsync(deviceAuthorization({
		...server, client: {client_id: 'cli'}, logger: createLogger({level: 'silent'}), sleep: async () => undefined,
	}), {name: 'SignInError', message: /access_denied: the user said no/});
});
