import {Buffer} from 'node:buffer';
import http from 'node:http';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {execa} from 'execa';
import {cli, echoServer, fixture} from '../helpers/fixtures.js';
import {serveOnLoopback} from '../helpers/loopback-server.js';
import {postHeaders, rawSession} from '../helpers/raw-http.js';
import {eventually} from '../helpers/remote.js';
import {startServerMode} from '../helpers/server-mode.js';
import {openSse, type SseConnection} from '../helpers/sse-reader.js';

/*
Ids, progress tokens and numbers that a double cannot hold go through the proxy as the text they were sent in, in server mode and in client mode. Every message here is written by hand and every answer checked as the bytes that came back: `JSON.parse` in the test would lose the very digits under test.
*/

const verbatimServer = fixture('verbatim-server.js');

// 2^53 + 1 and 2^53: equal as doubles.
const aboveDouble = '9007199254740993';
const atDouble = '9007199254740992';
const thirtyDigits = '123456789012345678901234567890';
// 2^64 + 1.
const bigToken = '18446744073709551617';
// Tool arguments a double would change: 2^64 + 1, -(2^53 + 1), 17 significant digits, out of range both ways; and digits in a string.
const exactArguments = `{"big":${bigToken},"negative":-${aboveDouble},"fraction":12345678.123456789,"huge":1e400,"tiny":-1e-400,"text":"${aboveDouble}"}`;

const call = (id: string, name: string, argumentsText: string, meta = '') => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${argumentsText}${meta}}}`;
const withToken = `,"_meta":{"progressToken":${bigToken}}`;

/**
`"key":value` with exactly that value text (not the start of a longer number).
*/
const pattern = (key: string, value: string) => new RegExp(String.raw`"${key}":${value.replaceAll(/[.+-]/g, String.raw`\$&`)}[,}\]]`, 'g');
/**
Whether a JSON text has `"key":value`, and how many times.
*/
const has = (text: string, key: string, value: string) => pattern(key, value).test(text);
const count = (text: string, key: string, value: string) => text.match(pattern(key, value))?.length ?? 0;

test('server mode, multiplexed, Streamable HTTP: two ids equal as doubles in flight at once, a 30-digit id and a progress token of 2^64+1 come back exactly as sent', async t => {
	const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
	const url = `${proxy.base}/mcp`;
	const session = await rawSession(url);
	const post = async (body: string) => {
		const response = await fetch(url, {
			method: 'POST', headers: {...postHeaders, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18'}, body, signal: AbortSignal.timeout(20_000),
		});
		return {status: response.status, text: await response.text()};
	};

	// The slow calls overlap: with their ids taken as doubles, the second is refused as a duplicate of the first.
	const [above, at, thirty, progress] = await Promise.all([
		post(call(aboveDouble, 'slow', '{"ms":400}')),
		post(call(atDouble, 'slow', '{"ms":400}')),
		post(call(thirtyDigits, 'echo', '{"text":"thirty"}')),
		post(call('7', 'progress', '{"steps":2,"delayMs":5}', withToken)),
	]);
	t.is(above.status, 200, `${above.text}`);
	t.true(has(above.text, 'id', aboveDouble), `${above.text}`);
	t.true(above.text.includes('slept 400 ms'), `${above.text}`);
	t.is(at.status, 200, `${at.text}`);
	t.true(has(at.text, 'id', atDouble), `${at.text}`);
	t.true(at.text.includes('slept 400 ms'), `${at.text}`);
	t.true(has(thirty.text, 'id', thirtyDigits), `${thirty.text}`);
	t.true(thirty.text.includes('"text":"thirty"'), `${thirty.text}`);
	t.true(has(progress.text, 'id', '7'), `${progress.text}`);
	t.is(count(progress.text, 'progressToken', bigToken), 2, `${progress.text}`);
});

/**
Open a legacy SSE session on the proxy and initialize it; `send` posts a message, `answers` collects the data of message events until `done` holds.
*/
async function legacySession(t: ExecutionContext, base: string) {
	const stream: SseConnection = await openSse(`${base}/sse`);
	t.teardown(() => {
		stream.close();
	});
	const endpoint = await stream.next();
	const send = async (body: string) => {
		const response = await fetch(new URL(endpoint.data, base), {method: 'POST', headers: {'content-type': 'application/json'}, body});
		await response.body?.cancel();
		return response.status;
	};

	const data: string[] = [];
	const collect = async (done: (all: string[]) => boolean) => {
		const deadline = Date.now() + 20_000;
		while (!done(data) && Date.now() < deadline) {
			// eslint-disable-next-line no-await-in-loop
			const event = await stream.next(Math.max(1, deadline - Date.now()));
			data.push(event.data);
		}

		return data;
	};

	await send('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}');
	await collect(all => all.length > 0);
	await send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
	return {send, collect};
}

test('server mode, multiplexed, legacy SSE: the same ids and progress token come back exactly as sent', async t => {
	const proxy = await startServerMode(t, ['--', process.execPath, echoServer]);
	const {send, collect} = await legacySession(t, proxy.base);
	const statuses = await Promise.all([
		send(call(aboveDouble, 'slow', '{"ms":400}')),
		send(call(atDouble, 'slow', '{"ms":400}')),
		send(call(thirtyDigits, 'echo', '{"text":"thirty"}')),
		send(call('7', 'progress', '{"steps":2,"delayMs":5}', withToken)),
	]);
	t.deepEqual(statuses, [202, 202, 202, 202]);
	const answered = (all: string[], id: string) => all.some(text => has(text, 'id', id) && text.includes('"result"'));
	const events = await collect(all => [aboveDouble, atDouble, thirtyDigits, '7'].every(id => answered(all, id)));
	for (const id of [aboveDouble, atDouble, thirtyDigits, '7']) {
		t.true(answered(events, id), `no answer to ${id}: ${events.join('\n')}`);
	}

	t.true(events.some(text => has(text, 'id', aboveDouble) && text.includes('slept 400 ms')), `${events.join('\n')}`);
	t.true(events.some(text => has(text, 'id', atDouble) && text.includes('slept 400 ms')), `${events.join('\n')}`);
	t.is(events.filter(text => has(text, 'progressToken', bigToken)).length, 2, `${events.join('\n')}`);
});

for (const [mode, flags] of [['multiplexed', []], ['isolated', ['--isolate-sessions']]] as const) {
	test(`server mode, ${mode}: tool arguments with numbers a double cannot hold reach the child and come back as they were sent`, async t => {
		const proxy = await startServerMode(t, [...flags, '--', process.execPath, verbatimServer]);
		const url = `${proxy.base}/mcp`;
		const session = await rawSession(url);
		const response = await fetch(url, {
			method: 'POST',
			headers: {...postHeaders, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18'},
			body: call(thirtyDigits, 'any', exactArguments, withToken),
			signal: AbortSignal.timeout(20_000),
		});
		const text = await response.text();
		t.is(response.status, 200, `${text}`);
		t.true(text.includes(`"arguments":${exactArguments}`), `${text}`);
		t.true(has(text, 'id', thirtyDigits), `${text}`);
		// The progress notification; isolated, the token in the echoed `_meta` too (multiplexed, the child saw the proxy's own token).
		t.is(count(text, 'progressToken', bigToken), mode === 'isolated' ? 2 : 1, `${text}`);
	});
}

type RemoteRequest = {body: string; answer: (messages: string[]) => void};

/**
A remote MCP server on 127.0.0.1 that never parses a number: Streamable HTTP at /mcp (an answer with more than one message as an SSE stream, else JSON), legacy SSE at /sse and /messages. Each request's answer is its params as they came (`structuredContent`), after a progress notification with its progress token as it came, if it has one. The answers to the two ids equal as doubles are held until both came, so they are in flight at once (at most 5 s). `received` keeps every body as it arrived.
*/
async function startVerbatimRemote(t: ExecutionContext): Promise<{url: string; received: string[]}> {
	const received: string[] = [];
	const held: RemoteRequest[] = [];
	let legacyStream: http.ServerResponse | undefined;

	const respond = ({body, answer}: RemoteRequest) => {
		const id = /"id":(-?\d[\d.eE+-]*|"[^"]*")/.exec(body)![1]!;
		const method = /"method":"([^"]*)"/.exec(body)![1]!;
		if (method === 'initialize') {
			answer([`{"jsonrpc":"2.0","id":${id},"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"verbatim-remote","version":"1"}}}`]);
			return;
		}

		const parameters = /"params":(.*)}$/.exec(body)?.[1] ?? '{}';
		const token = /"progressToken":(-?\d[\d.eE+-]*|"[^"]*")/.exec(body)?.[1];
		answer([
			...(token === undefined ? [] : [`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${token},"progress":1}}`]),
			`{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"verbatim"}],"structuredContent":${parameters}}}`,
		]);
	};

	const request = (entry: RemoteRequest) => {
		if (!entry.body.includes('"id":') || !entry.body.includes('"method":')) {
			entry.answer([]);
			return;
		}

		if (![aboveDouble, atDouble].some(id => entry.body.includes(`"id":${id},`))) {
			respond(entry);
			return;
		}

		held.push(entry);
		if (held.length === 2) {
			for (const each of held.splice(0)) {
				respond(each);
			}
		} else {
			setTimeout(() => {
				for (const each of held.splice(0)) {
					respond(each);
				}
			}, 5000).unref();
		}
	};

	const server = http.createServer((incoming, response) => {
		const path = new URL(incoming.url!, 'http://localhost').pathname;
		if (incoming.method === 'GET' && path === '/sse') {
			legacyStream = response;
			response.writeHead(200, {'content-type': 'text/event-stream'});
			response.write('event: endpoint\ndata: /messages\n\n');
			return;
		}

		if (incoming.method !== 'POST') {
			response.writeHead(incoming.method === 'DELETE' ? 200 : 405).end();
			return;
		}

		const chunks: Uint8Array[] = [];
		incoming.on('data', (chunk: Uint8Array) => {
			chunks.push(chunk);
		});
		incoming.on('end', () => {
			const body = Buffer.concat(chunks).toString('utf8');
			received.push(body);
			if (path === '/messages') {
				response.writeHead(202).end();
				request({
					body,
					answer(messages) {
						for (const message of messages) {
							legacyStream?.write(`event: message\ndata: ${message}\n\n`);
						}
					},
				});
				return;
			}

			request({
				body,
				answer(messages) {
					if (messages.length === 0) {
						response.writeHead(202).end();
					} else if (messages.length === 1) {
						response.writeHead(200, {'content-type': 'application/json'}).end(messages[0]);
					} else {
						response.writeHead(200, {'content-type': 'text/event-stream'});
						response.end(messages.map(message => `event: message\ndata: ${message}\n\n`).join(''));
					}
				},
			});
		});
	});
	return {url: await serveOnLoopback(t, server), received};
}

for (const face of ['Streamable HTTP', 'legacy SSE'] as const) {
	test.serial(`client mode, ${face}: ids, a progress token and arguments a double cannot hold reach the remote and come back exactly as sent`, async t => {
		const remote = await startVerbatimRemote(t);
		const args = face === 'legacy SSE' ? ['--transport', 'sse', `${remote.url}/sse`] : [`${remote.url}/mcp`];
		const proxy = execa(process.execPath, [cli, ...args], {stdin: 'pipe', reject: false, timeout: 40_000});
		t.teardown(() => {
			proxy.kill('SIGKILL');
		});
		let stdout = '';
		proxy.stdout.setEncoding('utf8');
		proxy.stdout.on('data', (chunk: string) => {
			stdout += chunk;
		});
		proxy.stdin.write('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}\n');
		t.true(await eventually(() => stdout.includes('\n'), 15_000), `${stdout}`);
		proxy.stdin.write([
			'{"jsonrpc":"2.0","method":"notifications/initialized"}',
			call(aboveDouble, 'any', '{}'),
			call(atDouble, 'any', '{}'),
			call(thirtyDigits, 'any', exactArguments, withToken),
			'',
		].join('\n'));
		const lines = () => stdout.split('\n');
		const answered = (id: string) => lines().some(line => has(line, 'id', id) && line.includes('"result"'));
		t.true(await eventually(() => [aboveDouble, atDouble, thirtyDigits].every(id => answered(id)), 20_000), `${stdout}`);
		proxy.stdin.end();
		await proxy;

		// What the remote got, as it was sent.
		t.true(remote.received.some(body => has(body, 'id', aboveDouble)), `${remote.received.join('\n')}`);
		t.true(remote.received.some(body => has(body, 'id', atDouble)), `${remote.received.join('\n')}`);
		t.true(remote.received.some(body => has(body, 'id', thirtyDigits) && body.includes(`"arguments":${exactArguments}`) && body.includes(withToken)), `${remote.received.join('\n')}`);
		// What the client got, as the remote sent it: one answer per id, each with its own id.
		for (const id of [aboveDouble, atDouble, thirtyDigits]) {
			t.is(lines().filter(line => has(line, 'id', id)).length, 1, `${stdout}`);
		}

		t.true(lines().some(line => has(line, 'id', thirtyDigits) && line.includes(`"structuredContent":{"name":"any","arguments":${exactArguments}${withToken}}`)), `${stdout}`);
		t.true(lines().some(line => line.includes('notifications/progress') && has(line, 'progressToken', bigToken)), `${stdout}`);
	});
}
