import {Buffer} from 'node:buffer';
import {once} from 'node:events';
import {connect} from 'node:net';
import test from 'ava';
import {httpListener} from '../../source/listeners/http-listener.js';
import {
	connectStreamable,
	eventually,
	startListener,
	textOf,
} from '../helpers/listener.js';
import {
	initializeBody,
	postHeaders,
	raw,
	rawSession,
	rawStatus,
} from '../helpers/raw-http.js';

const ping = (id: number | string = 5) => JSON.stringify({jsonrpc: '2.0', id, method: 'ping'});

test('bad bodies: invalid JSON is 400 -32700, a non-JSON-RPC body is 400 -32600, a wrong Content-Type is 415', async t => {
	const {port} = await startListener(t);
	const invalid = await raw(port, {
		method: 'POST', path: '/mcp', headers: postHeaders, body: '{"jsonrpc": "2.0", "id": 1,',
	});
	t.is(invalid.status, 400);
	t.like(invalid.json(), {jsonrpc: '2.0', id: null, error: {code: -32_700}});

	for (const body of ['{"hello": "world"}', '[]', '42', '{"jsonrpc": "1.0", "id": 1, "method": "ping"}', '{"jsonrpc": "2.0", "id": null, "method": "ping"}']) {
		// eslint-disable-next-line no-await-in-loop
		const response = await raw(port, {
			method: 'POST', path: '/mcp', headers: postHeaders, body,
		});
		t.is(response.status, 400, `${body}`);
		t.like(response.json(), {jsonrpc: '2.0', id: null, error: {code: -32_600}}, `${body}`);
	}

	const wrongType = await raw(port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, 'content-type': 'text/plain'}, body: initializeBody(),
	});
	t.is(wrongType.status, 415);
});

test('oversized bodies are refused with 413, declared or streamed, and the listener carries on', async t => {
	const {port, url} = await startListener(t, {maxBodyBytes: 4096});
	// Only headers, declaring a large body: the 413 comes without a byte of the body read.
	const socket = connect(port, '127.0.0.1');
	t.teardown(() => {
		socket.destroy();
	});
	socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000000\r\n\r\n`);
	const [head] = await once(socket, 'data') as [Uint8Array];
	t.regex(new TextDecoder().decode(head), /^HTTP\/1\.1 413 /);
	t.true(await new Promise<boolean>(resolve => {
		socket.once('close', () => {
			resolve(true);
		});
		setTimeout(() => {
			resolve(false);
		}, 5000);
	}), 'the connection is closed after the 413');

	const declared = await raw(port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, 'content-length': String(1024 * 1024)}, body: 'x'.repeat(1024 * 1024),
	}).catch((error: unknown) => error as Error);
	if (declared instanceof Error) {
		// The server may close before the client finished writing; the answer must still have been 413.
		t.regex(declared.message, /EPIPE|ECONNRESET|socket hang up/);
	} else {
		t.is(declared.status, 413);
		t.like(declared.json(), {error: {code: -32_600}});
	}

	// Chunked: no Content-Length, the body grows past the limit.
	const streamed = await fetch(`${url}/mcp`, {
		method: 'POST',
		headers: postHeaders,
		body: new ReadableStream({
			start(controller) {
				controller.enqueue(new TextEncoder().encode(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'y'.repeat(8000)}"}}`));
				controller.close();
			},
		}),
		duplex: 'half',
	} as RequestInit).catch((error: unknown) => error as Error);
	// The connection may be closed while the client is still sending; if an answer came, it is 413.
	const streamedStatus = streamed instanceof Error ? 413 : streamed.status;
	t.is(streamedStatus, 413);
	if (!(streamed instanceof Error)) {
		await streamed.body?.cancel();
	}

	const small = await raw(port, {
		method: 'POST', path: '/mcp', headers: postHeaders, body: initializeBody(),
	});
	t.is(small.status, 200);
});

test('a refusal names the limit\'s setting: the listener\'s option by default, the name a caller gives (a CLI flag) otherwise', async t => {
	const body = JSON.stringify({
		jsonrpc: '2.0', id: 1, method: 'ping', params: {pad: 'x'.repeat(200)},
	});
	const plain = await startListener(t, {maxBodyBytes: 100});
	const byOption = await raw(plain.port, {
		method: 'POST', path: '/mcp', headers: postHeaders, body,
	});
	const named = await startListener(t, {maxBodyBytes: 100, settingNames: {maxBodyBytes: '--max-body-bytes'}});
	const byFlag = await raw(named.port, {
		method: 'POST', path: '/mcp', headers: postHeaders, body,
	});
	t.is(byOption.status, 413);
	t.like(byOption.json(), {error: {message: 'The request body is larger than 100 bytes, the proxy\'s limit (raise it with the `maxBodyBytes` option)'}});
	t.is(byFlag.status, 413);
	t.like(byFlag.json(), {error: {message: 'The request body is larger than 100 bytes, the proxy\'s limit (raise it with --max-body-bytes)'}});
	t.throws(() => httpListener({settingNames: {maxBodyBytes: 5 as unknown as string}}), {instanceOf: TypeError, message: /`settingNames`/});
});

test('sessions: missing id is 400, unknown id is 404 (never 401), garbage protocol versions are 400', async t => {
	const {port, url} = await startListener(t, {apiKey: 'sekrit-key-1234'});
	const auth = {authorization: 'Bearer sekrit-key-1234'};
	const missing = await raw(port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, ...auth}, body: ping(),
	});
	t.is(missing.status, 400);
	t.like(missing.json(), {jsonrpc: '2.0', error: {code: -32_000}});

	for (const method of ['POST', 'GET', 'DELETE']) {
		// eslint-disable-next-line no-await-in-loop
		const unknown = await raw(port, {
			method, path: '/mcp', headers: {...postHeaders, ...auth, 'mcp-session-id': 'no-such-session'}, body: method === 'POST' ? ping() : undefined,
		});
		t.is(unknown.status, 404, `${method}`);
		t.like(unknown.json(), {error: {code: -32_001, message: 'Session not found'}});
	}

	const initialize = await fetch(`${url}/mcp`, {method: 'POST', headers: {...postHeaders, ...auth}, body: initializeBody()});
	const id = initialize.headers.get('mcp-session-id')!;
	await initialize.json();
	let nextId = 10;
	const withVersion = async (version: string) => rawStatus(port, {
		method: 'POST', path: '/mcp', headers: {
			...postHeaders, ...auth, 'mcp-session-id': id, 'mcp-protocol-version': version,
		}, body: ping(nextId++),
	});
	t.is(await withVersion('not-a-version'), 400);
	t.is(await withVersion('1999-01-01'), 400);
	t.is(await withVersion('2025-06-18'), 200);
	t.is(await withVersion('2099-12-31'), 200, 'a newer date-shaped version is passed through');

	const again = await raw(port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, ...auth, 'mcp-session-id': id}, body: initializeBody(2),
	});
	t.is(again.status, 400, 'a session is initialized once');
});

test('Accept: requests need JSON and SSE (406), notifications are taken without, GET needs SSE', async t => {
	const {port, url} = await startListener(t);
	const noAccept = await raw(port, {
		method: 'POST', path: '/mcp', headers: {'content-type': 'application/json'}, body: initializeBody(),
	});
	t.is(noAccept.status, 406);
	const jsonOnly = await raw(port, {
		method: 'POST', path: '/mcp', headers: {'content-type': 'application/json', accept: 'application/json'}, body: initializeBody(),
	});
	t.is(jsonOnly.status, 406);
	t.like(jsonOnly.json(), {jsonrpc: '2.0', id: null, error: {code: -32_000}});

	const id = await rawSession(`${url}/mcp`);
	const notification = await raw(port, {
		method: 'POST', path: '/mcp', headers: {'content-type': 'application/json', 'mcp-session-id': id}, body: JSON.stringify({jsonrpc: '2.0', method: 'notifications/roots/list_changed'}),
	});
	t.is(notification.status, 202);
	t.is(notification.text, '');
	const wildcard = await raw(port, {
		method: 'POST', path: '/mcp', headers: {'content-type': 'application/json', accept: '*/*', 'mcp-session-id': id}, body: ping(),
	});
	t.is(wildcard.status, 200);
	const get = await raw(port, {method: 'GET', path: '/mcp', headers: {accept: 'application/json', 'mcp-session-id': id}});
	t.is(get.status, 406);
	const conflict = await fetch(`${url}/mcp`, {headers: {accept: 'text/event-stream', 'mcp-session-id': id}});
	t.is(conflict.status, 200);
	const second = await raw(port, {method: 'GET', path: '/mcp', headers: {accept: 'text/event-stream', 'mcp-session-id': id}});
	t.is(second.status, 409);
	await conflict.body?.cancel();
});

test('Origin: foreign origins get 403 with a JSON-RPC body; no Origin, localhost pages and allowOrigins pass', async t => {
	const plain = await startListener(t);
	const foreign = await raw(plain.port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, origin: 'https://evil.example'}, body: initializeBody(),
	});
	t.is(foreign.status, 403);
	t.like(foreign.json(), {jsonrpc: '2.0', id: null, error: {code: -32_000}});
	t.is(await rawStatus(plain.port, {method: 'GET', path: '/sse', headers: {origin: 'https://evil.example'}}), 403);
	t.is(await rawStatus(plain.port, {method: 'GET', path: '/status', headers: {origin: 'null'}}), 403);
	for (const origin of ['http://localhost:6274', 'http://127.0.0.1', 'https://[::1]:9000']) {
		// eslint-disable-next-line no-await-in-loop
		const local = await raw(plain.port, {
			method: 'POST', path: '/mcp', headers: {...postHeaders, origin}, body: initializeBody(),
		});
		t.is(local.status, 200, `${origin}`);
		t.is(local.headers['access-control-allow-origin'], undefined, 'no CORS headers without allowOrigins');
	}

	const listed = await startListener(t, {allowOrigins: ['https://app.example']});
	const allowed = await raw(listed.port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, origin: 'https://app.example'}, body: initializeBody(),
	});
	t.is(allowed.status, 200);
	t.is(allowed.headers['access-control-allow-origin'], 'https://app.example');
	t.is(allowed.headers['access-control-expose-headers'], 'Mcp-Session-Id');
	t.is(await rawStatus(listed.port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, origin: 'https://other.example'}, body: initializeBody(),
	}), 403);
});

test('Host: a loopback listener refuses foreign Host headers (DNS rebinding) and takes localhost ones', async t => {
	const {port} = await startListener(t);
	for (const host of ['evil.example', 'evil.example:80', `attacker.test:${port}`, '10.0.0.1']) {
		// eslint-disable-next-line no-await-in-loop
		const response = await raw(port, {
			method: 'POST', path: '/mcp', headers: {...postHeaders, host}, body: initializeBody(),
		});
		t.is(response.status, 403, `${host}`);
		t.like(response.json(), {error: {code: -32_000}});
	}

	for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
		// eslint-disable-next-line no-await-in-loop
		const response = await raw(port, {
			method: 'POST', path: '/mcp', headers: {...postHeaders, host}, body: initializeBody(),
		});
		t.is(response.status, 200, `${host}`);
	}
});

/**
Send `head` (request line and header lines, no final blank line) and `body` on a fresh socket; resolves to the status line and the body (bounded: 10 s).
*/
async function rawSocket(port: number, head: string, body = ''): Promise<{status: number; text: string}> {
	const socket = connect(port, '127.0.0.1');
	socket.setEncoding('utf8');
	let received = '';
	socket.on('data', (chunk: string) => {
		received += chunk;
	});
	socket.on('error', () => {
		// Reset by the server: what it sent before counts.
	});
	const timer = setTimeout(() => {
		socket.destroy();
	}, 10_000);
	// Not ended: the server closes the connection once it has answered (Connection: close).
	socket.write(`${head}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
	await once(socket, 'close');
	clearTimeout(timer);
	const [, status = '0'] = /^HTTP\/1\.1 (\d{3})/.exec(received) ?? [];
	return {status: Number(status), text: received.slice(received.indexOf('\r\n\r\n') + 4)};
}

test('a header the proxy decides on (Host, Authorization, X-API-Key, Origin, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID) sent twice is 400; others pass', async t => {
	const {port, url} = await startListener(t);
	const key = 'X-API-Key: a-key';
	const session = await rawSession(`${url}/mcp`);
	const post = (lines: string[]) => ['POST /mcp HTTP/1.1', 'Accept: application/json, text/event-stream', ...lines].join('\r\n');
	const repeated: Array<[string, string[]]> = [
		['Host', ['Host: localhost', 'Host: evil.example', 'Content-Type: application/json', key]],
		['host', ['Host: localhost', 'host: localhost', 'Content-Type: application/json', key]],
		['Authorization', ['Host: localhost', 'Content-Type: application/json', 'Authorization: Bearer a-key', 'Authorization: Bearer another']],
		['X-API-Key', ['Host: localhost', 'Content-Type: application/json', key, 'X-API-Key: another']],
		['Origin', ['Host: localhost', 'Content-Type: application/json', key, 'Origin: http://localhost:3000', 'Origin: https://evil.example']],
		['Content-Type', ['Host: localhost', 'Content-Type: application/json', 'Content-Type: text/plain', key]],
		['Mcp-Session-Id', ['Host: localhost', 'Content-Type: application/json', key, `Mcp-Session-Id: ${session}`, `Mcp-Session-Id: ${session}`]],
		['MCP-Protocol-Version', ['Host: localhost', 'Content-Type: application/json', key, `Mcp-Session-Id: ${session}`, 'MCP-Protocol-Version: 2025-06-18', 'MCP-Protocol-Version: 2025-03-26']],
		['Last-Event-ID', ['Host: localhost', 'Content-Type: application/json', key, `Mcp-Session-Id: ${session}`, 'Last-Event-ID: g1-1', 'Last-Event-ID: g1-2']],
	];
	for (const [name, lines] of repeated) {
		// eslint-disable-next-line no-await-in-loop
		const answer = await rawSocket(port, post(lines), ping(7));
		t.is(answer.status, 400, `two ${name} headers`);
		t.like(JSON.parse(answer.text) as unknown, {jsonrpc: '2.0', error: {message: `Bad Request: more than one ${name} header`}}, `two ${name} headers`);
	}

	const fine = await rawSocket(port, post([
		'Host: localhost', 'Content-Type: application/json', `Mcp-Session-Id: ${session}`, 'MCP-Protocol-Version: 2025-06-18', 'X-Trace: 1', 'X-Trace: 2', 'Accept-Language: en',
	]), ping(8));
	t.is(fine.status, 200, 'repeated headers the proxy does not decide on pass');
	t.like(JSON.parse(fine.text) as unknown, {id: 8, result: {}});
	const twoLengths = await rawSocket(port, post(['Host: localhost', 'Content-Type: application/json', 'Content-Length: 2']), '{}');
	t.is(twoLengths.status, 400, 'two Content-Length headers: Node\'s parser refuses them');
});

test('API key: missing or wrong is 401 with WWW-Authenticate, Bearer and X-API-Key pass, /status needs it too', async t => {
	const {port} = await startListener(t, {apiKey: 'the-right-key', status: () => ({statusCode: 200, body: {ok: true}})});
	const wrong: Array<Record<string, string>> = [{}, {authorization: 'Bearer the-wrong-key'}, {'x-api-key': 'the-right-ke'}, {authorization: 'Basic the-right-key'}];
	for (const headers of wrong) {
		// eslint-disable-next-line no-await-in-loop
		const response = await raw(port, {
			method: 'POST', path: '/mcp', headers: {...postHeaders, ...headers}, body: initializeBody(),
		});
		t.is(response.status, 401, `${JSON.stringify(headers)}`);
		t.is(response.headers['www-authenticate'], 'Bearer');
		t.like(response.json(), {jsonrpc: '2.0', error: {code: -32_000}});
	}

	t.is(await rawStatus(port, {path: '/status'}), 401);
	const status = await raw(port, {path: '/status', headers: {'x-api-key': 'the-right-key'}});
	t.is(status.status, 200);
	t.deepEqual(status.json(), {ok: true});
	t.is(await rawStatus(port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, authorization: 'bearer the-right-key'}, body: initializeBody(),
	}), 200);
	t.is(await rawStatus(port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, 'x-api-key': 'the-right-key'}, body: initializeBody(),
	}), 200);
});

test('without the API key, a named server that exists and one that does not look alike: OPTIONS, GET, POST and DELETE', async t => {
	const {port} = await startListener(t, {apiKey: 'the-right-key', servers: ['', 'alpha'], allowOrigins: ['https://app.example']});
	const seen = (response: Awaited<ReturnType<typeof raw>>) => {
		const {date, ...headers} = response.headers;
		return {status: response.status, headers, text: response.text};
	};

	const requests: Array<Parameters<typeof raw>[1]> = [
		{method: 'OPTIONS', path: '/servers/NAME/mcp', headers: {origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type'}},
		{method: 'OPTIONS', path: '/servers/NAME/sse'},
		{method: 'OPTIONS', path: '/servers/NAME/messages/?session_id=x'},
		{method: 'GET', path: '/servers/NAME/sse', headers: {accept: 'text/event-stream'}},
		{method: 'GET', path: '/servers/NAME/mcp', headers: {accept: 'text/event-stream', 'mcp-session-id': 'x'}},
		{
			method: 'POST', path: '/servers/NAME/mcp', headers: {...postHeaders, authorization: 'Bearer wrong'}, body: initializeBody(),
		},
		{
			method: 'POST', path: '/servers/NAME/messages/?session_id=x', headers: postHeaders, body: ping(),
		},
		{method: 'DELETE', path: '/servers/NAME/mcp', headers: {'mcp-session-id': 'x'}},
	];
	for (const request of requests) {
		const label = `${request.method!} ${request.path}`;
		// eslint-disable-next-line no-await-in-loop
		const known = seen(await raw(port, {...request, path: request.path.replace('NAME', 'alpha')}));
		// eslint-disable-next-line no-await-in-loop
		const unknown = seen(await raw(port, {...request, path: request.path.replace('NAME', 'beta')}));
		t.deepEqual(unknown, known, label);
		t.not(known.status, 404, label);
	}

	// With the key, the truth.
	const withKey = {'x-api-key': 'the-right-key'};
	t.is(await rawStatus(port, {method: 'OPTIONS', path: '/servers/alpha/mcp', headers: withKey}), 204);
	t.is(await rawStatus(port, {method: 'OPTIONS', path: '/servers/beta/mcp', headers: withKey}), 404);
	// A path no server could have is not found, key or not.
	t.is(await rawStatus(port, {method: 'OPTIONS', path: '/servers/alpha/nothing'}), 404);
});

test('CORS preflight: full headers with allowOrigins, none without', async t => {
	const listed = await startListener(t, {allowOrigins: ['*'], exposeHeaders: ['Mcp-Session-Id', 'X-Trace']});
	const preflight = await raw(listed.port, {
		method: 'OPTIONS',
		path: '/mcp',
		headers: {origin: 'https://anywhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id'},
	});
	t.is(preflight.status, 204);
	t.is(preflight.headers['access-control-allow-origin'], '*');
	t.is(preflight.headers['access-control-allow-methods'], 'GET, POST, DELETE, OPTIONS');
	t.regex(preflight.headers['access-control-allow-headers']!, /Mcp-Session-Id/);
	t.regex(preflight.headers['access-control-allow-headers']!, /Last-Event-ID/);
	t.regex(preflight.headers['access-control-allow-headers']!, /X-API-Key/);
	t.is(preflight.headers['access-control-expose-headers'], 'Mcp-Session-Id, X-Trace');
	const post = await raw(listed.port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, origin: 'https://anywhere.example'}, body: initializeBody(),
	});
	t.is(post.headers['access-control-allow-origin'], '*');
	t.truthy(post.headers['mcp-session-id']);

	const plain = await startListener(t);
	const bare = await raw(plain.port, {
		method: 'OPTIONS', path: '/mcp', headers: {origin: 'http://localhost:3000', 'access-control-request-method': 'POST'},
	});
	t.is(bare.status, 204);
	t.is(bare.headers['access-control-allow-origin'], undefined);
	t.is(bare.headers['access-control-allow-methods'], undefined);
	t.is(await rawStatus(plain.port, {method: 'OPTIONS', path: '/mcp', headers: {origin: 'https://evil.example'}}), 403);
	t.is(await rawStatus(plain.port, {method: 'OPTIONS', path: '/nowhere'}), 404);
});

test('path traversal and odd encodings never reach another route', async t => {
	const {port} = await startListener(t, {servers: ['', 'a']});
	const paths = [
		'/servers/../mcp',
		'/servers/%2e%2e/mcp',
		'/servers/%2E%2E/mcp',
		'/servers/a%2Fb/mcp',
		'/servers/a%2fmcp',
		'/servers/a/../../mcp',
		'/servers//mcp',
		'/servers/./mcp',
		'/servers/%2e/mcp',
		'/servers/a/mcp/extra',
		'/servers/a%00/mcp',
		'/servers/%E0%A4%A/mcp',
		'/servers/b/mcp',
		'/servers/A/mcp',
		'/MCP',
		'//mcp',
		'/mcp/..',
		'/status/..',
		'/mcp%2f',
		'/servers/a/status',
		'/servers',
		'http://127.0.0.1/mcp',
		'*',
	];
	for (const path of paths) {
		// eslint-disable-next-line no-await-in-loop
		const response = await raw(port, {
			method: 'POST', path, headers: postHeaders, body: initializeBody(),
		});
		t.true(response.status === 404 || response.status === 400, `${path}: ${response.status}`);
		t.is(response.headers['mcp-session-id'], undefined, `${path}`);
	}

	t.is(await rawStatus(port, {
		method: 'POST', path: '/servers/a/mcp', headers: postHeaders, body: initializeBody(),
	}), 200);
	t.is(await rawStatus(port, {
		method: 'POST', path: '/mcp/', headers: postHeaders, body: initializeBody(),
	}), 200);
});

test('batches: answered with a batch for 2025-03-26 peers, refused for later versions, initialize never batched', async t => {
	const {port, url} = await startListener(t);
	const id = await rawSession(`${url}/mcp`, '2025-03-26');
	const batch = JSON.stringify([
		{jsonrpc: '2.0', id: 'a', method: 'ping'},
		{jsonrpc: '2.0', method: 'notifications/roots/list_changed'},
		{
			jsonrpc: '2.0', id: 'b', method: 'tools/call', params: {name: 'echo', arguments: {text: 'in a batch'}},
		},
	]);
	const answered = await raw(port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, 'mcp-session-id': id, 'mcp-protocol-version': '2025-03-26'}, body: batch,
	});
	t.is(answered.status, 200);
	t.is(answered.headers['content-type'], 'application/json');
	const replies = answered.json() as Array<{id: string}>;
	t.true(Array.isArray(replies));
	t.deepEqual(replies.map(reply => reply.id).toSorted(), ['a', 'b']);
	t.like(replies.find(reply => reply.id === 'b'), {result: {content: [{text: 'in a batch'}]}});

	const refused = await raw(port, {
		method: 'POST', path: '/mcp', headers: {...postHeaders, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18'}, body: batch,
	});
	t.is(refused.status, 400);
	t.like(refused.json(), {error: {code: -32_600}});

	const initializeBatch = await raw(port, {
		method: 'POST', path: '/mcp', headers: postHeaders, body: `[${initializeBody()}]`,
	});
	t.is(initializeBatch.status, 400);
	const duplicate = await raw(port, {
		method: 'POST',
		path: '/mcp',
		headers: {...postHeaders, 'mcp-session-id': id, 'mcp-protocol-version': '2025-03-26'},
		body: JSON.stringify([{jsonrpc: '2.0', id: 1, method: 'ping'}, {jsonrpc: '2.0', id: 1, method: 'ping'}]),
	});
	t.is(duplicate.status, 400);
});

test('after a barrage of bad requests a healthy client still works, and no session, stream, child or socket is left', async t => {
	const listener = await startListener(t, {maxBodyBytes: 2048, sessionTimeout: 60_000, idleConnectionTimeout: 2000});
	const {port} = listener;
	const bad = [
		{method: 'POST', path: '/mcp', body: '{'},
		{method: 'POST', path: '/mcp', body: '{"a":1}'},
		{method: 'POST', path: '/mcp', body: 'z'.repeat(3000)},
		{method: 'GET', path: '/mcp'},
		{method: 'PUT', path: '/mcp', body: '{}'},
		{method: 'POST', path: '/servers/../mcp', body: initializeBody()},
		{method: 'POST', path: '/messages/?session_id=x', body: ping()},
		{method: 'GET', path: '/nope'},
	];
	await Promise.all(Array.from({length: 5}, async () => {
		for (const request of bad) {
			// eslint-disable-next-line no-await-in-loop
			const response = await raw(port, {...request, headers: postHeaders}).catch(() => undefined);
			t.true(response === undefined || response.status >= 400);
		}
	}));

	const {client, transport} = await connectStreamable(t, `${listener.url}/mcp`);
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'fine'}})), 'fine');
	await transport.terminateSession();
	await client.close();
	t.true(await eventually(() => listener.stats().sessions === 0 && listener.stats().streams === 0));
	t.true(await eventually(() => listener.stats().connections === 0, 15_000), 'idle keep-alive sockets close (after 2 s here)');
	t.deepEqual(await listener.stop(), []);
	t.is(listener.pids.length, 1, 'only the healthy client got a child');
});

test('the session limit answers 503 with a JSON-RPC error body, and frees up when a session ends', async t => {
	const {port, url} = await startListener(t, {maxSessions: 2});
	const first = await rawSession(`${url}/mcp`);
	await rawSession(`${url}/mcp`);
	const refused = await raw(port, {
		method: 'POST', path: '/mcp', headers: postHeaders, body: initializeBody(),
	});
	t.is(refused.status, 503);
	t.like(refused.json(), {jsonrpc: '2.0', error: {code: -32_004}});
	t.is(await rawStatus(port, {path: '/sse', headers: {accept: 'text/event-stream'}}), 503);

	t.is(await rawStatus(port, {method: 'DELETE', path: '/mcp', headers: {'mcp-session-id': first}}), 200);
	t.is(await rawStatus(port, {
		method: 'POST', path: '/mcp', headers: postHeaders, body: initializeBody(),
	}), 200);
});

test('a browser\'s preflight for a 2026-07-28 call with x-mcp-header parameters is allowed those headers', async t => {
	const {port} = await startListener(t, {host: '127.0.0.1', allowOrigins: ['https://app.example']});
	const response = await raw(port, {
		method: 'OPTIONS',
		path: '/mcp',
		headers: {origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-method, mcp-name, mcp-param-region'},
	});
	t.is(response.status, 204);
	const allowed = new Set(String(response.headers['access-control-allow-headers']).toLowerCase().split(', '));
	t.deepEqual(['content-type', 'mcp-method', 'mcp-name', 'mcp-param-region'].filter(name => !allowed.has(name)), []);
});
