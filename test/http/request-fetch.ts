// `requestFetch`: the remote transports' `fetch` on undici's `request`. It must behave as `fetch` wherever the
// transports can tell, against a real HTTP server on 127.0.0.1.
import {once} from 'node:events';
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import test, {type ExecutionContext} from 'ava';
import {httpAgent} from '../../source/http/http-agent.js';
import {describeFetchError, isAbort, isConnectFailure} from '../../source/http/connect-errors.js';
import {requestFetch} from '../../source/http/request-fetch.js';
import {serveOnLoopback} from '../helpers/loopback-server.js';

async function serve(t: ExecutionContext, handler: (request: IncomingMessage, response: ServerResponse, body: string) => void): Promise<string> {
	const server = createServer((request, response) => {
		let body = '';
		request.setEncoding('utf8');
		request.on('data', (chunk: string) => {
			body += chunk;
		});
		request.on('end', () => {
			handler(request, response, body);
		});
	});
	return serveOnLoopback(t, server);
}

const fetchOf = () => requestFetch(httpAgent());

test('a POST with a string body: status, headers and text as fetch gives them', async t => {
	const base = await serve(t, (request, response, body) => {
		response.writeHead(201, {'content-type': 'application/json', 'x-seen': `${request.method} ${String(request.headers['x-custom'])} ${body}`});
		response.end('{"ok":true}');
	});
	const response = await fetchOf()(`${base}/mcp`, {method: 'POST', headers: {'x-custom': 'yes'}, body: 'hello'});
	t.is(response.status, 201);
	t.true(response.ok);
	t.is(response.headers.get('content-type'), 'application/json');
	t.is(response.headers.get('X-Seen'), 'POST yes hello');
	t.deepEqual(await response.json(), {ok: true});
});

test('an event stream is read chunk by chunk through body.getReader(), as it arrives', async t => {
	let finish: (() => void) | undefined;
	const base = await serve(t, (_request, response) => {
		response.writeHead(200, {'content-type': 'text/event-stream'});
		response.write('data: one\n\n');
		finish = () => {
			response.end('data: two\n\n');
		};
	});
	const response = await fetchOf()(`${base}/mcp`, {method: 'POST', body: '{}'});
	const reader = response.body!.getReader();
	const decoder = new TextDecoder();
	const first = await reader.read();
	t.is(decoder.decode(first.value), 'data: one\n\n', 'the first event arrives before the stream ends');
	finish!();
	let rest = '';
	for (;;) {
		// eslint-disable-next-line no-await-in-loop
		const {done, value} = await reader.read();
		if (done) {
			break;
		}

		rest += decoder.decode(value);
	}

	t.is(rest, 'data: two\n\n');
});

test('cancelling a stream that never ends closes it quietly', async t => {
	const base = await serve(t, (_request, response) => {
		response.writeHead(200, {'content-type': 'text/event-stream'});
		response.write(': open\n\n');
	});
	const response = await fetchOf()(`${base}/mcp`);
	const reader = response.body!.getReader();
	await reader.read();
	await response.body!.cancel();
	await t.notThrowsAsync(reader.closed);
});

test('a 307 within the origin is followed once, the request repeated there with its body; other redirects as fetch does', async t => {
	const hits: string[] = [];
	const base = await serve(t, (request, response, body) => {
		hits.push(`${request.method!} ${request.url!}`);
		if (request.url === '/mcp') {
			response.writeHead(307, {location: '/mcp/'}).end();
			return;
		}

		if (request.url === '/moved') {
			response.writeHead(303, {location: '/mcp/'}).end();
			return;
		}

		response.end(`${request.url!} ${body} ${String(request.headers['user-agent'])}`);
	});
	const response = await fetchOf()(`${base}/mcp`, {method: 'POST', body: 'kept'});
	t.regex(await response.text(), /^\/mcp\/ kept rx-mcp-proxy\/\d/);
	t.is(response.url, `${base}/mcp/`);
	t.deepEqual(hits, ['POST /mcp', 'POST /mcp/']);
	hits.length = 0;
	const seeOther = await fetchOf()(`${base}/moved`, {method: 'POST', body: 'dropped'});
	t.regex(await seeOther.text(), /^\/mcp\/ {2}/, 'a 303 becomes a GET without a body, as fetch makes it');
});

test('the server\'s reason phrase is the statusText, and multi-valued headers are kept', async t => {
	const base = await serve(t, (_request, response) => {
		response.statusMessage = 'Custom Reason';
		response.setHeader('set-cookie', ['a=1', 'b=2']);
		response.writeHead(418).end();
	});
	const response = await fetchOf()(`${base}/mcp`);
	t.is(response.status, 418);
	t.is(response.statusText, 'Custom Reason');
	t.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
});

test('a refused connection is a TypeError("fetch failed") whose cause the transports recognise', async t => {
	const base = await serve(t, () => undefined);
	const {port} = new URL(base);
	// Nothing listens on the port once the server is gone.
	const server = createServer();
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const free = (server.address() as AddressInfo).port;
	server.close();
	await once(server, 'close');
	t.not(String(free), port);
	const error = await t.throwsAsync(fetchOf()(`http://127.0.0.1:${free}/mcp`, {method: 'POST', body: '{}'}));
	t.is(error.name, 'TypeError');
	t.is(error.message, 'fetch failed');
	t.true(isConnectFailure(error));
	t.regex(describeFetchError(error), /ECONNREFUSED/);
});

test('an abort, before the answer or while its body streams, rejects with the signal\'s reason or an AbortError, as fetch does', async t => {
	const base = await serve(t, (request, response) => {
		if (request.url === '/slow') {
			return;
		}

		response.writeHead(200, {'content-type': 'text/event-stream'});
		response.write('data: one\n\n');
	});
	const early = new AbortController();
	const pending = fetchOf()(`${base}/slow`, {signal: early.signal});
	setTimeout(() => {
		early.abort();
	}, 50);
	const before = await t.throwsAsync(pending, {any: true});
	t.is(before, early.signal.reason);

	const late = new AbortController();
	const response = await fetchOf()(`${base}/stream`, {signal: late.signal});
	const reader = response.body!.getReader();
	await reader.read();
	late.abort();
	const during = await t.throwsAsync(reader.read(), {any: true});
	t.true(during === late.signal.reason || isAbort(during), `${String(during)}`);

	const already = new AbortController();
	already.abort();
	const at = await t.throwsAsync(fetchOf()(`${base}/stream`, {signal: already.signal}), {any: true});
	t.is(at, already.signal.reason);
});
