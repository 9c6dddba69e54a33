import http from 'node:http';
import net, {type AddressInfo} from 'node:net';
import process from 'node:process';
import type {Duplex} from 'node:stream';
import test, {type ExecutionContext} from 'ava';
import {execa} from 'execa';
import {
	CreateMessageRequestSchema,
	ElicitRequestSchema,
	LoggingMessageNotificationSchema,
	ProgressNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
	ignoreElements, lastValueFrom, map, merge, of, Subject, tap,
} from 'rxjs';
import {createLogger} from '../../source/logger.js';
import {clientMode} from '../../source/modes/client-mode.js';
import {createRedactor, type Redactor} from '../../source/redactor.js';
import type {Message, Transport} from '../../source/types.js';
import {cli, fixture} from '../helpers/fixtures.js';
import {startGateway} from '../helpers/gateway.js';
import {hostileAuthServer, serverMost} from '../helpers/hostile-auth-server.js';
import {waitForExit} from '../helpers/processes.js';
import {
	admin,
	connectThroughProxy,
	eventually,
	remoteStats,
	startRemoteProcess,
} from '../helpers/remote.js';

const text = (result: unknown) => ((result as {content: Array<{text: string}>}).content[0]!.text);
const initializeLine = `${JSON.stringify({
	jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'raw', version: '1'}},
})}\n`;

for (const face of ['mcp', 'sse'] as const) {
	test.serial(`an SDK client reaches a remote ${face === 'mcp' ? 'Streamable HTTP' : 'legacy SSE'} server through the proxy: tools, notifications, server requests`, async t => {
		const {urls} = await startRemoteProcess(t);
		const {client, stderr} = await connectThroughProxy(t, urls[face], {
			capabilities: {capabilities: {sampling: {}, elicitation: {}}},
			setup(client) {
				client.setRequestHandler(CreateMessageRequestSchema, async () => ({role: 'assistant', model: 'test', content: {type: 'text', text: 'from the client'}}));
				client.setRequestHandler(ElicitRequestSchema, async () => ({action: 'accept', content: {answer: '42'}}));
			},
		});
		t.is(client.getServerVersion()?.name, 'remote-fixture');
		const {tools} = await client.listTools();
		t.true(tools.some(tool => tool.name === 'echo'));
		t.is(text(await client.callTool({name: 'echo', arguments: {text: 'hello'}})), 'hello');

		const progress: number[] = [];
		const logs: unknown[] = [];
		client.setNotificationHandler(LoggingMessageNotificationSchema, notification => {
			logs.push(notification.params.data);
		});
		// The SDK client hands a progress notification that shares a read with its response to `onprogress` too late, so count them as plain notifications.
		client.setNotificationHandler(ProgressNotificationSchema, notification => {
			progress.push(notification.params.progress);
		});
		const result = await client.callTool({name: 'progress', arguments: {steps: 3, delayMs: 1}}, undefined, {
			onprogress() {
				// Asking for progress is what matters here.
			},
		});
		t.is(text(result), 'done 3');
		t.deepEqual(progress, [1, 2, 3]);
		t.deepEqual(logs, ['finished 3 steps']);

		t.is(text(await client.callTool({name: 'sample', arguments: {prompt: 'p'}})), 'sampled: from the client');
		t.is(text(await client.callTool({name: 'elicit', arguments: {message: 'm'}})), 'accept: {"answer":"42"}');
		t.true(await eventually(() => (face === 'mcp' ? /over Streamable HTTP \(auto-detected\)/ : /over legacy SSE \(auto-detected/).test(stderr())), `${stderr()}`);
	});

	test.serial(`a 20 MB result from a remote ${face === 'mcp' ? 'Streamable HTTP' : 'legacy SSE'} server reaches the client whole`, async t => {
		const {urls} = await startRemoteProcess(t);
		const {client} = await connectThroughProxy(t, urls[face], {linearReadBuffer: true});
		const big = text(await client.callTool({name: 'big', arguments: {bytes: 20 * 1024 * 1024}}));
		t.is(big.length, 20 * 1024 * 1024);
		t.is(big, 'x'.repeat(20 * 1024 * 1024));
	});
}

test.serial('requests with long strings from the local client reach the remote whole (Streamable HTTP and legacy SSE)', async t => {
	const {urls} = await startRemoteProcess(t);
	for (const face of ['mcp', 'sse'] as const) {
		// eslint-disable-next-line no-await-in-loop
		const {client} = await connectThroughProxy(t, urls[face]);
		const long = `${face} é🌍 plain text `.repeat(20_000);
		// eslint-disable-next-line no-await-in-loop
		t.is(text(await client.callTool({name: 'echo', arguments: {text: long}})), long);
		const escaped = 'a line\n'.repeat(20_000);
		// eslint-disable-next-line no-await-in-loop
		t.is(text(await client.callTool({name: 'echo', arguments: {text: escaped}})), escaped);
	}
});

test.serial('headers from -H and --header, and API_ACCESS_TOKEN as a bearer token, reach the remote; the token is never logged', async t => {
	const {urls} = await startRemoteProcess(t, ['--require-token', 'secret-token-777']);
	const {client, stderr} = await connectThroughProxy(t, urls.mcp, {
		args: ['-H', 'X-One', '1', '--header', 'X-Two: 2', '--debug', '--log-messages'],
		env: {API_ACCESS_TOKEN: 'secret-token-777'},
	});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'authorized'}})), 'authorized');
	const stats = await remoteStats(urls);
	t.is(stats.lastHeaders['x-one'], '1');
	t.is(stats.lastHeaders['x-two'], '2');
	t.is(stats.lastHeaders['authorization'], 'Bearer secret-token-777');
	t.is(stats.unauthorized, 0);
	t.false(stderr().includes('secret-token-777'));
});

test.serial('API_ACCESS_TOKEN replaces an Authorization header given with -H, as in the Python mcp-proxy', async t => {
	const {urls} = await startRemoteProcess(t, ['--require-token', 'token-from-env']);
	const {client, stderr} = await connectThroughProxy(t, urls.mcp, {args: ['-H', 'Authorization', 'Bearer from-flag'], env: {API_ACCESS_TOKEN: 'token-from-env'}});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'authorized'}})), 'authorized');
	const stats = await remoteStats(urls);
	t.is(stats.lastHeaders['authorization'], 'Bearer token-from-env');
	t.regex(stderr(), /replaced by API_ACCESS_TOKEN/);
});

test.serial('a wrong token: the client\'s initialize is answered with an error that says so', async t => {
	const {urls} = await startRemoteProcess(t, ['--require-token', 'right']);
	const {client, transport, stderr} = await connectThroughProxy(t, urls.mcp, {env: {API_ACCESS_TOKEN: 'wrong-token'}, connect: false});
	const error = await t.throwsAsync(client.connect(transport));
	t.regex(error.message, /The remote server answered `initialize` with HTTP 401 Unauthorized: .*invalid_token/);
	const refused = 'refused our credentials (HTTP 401). Check -H Authorization \'Bearer TOKEN\' (or API_ACCESS_TOKEN) and the OAuth client flags.';
	t.true(await eventually(() => stderr().includes(refused)), 'the log names the flags and the variable');
});

test.serial('OAuth2 client credentials: the token is refreshed before it expires and fetched again once on a 401', async t => {
	const {urls} = await startRemoteProcess(t, ['--client-id', 'proxy', '--client-secret', 'oauth-secret-555', '--token-expiry', '2']);
	const {client, stderr} = await connectThroughProxy(t, urls.mcp, {
		args: ['--client-id', 'proxy', '--client-secret', 'oauth-secret-555', '--token-url', urls.token, '--scope', 'mcp', '--debug'],
	});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'one'}})), 'one');
	const before = await remoteStats(urls);
	t.true(before.tokenRequests >= 1);
	// Past the token's lifetime: the proxy fetches a new one before sending, so the server never refuses it.
	await new Promise(resolve => {
		setTimeout(resolve, 2200);
	});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'two'}})), 'two');
	const refreshed = await remoteStats(urls);
	t.true(refreshed.tokenRequests > before.tokenRequests);
	t.is(refreshed.unauthorized, 0);
	// A token the server revoked: one 401, one new token, the same request sent again.
	await admin(urls, 'revoke-tokens');
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'three'}})), 'three');
	const revoked = await remoteStats(urls);
	t.is(revoked.unauthorized, 1);
	t.is(revoked.tokenRequests, refreshed.tokenRequests + 1);
	t.false(stderr().includes('oauth-secret-555'));
	t.notRegex(stderr(), /Bearer [\da-f]{32}/);
});

test.serial('partial OAuth flags are a usage error', async t => {
	const {exitCode, stderr, stdout} = await execa(process.execPath, [cli, '--client-id', 'x', '--token-url', 'http://127.0.0.1:9/token', 'http://127.0.0.1:9/mcp'], {reject: false, timeout: 20_000});
	t.is(exitCode, 2);
	t.regex(stderr, /missing --client-secret \(or --client-private-key\)/);
	t.is(stdout, '');
});

test.serial('a token endpoint that sends an endless body: the client\'s initialize is answered with an error naming the limit, and the log says it', async t => {
	const server = await hostileAuthServer(t, ['/token']);
	const {client, transport, stderr} = await connectThroughProxy(t, `${server.url}/mcp`, {
		args: ['--client-id', 'proxy', '--client-secret', 'oauth-secret-555', '--token-url', `${server.url}/token`],
		connect: false,
	});
	const error = await t.throwsAsync(client.connect(transport));
	const limit = /The answer from http:\/\/127\.0\.0\.1:\d+\/token exceeds the proxy's limit of 1048576 bytes \(a fixed limit for the answers of authorization servers\)/;
	t.regex(error.message, limit);
	t.true(await eventually(() => limit.test(stderr())));
	t.true(server.written() < serverMost / 2, `the server wrote ${server.written()} bytes`);
	t.false(stderr().includes('oauth-secret-555'));
});

for (const face of ['mcp', 'sse'] as const) {
	test.serial(`the remote (${face === 'mcp' ? 'Streamable HTTP' : 'legacy SSE'}) restarting on the same port: the next call succeeds without restarting the proxy`, async t => {
		const first = await startRemoteProcess(t);
		const {client, stderr} = await connectThroughProxy(t, first.urls[face], {args: ['--reconnect-delay', '100ms', '--reconnect-max-delay', '1s']});
		t.is(text(await client.callTool({name: 'echo', arguments: {text: 'before'}})), 'before');
		await first.stop();
		const second = await startRemoteProcess(t, ['--port', String(first.urls.port)]);
		t.is(second.urls.port, first.urls.port);
		t.is(text(await client.callTool({name: 'echo', arguments: {text: 'after'}})), 'after');
		const {initializeRequests} = await remoteStats(second.urls);
		t.true(initializeRequests >= 1);
		t.true(await eventually(() => stderr().includes('Reconnected to the remote server')), `${stderr()}`);
	});
}

test.serial('a session the remote expired is re-initialized transparently', async t => {
	const {urls} = await startRemoteProcess(t);
	const {client} = await connectThroughProxy(t, urls.mcp, {args: ['--reconnect-delay', '50ms']});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'a'}})), 'a');
	await admin(urls, 'expire-sessions');
	// The GET stream ends with the session; whether the next call meets the old session (404) or the new one, it is answered.
	const outcome = await client.callTool({name: 'echo', arguments: {text: 'b'}}).then(text, (error: unknown) => (error as Error).message);
	t.true(outcome === 'b' || outcome.includes('may or may not have been processed'), `${outcome}`);
	t.true(await eventually(async () => {
		const stats = await remoteStats(urls);
		return stats.initializeRequests === 2;
	}));
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'c'}})), 'c');
});

test.serial('a session the remote forgot (404: it is up) is re-initialized at once, not after the reconnect delay meant for a remote that is down', async t => {
	const {urls} = await startRemoteProcess(t);
	// A reconnect delay no test would wait for: the new session must not wait for it.
	const {client, stderr} = await connectThroughProxy(t, urls.mcp, {args: ['--reconnect-delay', '10m', '--reconnect-max-delay', '10m']});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'a'}})), 'a');
	await admin(urls, 'expire-sessions');
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'b'}})), 'b');
	t.regex(stderr(), /Lost the session with the remote server \(The remote server no longer knows session .* \(HTTP 404\)\); initializing a new one at once/);
	const {initializeRequests} = await remoteStats(urls);
	t.is(initializeRequests, 2);
});

test.serial('concurrent requests refused with 404 for an expired session are all sent again in the new session, each once', async t => {
	const {urls} = await startRemoteProcess(t);
	const gateway = await startGateway(t, urls.url);
	const {client} = await connectThroughProxy(t, `${gateway.url}/mcp`, {args: ['--reconnect-delay', '50ms']});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'before'}})), 'before');
	const oldSession = gateway.log.at(-1)!.session;
	t.truthy(oldSession);
	await admin(urls, 'expire-sessions');
	const texts = [1, 2, 3, 4, 5].map(index => `concurrent ${index}`);
	const results = await Promise.all(texts.map(async value => client.callTool({name: 'echo', arguments: {text: value}}).then(text, (error: unknown) => (error as Error).message)));
	t.deepEqual(results, texts);
	for (const value of texts) {
		const posts = gateway.log.filter(entry => entry.method === 'POST' && entry.body.includes(`"text":"${value}"`));
		const processed = posts.filter(entry => entry.status !== 404);
		t.is(processed.length, 1, `${value}: ${JSON.stringify(posts)}`);
		t.not(processed[0]!.session, oldSession);
		t.true(posts.filter(entry => entry.status === 404).every(entry => entry.session === oldSession));
	}

	// The test is about requests that met the old session.
	t.true(gateway.log.some(entry => entry.method === 'POST' && entry.status === 404 && entry.session === oldSession));
});

test.serial('a remote that stays down: requests are answered with an error that says so, and the proxy keeps trying', async t => {
	const remote = await startRemoteProcess(t);
	const {client, stderr} = await connectThroughProxy(t, remote.urls.mcp, {args: ['--reconnect-delay', '100ms', '--reconnect-max-delay', '400ms']});
	await remote.stop();
	const error = await t.throwsAsync(client.callTool({name: 'echo', arguments: {text: 'x'}}));
	t.regex(error.message, /unreachable .*ECONNREFUSED.*keeps trying|may or may not have been processed/);
	const again = await t.throwsAsync(client.callTool({name: 'echo', arguments: {text: 'y'}}));
	t.regex(again.message, /The remote server is unreachable \(.*\); the proxy keeps trying to reconnect/);
	// The error response is written before the log line, and the two pipes are read independently.
	t.true(await eventually(() => /Reconnection attempt \d+ failed/.test(stderr())), 'the log names the failed reconnection attempt');
});

for (const [mode, expected] of [
	['invalid-json', /not valid JSON/],
	['html', /HTTP 502 Bad Gateway/],
	['http-500', /HTTP 500 Internal Server Error/],
	['cut', /ended the response stream before answering/],
] as const) {
	test.serial(`bad input from the remote (${mode}): an error for that request, a clear line on stderr, and the proxy keeps serving`, async t => {
		const {urls} = await startRemoteProcess(t);
		const {client, stderr} = await connectThroughProxy(t, urls.mcp);
		const error = await t.throwsAsync(client.callTool({name: 'misbehave', arguments: {mode}}));
		t.regex(error.message, expected);
		t.true(await eventually(() => expected.test(stderr())), `${stderr()}`);
		t.is(text(await client.callTool({name: 'echo', arguments: {text: 'still serving'}})), 'still serving');
	});
}

for (const [mode, kind] of [['endless-json', 'a chunked JSON answer'], ['endless-event', 'an SSE event']] as const) {
	test.serial(`${kind} of the remote that grows past --max-message-bytes is not buffered: the call gets -32003 naming the limit and the flag, and the proxy keeps serving`, async t => {
		const {urls} = await startRemoteProcess(t);
		const {client, stderr} = await connectThroughProxy(t, urls.mcp, {args: ['--max-message-bytes', '1MiB']});
		const error = await t.throwsAsync(client.callTool({name: 'misbehave', arguments: {mode, bytes: 300 * 1024 * 1024}}));
		t.regex(error.message, /-32003.*exceeds the proxy's limit of 1048576 bytes \(raise it with --max-message-bytes\)/);
		t.is(text(await client.callTool({name: 'echo', arguments: {text: 'still serving'}})), 'still serving');
		// The proxy stopped reading at the limit: the remote could write little more than what fills the socket buffers, not 300 MiB.
		const {endlessBytes} = await remoteStats(urls);
		t.true(endlessBytes < 64 * 1024 * 1024, `the remote wrote ${endlessBytes} bytes`);
		t.true(await eventually(() => stderr().includes('exceeds the proxy\'s limit of 1048576 bytes')), `${stderr()}`);
	});
}

test.serial('requests written just before standard input ends are still answered (echo REQUESTS | mcp-proxy URL), then the session is deleted', async t => {
	const {urls} = await startRemoteProcess(t);
	const call = {
		jsonrpc: '2.0', id: 2, method: 'tools/call', params: {name: 'slow', arguments: {ms: 300}},
	};
	const input = `${initializeLine}${JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'})}\n${JSON.stringify(call)}\n`;
	// All at once, and the end of input right behind: before the proxy has even connected.
	const {exitCode, stdout} = await execa(process.execPath, [cli, urls.mcp], {input, reject: false, timeout: 30_000});
	t.is(exitCode, 0);
	const messages = stdout.trim().split('\n').map(line => JSON.parse(line) as {id: number; result?: {content?: Array<{text: string}>}});
	t.deepEqual(messages.map(message => message.id), [1, 2]);
	t.is(messages[1]!.result?.content?.[0]?.text, 'slept 300 ms');
	t.true(await eventually(async () => {
		const {deleteRequests} = await remoteStats(urls);
		return deleteRequests === 1;
	}));
});

test.serial('the end of standard input deletes the session and exits 0; nothing but MCP messages on standard output', async t => {
	const {urls} = await startRemoteProcess(t);
	const proxy = execa(process.execPath, [cli, urls.mcp, '--debug'], {stdin: 'pipe', reject: false, timeout: 20_000});
	t.teardown(() => {
		proxy.kill('SIGKILL');
	});
	let stdout = '';
	proxy.stdout.setEncoding('utf8');
	proxy.stdout.on('data', (chunk: string) => {
		stdout += chunk;
	});
	proxy.stdin.write(initializeLine);
	// A fresh process's first answer: generous bounds, as the whole suite runs at once on two cores.
	t.true(await eventually(() => stdout.includes('\n'), 15_000));
	proxy.stdin.write(`${JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'})}\n${JSON.stringify({jsonrpc: '2.0', id: 2, method: 'tools/list'})}\n`);
	t.true(await eventually(() => stdout.trim().split('\n').length === 2, 15_000));
	proxy.stdin.end();
	const {exitCode, stderr} = await proxy;
	t.is(exitCode, 0);
	t.regex(stderr, /\[D .*Deleted session/);
	const messages = stdout.trim().split('\n').map(line => JSON.parse(line) as {jsonrpc: string; id: number});
	t.deepEqual(messages.map(message => [message.jsonrpc, message.id]), [['2.0', 1], ['2.0', 2]]);
	const {deleteRequests} = await remoteStats(urls);
	t.is(deleteRequests, 1);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
	test.serial(`${signal} deletes the session and exits 0`, async t => {
		const {urls} = await startRemoteProcess(t);
		// The proxy gives its own shutdown 5 s before it exits anyway (with code 1): execa's SIGKILL, 5 s after `kill()` by default, must not race that deadline on a loaded machine.
		const proxy = execa(process.execPath, [cli, urls.mcp, '--debug'], {
			stdin: 'pipe', reject: false, timeout: 40_000, forceKillAfterDelay: 15_000,
		});
		t.teardown(() => {
			proxy.kill('SIGKILL');
		});
		let log = '';
		proxy.stderr.on('data', (chunk: Uint8Array) => {
			log += String(chunk);
		});
		proxy.stdin.write(initializeLine);
		// Generous: on a loaded 2-core machine, starting Node and the first exchange has taken over 10 s.
		t.true(await eventually(async () => {
			const stats = await remoteStats(urls);
			return stats.sessions === 1;
		}, 25_000), `no session at the remote; the proxy's log: ${log}`);
		proxy.kill(signal);
		const {exitCode, signal: killedBy, durationMs, stderr} = await proxy;
		// A kill by signal (execa's SIGKILL 15 s after the SIGTERM, say) shows as no exit code: say which, and when.
		t.is(exitCode, 0, `killed by ${String(killedBy)} after ${Math.round(durationMs)} ms; ${String(stderr)}`);
		const {deleteRequests} = await remoteStats(urls);
		t.is(deleteRequests, 1);
		t.true(await waitForExit(proxy.pid!, 1000));
		t.regex(stderr, /\[D .*Exiting with code 0/);
	});
}

test.serial('TLS: a self-signed server is refused by default, trusted with --verify-ssl CA_PATH, reached with --no-verify-ssl', async t => {
	const {urls} = await startRemoteProcess(t, ['--tls-cert', fixture('tls/cert.pem'), '--tls-key', fixture('tls/key.pem')]);
	t.regex(urls.mcp, /^https:/);
	const refused = await connectThroughProxy(t, urls.mcp, {connect: false});
	const error = await t.throwsAsync(refused.client.connect(refused.transport));
	t.regex(error.message, /self-signed certificate|self_signed/i);
	t.true(await eventually(() => refused.stderr().includes('--verify-ssl CA_PATH')), `${refused.stderr()}`);

	for (const args of [['--verify-ssl', fixture('tls/cert.pem')], ['--no-verify-ssl']]) {
		// eslint-disable-next-line no-await-in-loop
		const {client} = await connectThroughProxy(t, urls.mcp, {args});
		// eslint-disable-next-line no-await-in-loop
		t.is(text(await client.callTool({name: 'echo', arguments: {text: 'tls'}})), 'tls');
	}
});

/**
A forward proxy on loopback that tunnels `CONNECT` requests and notes each tunnel's target (`host:port`).
*/
async function forwardProxy(t: ExecutionContext): Promise<{url: string; tunnels: string[]}> {
	const tunnels: string[] = [];
	const server = http.createServer((_request, response) => {
		response.writeHead(405).end();
	});
	server.on('connect', (request: http.IncomingMessage, socket: Duplex, head: Uint8Array) => {
		const target = request.url ?? '';
		tunnels.push(target);
		const colon = target.lastIndexOf(':');
		const upstream = net.connect(Number(target.slice(colon + 1)), target.slice(0, colon), () => {
			socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
			upstream.write(head);
			upstream.pipe(socket);
			socket.pipe(upstream);
		});
		upstream.on('error', () => {
			socket.destroy();
		});
		socket.on('error', () => {
			upstream.destroy();
		});
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels};
}

test.serial('HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured as by the Python tool\'s HTTP client: requests are tunnelled through the forward proxy; SSL_CERT_FILE adds a CA', async t => {
	const proxy = await forwardProxy(t);
	const secure = await startRemoteProcess(t, ['--tls-cert', fixture('tls/cert.pem'), '--tls-key', fixture('tls/key.pem')]);
	const throughProxy = await connectThroughProxy(t, secure.urls.mcp, {env: {HTTPS_PROXY: proxy.url, SSL_CERT_FILE: fixture('tls/cert.pem')}});
	t.is(text(await throughProxy.client.callTool({name: 'echo', arguments: {text: 'tunnelled'}})), 'tunnelled');
	t.true(proxy.tunnels.includes(new URL(secure.urls.mcp).host), `tunnels: ${proxy.tunnels.join(', ')}`);

	const plain = await startRemoteProcess(t);
	proxy.tunnels.length = 0;
	const direct = await connectThroughProxy(t, plain.urls.mcp, {env: {HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1'}});
	t.is(text(await direct.client.callTool({name: 'echo', arguments: {text: 'direct'}})), 'direct');
	t.deepEqual(proxy.tunnels, [], 'NO_PROXY names the host');
	const proxied = await connectThroughProxy(t, plain.urls.mcp, {env: {http_proxy: proxy.url}});
	t.is(text(await proxied.client.callTool({name: 'echo', arguments: {text: 'proxied'}})), 'proxied');
	t.true(proxy.tunnels.includes(new URL(plain.urls.mcp).host), 'the lower-case name counts too');
});

test('as a library: clientMode links the client to the upstream; on `stop` the request in flight is answered with an error and the mode completes', async t => {
	t.timeout(10_000);
	const stop = new Subject<void>();
	const toClient: Message[] = [];
	const toUpstream: Message[] = [];
	const request = {
		jsonrpc: '2.0', id: 7, method: 'tools/call', params: {name: 'slow'},
	} as const;
	// Like our standard input and output: the client's side ends when what it is sent ends.
	const client: Transport = outgoing$ => merge(of(request), outgoing$.pipe(tap(message => {
		toClient.push(message);
	}), ignoreElements()));

	const upstream: Transport = outgoing$ => outgoing$.pipe(tap(message => {
		toUpstream.push(message);
		stop.next();
	}), ignoreElements());
	const done = lastValueFrom(clientMode({
		client, upstream, stop, logger: createLogger({level: 'silent'}),
	}), {defaultValue: 'completed'});
	t.is(await done, 'completed');
	t.like(toUpstream, [{id: 7, method: 'tools/call'}]);
	t.is(toClient.length, 1);
	t.like(toClient[0], {id: 7, error: {code: -32_000}});
});

test('as a library: two client modes in one process with redactors of their own hide their own secrets, not each other\'s', async t => {
	t.timeout(10_000);
	const quoted = 'the remote said: mode-a-secret-1234 mode-b-secret-5678';
	const run = async (redactor: Redactor) => {
		const stop = new Subject<void>();
		const toClient: Message[] = [];
		const lines: string[] = [];
		const client: Transport = outgoing$ => merge(of({
			jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name: 'echo'},
		} as Message), outgoing$.pipe(tap(message => {
			toClient.push(message);
			stop.next();
		}), ignoreElements()));
		// A remote that quotes back whatever it was given, secrets included.
		const upstream: Transport = outgoing$ => outgoing$.pipe(map((message): Message => ({
			jsonrpc: '2.0', id: (message as {id: number}).id, error: {code: -32_000, message: quoted},
		})));
		const logger = createLogger({
			redactor,
			write(line) {
				lines.push(line);
			},
		});
		await lastValueFrom(clientMode({
			client, upstream, stop, redactor, logger,
		}), {defaultValue: undefined});
		logger.error(quoted);
		return {toClient, lines};
	};

	const first = createRedactor();
	first.add('mode-a-secret-1234');
	const second = createRedactor();
	second.addNamed('Authorization', 'Bearer mode-b-secret-5678');
	const [a, b] = await Promise.all([run(first), run(second)]);
	t.like(a.toClient, [{id: 1, error: {message: 'the remote said: *** mode-b-secret-5678'}}]);
	t.like(b.toClient, [{id: 1, error: {message: 'the remote said: mode-a-secret-1234 ***'}}]);
	t.true(a.lines.at(-1)!.endsWith('the remote said: *** mode-b-secret-5678\n'));
	t.true(b.lines.at(-1)!.endsWith('the remote said: mode-a-secret-1234 ***\n'));
});
