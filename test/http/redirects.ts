// The redirect policy: no configured header, credential or session id follows a redirect to another origin, for
// every redirect status, before and after initialize, over Streamable HTTP and legacy SSE, in both fetches the
// proxy makes (the transports' and the auth code's). Two real HTTP servers on 127.0.0.1 at different ports are
// two origins.
import type http from 'node:http';
import test, {type ExecutionContext} from 'ava';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {startRemoteServer} from '../../fixtures/remote-server.js';
import {bearerToken} from '../../source/auth/static-headers.js';
import {RedirectError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';
import {fetchWith, httpAgent} from '../../source/http/http-agent.js';
import {isWithinOrigin} from '../../source/http/redirects.js';
import {remote, type RemoteTransportKind} from '../../source/transports/remote.js';
import {requestFetch} from '../../source/http/request-fetch.js';
import {toSdkTransport} from '../../source/transports/sdk-transport.js';
import {startGateway, type GatewayExchange} from '../helpers/gateway.js';
import {connectThroughProxy, eventually} from '../helpers/remote.js';

const statuses = [301, 302, 303, 307, 308] as const;
const apiKey = 'key-that-stays-home';
const token = 'token-that-stays-home';

type Seen = {method: string; url: string; apiKey: unknown; authorization: unknown; session: unknown};

/**
Which requests `home` redirects (by the status to answer with), from the request and its body.
*/
type Redirect = (request: http.IncomingMessage, body: string) => number | undefined;

/**
A real MCP server behind two gateways: `home`, the configured origin, which redirects what `redirect` picks to the same path on `elsewhere`, another origin (another port) in front of the same server, which records every request it gets. Were a redirect followed, the exchange would work there.
*/
async function setup(t: ExecutionContext, redirect: Redirect) {
	const server = await startRemoteServer();
	t.teardown(async () => server.close());
	const seen: Seen[] = [];
	const elsewhere = await startGateway(t, server.urls.url, request => {
		seen.push({
			method: request.method!, url: request.url!, apiKey: request.headers['x-api-key'], authorization: request.headers.authorization, session: request.headers['mcp-session-id'],
		});
		return false;
	});
	let homeLog: GatewayExchange[] = [];
	const home = await startGateway(t, server.urls.url, (request, response) => {
		const status = redirect(request, homeLog.at(-1)?.body ?? '');
		if (status === undefined) {
			return false;
		}

		response.writeHead(status, {location: `${elsewhere.url}${request.url!}`}).end();
		return true;
	});
	homeLog = home.log;
	const logged: string[] = [];
	const logger = createLogger({
		level: 'debug',
		write(line) {
			logged.push(line);
		},
	});
	return {
		home: home.url, elsewhere: elsewhere.url, seen, logged, logger, homeLog,
	};
}

type Setup = Awaited<ReturnType<typeof setup>>;

/**
An SDK client reaching `home` through `remote()`, with a custom header and a bearer token.
*/
function clientOf(t: ExecutionContext, {home, logger}: Setup, path: string, transport: RemoteTransportKind = 'auto') {
	const client = new Client({name: 'test', version: '1.0.0'});
	t.teardown(async () => client.close());
	const connect = async () => client.connect(toSdkTransport(remote({
		url: `${home}${path}`, transport, headers: {'X-API-Key': apiKey}, auth: bearerToken(token), logger,
	})));
	return {client, connect};
}

const escape = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\/]/g, String.raw`\$&`);

/**
The message a request refused for a redirect from `home` to `elsewhere` gets.
*/
const refusal = ({home, elsewhere}: Setup, method: string, path: string, status: number) => {
	const origins = String.raw`${escape(home)} redirected ${method} ${escape(path)} to another origin, ${escape(elsewhere)} \(HTTP ${status}\)`;
	return new RegExp(String.raw`${origins}: not followed.*configure its new URL \(${escape(elsewhere + path)}\)`);
};

const warnings = (logged: string[]) => logged.filter(line => line.startsWith('[W ') && line.includes('another origin'));

const isInitialize = (body: string) => body.includes('"method":"initialize"');

for (const status of statuses) {
	test(`HTTP ${status} to another origin on initialize: nothing goes there, initialize is answered with an error naming both origins, logged once`, async t => {
		const setupped = await setup(t, (request, body) => (request.method === 'POST' && isInitialize(body) ? status : undefined));
		const {connect} = clientOf(t, setupped, '/mcp');
		const error = await t.throwsAsync(connect());
		t.deepEqual(setupped.seen, [], 'the other origin got no request');
		t.regex(error.message, refusal(setupped, 'POST', '/mcp', status));
		t.is(warnings(setupped.logged).length, 1, 'logged once at warning level');
	});

	test(`HTTP ${status} to another origin after initialize (the GET stream, a request, DELETE): nothing goes there, the request gets an error, the session stays`, async t => {
		const setupped = await setup(t, (request, body) => {
			const later = request.headers['mcp-session-id'] !== undefined;
			return later && (request.method === 'GET' || request.method === 'DELETE' || body.includes('"method":"tools/list"')) ? status : undefined;
		});
		const {client, connect} = clientOf(t, setupped, '/mcp', 'streamablehttp');
		await connect();
		const error = await t.throwsAsync(client.listTools());
		t.deepEqual(setupped.seen, [], 'the other origin got no request (the GET stream, tools/list)');
		t.regex(error.message, refusal(setupped, 'POST', '/mcp', status));
		const echo = await client.callTool({name: 'echo', arguments: {text: 'still home'}});
		t.is((echo as {content: Array<{text: string}>}).content[0]!.text, 'still home', 'the session carries on at home');
		await client.close();
		t.true(await eventually(() => setupped.homeLog.some(entry => entry.method === 'DELETE')));
		t.true(setupped.homeLog.some(entry => entry.method === 'GET'), 'the GET stream was tried at home');
		t.deepEqual(setupped.seen, [], 'the other origin got no request (DELETE)');
		t.is(warnings(setupped.logged).length, 1, 'logged once at warning level');
	});

	test(`HTTP ${status} to another origin on legacy SSE (the stream, then a message POST): nothing goes there`, async t => {
		const onStream = await setup(t, request => (request.method === 'GET' ? status : undefined));
		const stream = clientOf(t, onStream, '/sse', 'sse');
		await t.throwsAsync(stream.connect());
		t.deepEqual(onStream.seen, [], 'the other origin got no request');
		t.regex(warnings(onStream.logged).join('\n'), refusal(onStream, 'GET', '/sse', status));

		const onPost = await setup(t, (request, body) => (request.method === 'POST' && body.includes('"method":"tools/list"') ? status : undefined));
		const {client, connect} = clientOf(t, onPost, '/sse', 'sse');
		await connect();
		const error = await t.throwsAsync(client.listTools());
		t.deepEqual(onPost.seen, [], 'the other origin got no request');
		t.regex(error.message, new RegExp(String.raw`redirected POST /messages to another origin, ${escape(onPost.elsewhere)} \(HTTP ${status}\)`));
	});
}

test('a redirect within the origin is followed, for every request of the session', async t => {
	const setupped = await setup(t, () => undefined);
	const {home} = setupped;
	// The same server under an old path: every request is sent on to /mcp, on the same origin.
	const moved = await startGateway(t, home, (request, response) => {
		if (request.url!.startsWith('/old')) {
			response.writeHead(308, {location: '/mcp'}).end();
			return true;
		}

		return false;
	});
	const {client, connect} = clientOf(t, {...setupped, home: moved.url}, '/old', 'streamablehttp');
	await connect();
	const echo = await client.callTool({name: 'echo', arguments: {text: 'moved'}});
	t.is((echo as {content: Array<{text: string}>}).content[0]!.text, 'moved');
	t.true(moved.log.some(entry => entry.method === 'GET'));
	t.true(setupped.homeLog.some(entry => entry.method === 'GET' && entry.session !== undefined), 'the GET stream was followed');
	t.deepEqual(setupped.seen, []);
});

test('both fetches (the transports\' and the auth code\'s) refuse another origin, a public metadata GET too, and hand a redirect back when asked', async t => {
	const setupped = await setup(t, (request, body) => (body === 'away' || request.url === '/.well-known/oauth-authorization-server' ? 307 : undefined));
	const agent = httpAgent();
	t.teardown(async () => agent.destroy());
	for (const fetch of [requestFetch(agent, setupped.logger), fetchWith(agent, setupped.logger)]) {
		// eslint-disable-next-line no-await-in-loop
		const post = await t.throwsAsync(fetch(`${setupped.home}/mcp`, {method: 'POST', headers: {'x-api-key': apiKey, authorization: `Bearer ${token}`}, body: 'away'}), {instanceOf: RedirectError});
		t.deepEqual(setupped.seen, [], 'the other origin got no request');
		t.is(post.status, 307);
		t.is(post.location, `${setupped.elsewhere}/mcp`);
		// A public metadata GET is refused too: its headers are nobody else's either.
		// eslint-disable-next-line no-await-in-loop
		await t.throwsAsync(fetch(`${setupped.home}/.well-known/oauth-authorization-server`, {headers: {accept: 'application/json'}}), {instanceOf: RedirectError});
		// Asked for, the redirect itself comes back (the SDK's auth helpers follow within the origin that way).
		// eslint-disable-next-line no-await-in-loop
		const manual = await fetch(`${setupped.home}/mcp`, {method: 'POST', body: 'away', redirect: 'manual'});
		t.is(manual.status, 307);
		// eslint-disable-next-line no-await-in-loop
		await manual.body?.cancel();
	}

	t.deepEqual(setupped.seen, [], 'the other origin got no request');
});

test('within the origin: the same scheme, host and port, or http → https on the default ports; nothing else', t => {
	const within = (from: string, to: string) => isWithinOrigin(new URL(from), new URL(to));
	t.true(within('http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3000/other?x=1'));
	t.true(within('https://example.com/mcp', 'https://example.com:443/mcp/'));
	t.true(within('http://example.com/mcp', 'https://example.com/mcp'));
	t.false(within('http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3001/mcp'), 'another port');
	t.false(within('http://127.0.0.1:3000/mcp', 'http://localhost:3000/mcp'), 'another host');
	t.false(within('https://example.com/mcp', 'http://example.com/mcp'), 'https → http');
	t.false(within('http://example.com:8080/mcp', 'https://example.com:8080/mcp'), 'an upgrade off the default ports');
	t.false(within('http://example.com/mcp', 'https://evil.example.com/mcp'));
	t.false(within('http://example.com/mcp', 'file:///etc/passwd'));
});

test('client mode: the -H header never follows initialize to another origin; the client gets the error, the log says it once', async t => {
	const setupped = await setup(t, (request, body) => (request.method === 'POST' && isInitialize(body) ? 307 : undefined));
	const proxy = await connectThroughProxy(t, `${setupped.home}/mcp`, {args: ['-H', 'X-API-Key', apiKey], connect: false});
	const error = await t.throwsAsync(proxy.client.connect(proxy.transport));
	t.deepEqual(setupped.seen, [], 'the other origin got no request');
	t.regex(error.message, refusal(setupped, 'POST', '/mcp', 307));
	t.true(await eventually(() => warnings(proxy.stderr().split('\n')).length === 1), 'logged once at warning level');
});
