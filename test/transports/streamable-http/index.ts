import http from 'node:http';
import test, {type ExecutionContext} from 'ava';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {
	CreateMessageRequestSchema,
	LATEST_PROTOCOL_VERSION,
	ListRootsRequestSchema,
	LoggingMessageNotificationSchema,
	ProgressNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
	firstValueFrom, Observable, Subject, toArray,
} from 'rxjs';
import {startRemoteServer, type RemoteServerOptions} from '../../../fixtures/remote-server.js';
import {streamableHttpClient, type StreamableHttpClientOptions} from '../../../source/transports/streamable-http/index.js';
import {httpAgent} from '../../../source/http/http-agent.js';
import {toSdkTransport} from '../../../source/transports/sdk-transport.js';
import {ConnectError, SessionExpiredError} from '../../../source/errors.js';
import {createLogger} from '../../../source/logger.js';
import type {Message, Transport} from '../../../source/types.js';
import {eventually} from '../../helpers/remote.js';
import {serveOnLoopback} from '../../helpers/loopback-server.js';

async function setup(t: ExecutionContext, serverOptions: RemoteServerOptions = {}, clientOptions: Partial<StreamableHttpClientOptions> = {}) {
	const remote = await startRemoteServer(serverOptions);
	t.teardown(async () => remote.close());
	const logged: string[] = [];
	const logger = createLogger({
		level: 'debug',
		write(line) {
			logged.push(line);
		},
	});
	const errors: Error[] = [];
	const transport = streamableHttpClient({url: remote.urls.mcp, logger, ...clientOptions});
	const observed: Transport = outgoing$ => new Observable<Message>(subscriber => transport(outgoing$).subscribe({
		next(message) {
			subscriber.next(message);
		},
		error(error: Error) {
			errors.push(error);
			subscriber.error(error);
		},
		complete() {
			subscriber.complete();
		},
	}));
	const client = new Client({name: 'test', version: '1.0.0'}, {capabilities: {roots: {}, sampling: {}}});
	client.setRequestHandler(ListRootsRequestSchema, async () => ({roots: [{uri: 'file:///project'}]}));
	client.setRequestHandler(CreateMessageRequestSchema, async request => ({
		role: 'assistant', model: 'test', content: {type: 'text', text: `echo ${(request.params.messages[0]!.content as {text: string}).text}`},
	}));
	t.teardown(async () => client.close());
	await client.connect(toSdkTransport(observed));
	return {
		remote, client, logged, errors,
	};
}

const text = (result: unknown) => ((result as {content: Array<{text: string}>}).content[0]!.text);

test('talks to the SDK\'s Streamable HTTP server: session id and protocol version kept, tools called, session deleted on close', async t => {
	const {remote, client} = await setup(t, {}, {headers: {'X-Custom': 'yes'}});
	t.is(remote.stats.sessions, 1);
	const tools = await client.listTools();
	t.true(tools.tools.some(tool => tool.name === 'echo'));
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'hello'}})), 'hello');
	t.truthy(remote.stats.lastHeaders['mcp-session-id']);
	t.is(remote.stats.lastHeaders['mcp-protocol-version'], LATEST_PROTOCOL_VERSION);
	t.is(remote.stats.lastHeaders['x-custom'], 'yes');
	await client.close();
	t.true(await eventually(() => remote.stats.deleteRequests === 1));
	t.is(remote.stats.sessions, 0);
});

test('a request the server sends as soon as the client is initialized arrives (the GET stream is open before notifications/initialized)', async t => {
	for (let round = 0; round < 3; round++) {
		// eslint-disable-next-line no-await-in-loop
		const {remote} = await setup(t, {rootsOnInitialized: true});
		// eslint-disable-next-line no-await-in-loop
		t.true(await eventually(() => Array.isArray(remote.stats.roots)));
		t.deepEqual(remote.stats.roots, ['file:///project']);
	}
});

test('progress and log notifications, and a sampling request of the server answered by the client, travel on the response stream', async t => {
	const {client} = await setup(t, {jsonResponse: false});
	const progress: number[] = [];
	const logs: string[] = [];
	client.setNotificationHandler(LoggingMessageNotificationSchema, notification => {
		logs.push(String(notification.params.data));
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
	t.is(text(await client.callTool({name: 'sample', arguments: {prompt: 'hi'}})), 'sampled: echo hi');
});

test('JSON replies (enableJsonResponse) work as well as SSE ones', async t => {
	const {client} = await setup(t, {jsonResponse: true});
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'json'}})), 'json');
});

test('a response stream the server closes early is resumed with Last-Event-ID', async t => {
	const {client, remote} = await setup(t, {resumable: true, retryInterval: 50});
	t.is(text(await client.callTool({name: 'interrupt', arguments: {ms: 300}})), 'resumed after 300 ms');
	t.true(remote.stats.getStreams >= 2);
});

test('a GET stream the server closes is reopened', async t => {
	const {remote, client} = await setup(t, {resumable: true, retryInterval: 50});
	t.true(await eventually(() => remote.stats.getStreams === 1));
	await fetch(`${remote.urls.admin}/close-streams`, {method: 'POST'});
	t.true(await eventually(() => remote.stats.getStreams === 2));
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'still here'}})), 'still here');
});

for (const [mode, expected] of [
	['invalid-json', /not valid JSON/],
	['html', /HT{2}P 502 Bad Gateway: 502(?: Bad Gateway){2} The upstream server is not responding\./],
	['http-500', /HT{2}P 50{2}(?: Internal Server Er{2}or:){2} something broke/],
	['json-error', /refused `tools\/call` \(HTTP 400\): Invalid params: the fixture refuses this call/],
	['cut', /ended the response stream before answering `tools\/call`/],
] as const) {
	test(`bad input from the remote (${mode}) answers the request with a clear error, is logged, and the transport carries on`, async t => {
		const {client, logged, errors} = await setup(t);
		const error = await t.throwsAsync(client.callTool({name: 'misbehave', arguments: {mode}}));
		t.regex(error.message, expected);
		t.true(logged.some(line => expected.test(line)), `${logged.join('')}`);
		t.is(text(await client.callTool({name: 'echo', arguments: {text: 'after'}})), 'after');
		t.deepEqual(errors, []);
	});
}

for (const [mode, kind] of [['endless-json', 'a chunked JSON answer'], ['endless-event', 'an event of a response stream']] as const) {
	for (const [settingNames, named] of [[undefined, 'the `maxMessageBytes` option'], [{maxMessageBytes: '--max-message-bytes'}, '--max-message-bytes']] as const) {
		test(`${kind} that grows past maxMessageBytes is not read further: its request gets -32003 naming the limit and the setting (${named}), and the transport carries on`, async t => {
			const {client, remote, logged, errors} = await setup(t, {}, {maxMessageBytes: 1024 * 1024, ...(settingNames ? {settingNames} : {})});
			// Read whole, as before, this answer would take 300 MiB, and the string made of it as much again.
			const error = await t.throwsAsync(client.callTool({name: 'misbehave', arguments: {mode, bytes: 300 * 1024 * 1024}}));
			t.true(error.message.includes('-32003') && error.message.includes(`exceeds the proxy's limit of 1048576 bytes (raise it with ${named})`), `${error.message}`);
			t.true(logged.some(line => line.includes('exceeds the proxy\'s limit')), 'the log says so');
			t.is(text(await client.callTool({name: 'echo', arguments: {text: 'after'}})), 'after');
			// The client stopped reading at the limit: the remote could write little more than what fills the socket buffers.
			t.true(remote.stats.endlessBytes < 64 * 1024 * 1024, `the remote wrote ${remote.stats.endlessBytes} bytes`);
			t.deepEqual(errors, []);
		});
	}
}

test('a session the server forgot ends the transport with a SessionExpiredError', async t => {
	const {remote, client, errors} = await setup(t);
	await fetch(`${remote.urls.admin}/expire-sessions`, {method: 'POST'});
	await t.throwsAsync(client.callTool({name: 'echo', arguments: {text: 'x'}}));
	t.true(await eventually(() => errors.length > 0));
	t.true(errors[0] instanceof SessionExpiredError, `${String(errors[0])}`);
});

test('an unreachable server is a ConnectError that lists the messages that never left', async t => {
	const server = http.createServer();
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address() as {port: number};
	await new Promise(resolve => {
		server.close(resolve);
	});
	const outgoing = new Subject<Message>();
	const result = firstValueFrom(streamableHttpClient({url: `http://127.0.0.1:${port}/mcp`, logger: createLogger({level: 'silent'})})(outgoing).pipe(toArray()));
	const initialize: Message = {
		jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
	};
	outgoing.next(initialize);
	const error = await t.throwsAsync(result);
	t.true(error instanceof ConnectError);
	t.regex(error.message, /Cannot connect to http:\/\/127\.0\.0\.1:\d+\/mcp: .*ECONNREFUSED/);
	t.deepEqual((error as ConnectError).unsent, [initialize]);
});

test('options are validated', t => {
	t.throws(() => streamableHttpClient({url: 'ftp://example.com/'}), {instanceOf: TypeError, message: /http or https URL/});
	t.throws(() => streamableHttpClient({url: 'http://127.0.0.1/mcp', maxMessageBytes: 0}), {instanceOf: TypeError, message: /maxMessageBytes/});
	t.throws(() => streamableHttpClient({url: 'http://127.0.0.1/mcp', headers: {'X-Bad': 'a\r\nb'}}), {instanceOf: TypeError, message: /line break/});
});

/**
A raw transport session with the remote fixture, initialized, its GET stream open. `received` collects what the transport emits, `ended` settles with its error.
*/
async function rawSession(t: ExecutionContext, remote: Awaited<ReturnType<typeof startRemoteServer>>) {
	const outgoing = new Subject<Message>();
	const received: Message[] = [];
	const ended = new Promise<unknown>(resolve => {
		const subscription = streamableHttpClient({url: remote.urls.mcp, logger: createLogger({level: 'silent'})})(outgoing).subscribe({
			next(message) {
				received.push(message);
			},
			error: resolve,
			complete() {
				resolve(undefined);
			},
		});
		t.teardown(() => {
			subscription.unsubscribe();
		});
	});
	outgoing.next({
		jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
	});
	t.true(await eventually(() => received.some(message => 'id' in message && message.id === 0)));
	outgoing.next({jsonrpc: '2.0', method: 'notifications/initialized'});
	t.true(await eventually(() => remote.stats.getStreams === 1));
	return {outgoing, received, ended};
}

const calls = [1, 2, 3, 4, 5].map((id): Message => ({
	jsonrpc: '2.0', id, method: 'tools/call', params: {name: 'echo', arguments: {text: `call ${id}`}},
}));

const unsentIds = (error: unknown) => (error as SessionExpiredError).unsent.map(message => Number('id' in message ? message.id : Number.NaN)).toSorted((a, b) => a - b);

test('concurrent requests the server refuses with 404 for a forgotten session are all listed as unsent', async t => {
	const remote = await startRemoteServer();
	t.teardown(async () => remote.close());
	const {outgoing, ended} = await rawSession(t, remote);
	await fetch(`${remote.urls.admin}/expire-sessions`, {method: 'POST'});
	for (const message of calls) {
		outgoing.next(message);
	}

	const error = await ended;
	t.true(error instanceof SessionExpiredError, `${String(error)}`);
	t.deepEqual(unsentIds(error), [1, 2, 3, 4, 5]);
});

/**
Stop the remote taking connections (open ones stay), send the five calls, and check that the transport ends with a `ConnectError` listing them all as unsent; resolves to that error.
*/
async function refuseCalls(t: ExecutionContext, remote: Awaited<ReturnType<typeof startRemoteServer>>, outgoing: Subject<Message>, ended: Promise<unknown>): Promise<Error> {
	remote.server.close();
	await new Promise(resolve => {
		setTimeout(resolve, 200);
	});
	for (const message of calls) {
		outgoing.next(message);
	}

	const error = await ended;
	t.true(error instanceof ConnectError, `${String(error)}`);
	t.deepEqual(unsentIds(error), [1, 2, 3, 4, 5]);
	return error as Error;
}

test('concurrent requests whose connection is refused are all listed as unsent; one the server has already accepted is not', async t => {
	const remote = await startRemoteServer();
	t.teardown(async () => remote.close());
	const {outgoing, received, ended} = await rawSession(t, remote);
	outgoing.next({
		jsonrpc: '2.0', id: 9, method: 'tools/call', params: {name: 'progress', arguments: {steps: 2, delayMs: 5000}, _meta: {progressToken: 'p'}},
	});
	// Its first progress notification: the server has it.
	t.true(await eventually(() => received.some(message => 'method' in message && message.method === 'notifications/progress')));
	// No new connections from now on; the open streams stay, the idle connections close.
	const error = await refuseCalls(t, remote, outgoing, ended);
	t.regex(error.message, /ECONNREFUSED/);
	t.false(received.some(message => 'id' in message && message.id === 9 && 'result' in message));
});

test('a request answered while the transport waits to end after a refused connection keeps its answer', async t => {
	const remote = await startRemoteServer();
	t.teardown(async () => remote.close());
	const {outgoing, received, ended} = await rawSession(t, remote);
	// Answered about 800 ms after it began: its first progress notification says the server has it.
	outgoing.next({
		jsonrpc: '2.0', id: 9, method: 'tools/call', params: {name: 'progress', arguments: {steps: 2, delayMs: 400}, _meta: {progressToken: 'p'}},
	});
	t.true(await eventually(() => received.some(message => 'method' in message && message.method === 'notifications/progress')));
	// Its POST is on an open connection; new connections are refused from now on.
	await refuseCalls(t, remote, outgoing, ended);
	t.true(received.some(message => 'id' in message && message.id === 9 && 'result' in message), 'the server processed it: its answer is delivered, not lost');
});

test('closing the transport ends the HTTP exchanges of requests still waiting for their answer, one whose id a later request reused included', async t => {
	const held: Array<{closed: boolean}> = [];
	const server = http.createServer((request, response) => {
		if (request.method !== 'POST') {
			response.writeHead(request.method === 'DELETE' ? 200 : 405).end();
			return;
		}

		let body = '';
		request.on('data', (chunk: Uint8Array) => {
			body += String(chunk);
		});
		request.on('end', () => {
			const message = JSON.parse(body) as {id?: number; method: string};
			if (message.method === 'initialize') {
				response.writeHead(200, {'content-type': 'application/json', 'mcp-session-id': 'held'}).end(JSON.stringify({
					jsonrpc: '2.0', id: message.id, result: {protocolVersion: '2025-06-18', capabilities: {}, serverInfo: {name: 'stalls', version: '1'}},
				}));
			} else if (message.id === undefined) {
				response.writeHead(202).end();
			} else {
				// Never answered: only the client can end this exchange.
				const exchange = {closed: false};
				held.push(exchange);
				response.on('close', () => {
					exchange.closed = true;
				});
			}
		});
	});
	const base = await serveOnLoopback(t, server);
	const outgoing = new Subject<Message>();
	const received: Message[] = [];
	const subscription = streamableHttpClient({url: `${base}/mcp`, logger: createLogger({level: 'silent'})})(outgoing).subscribe({
		next(message) {
			received.push(message);
		},
		error() {
			// Closing is the point.
		},
	});
	outgoing.next({
		jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
	});
	t.true(await eventually(() => received.length === 1));
	outgoing.next({jsonrpc: '2.0', method: 'notifications/initialized'});
	// A client that breaks the rules reuses an id still in flight: the first exchange must not escape the close.
	outgoing.next(calls[0]!);
	outgoing.next(calls[0]!);
	t.true(await eventually(() => held.length === 2));
	t.false(held.some(exchange => exchange.closed));
	subscription.unsubscribe();
	t.true(await eventually(() => held.every(exchange => exchange.closed)), 'the waiting requests\' connections are closed');
});

test('an event over maxMessageBytes on the GET stream is skipped, not buffered: the remote\'s request it was gets -32003, and the stream carries on', async t => {
	const posted: Array<Record<string, unknown>> = [];
	const server = http.createServer((request, response) => {
		if (request.method === 'GET') {
			response.writeHead(200, {'content-type': 'text/event-stream'});
			// A request of the server's of 3 MiB, its id last as the SDK writes it, 64 KiB at a time; then a notification.
			response.write('event: message\ndata: {"method":"sampling/createMessage","params":{"padding":"');
			const chunk = 'x'.repeat(64 * 1024);
			for (let index = 0; index < 48; index++) {
				response.write(chunk);
			}

			response.write('"},"jsonrpc":"2.0","id":77}\n\n');
			response.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"after"}}\n\n');
			return;
		}

		let body = '';
		request.on('data', (chunk: Uint8Array) => {
			body += String(chunk);
		});
		request.on('end', () => {
			if (request.method !== 'POST') {
				response.writeHead(200).end();
				return;
			}

			const message = JSON.parse(body) as Record<string, unknown>;
			if (message['method'] === 'initialize') {
				response.writeHead(200, {'content-type': 'application/json', 'mcp-session-id': 'big'}).end(JSON.stringify({
					jsonrpc: '2.0', id: message['id'], result: {protocolVersion: '2025-06-18', capabilities: {}, serverInfo: {name: 'big', version: '1'}},
				}));
				return;
			}

			posted.push(message);
			response.writeHead(202).end();
		});
	});
	const base = await serveOnLoopback(t, server);
	const logged: string[] = [];
	const outgoing = new Subject<Message>();
	const received: Message[] = [];
	const subscription = streamableHttpClient({
		url: `${base}/mcp`,
		maxMessageBytes: 1024 * 1024,
		settingNames: {maxMessageBytes: '--max-message-bytes'},
		logger: createLogger({
			write(line) {
				logged.push(line);
			},
		}),
	})(outgoing).subscribe(message => {
		received.push(message);
	});
	t.teardown(() => {
		subscription.unsubscribe();
	});
	outgoing.next({
		jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
	});
	t.true(await eventually(() => received.length === 1));
	outgoing.next({jsonrpc: '2.0', method: 'notifications/initialized'});
	t.true(await eventually(() => received.some(message => 'method' in message && message.method === 'notifications/message')), 'the event after the large one arrives');
	t.false(received.some(message => 'method' in message && message.method === 'sampling/createMessage'));
	t.true(await eventually(() => posted.some(message => message['id'] === 77)));
	const answer = posted.find(message => message['id'] === 77) as {error: {code: number; message: string}};
	t.is(answer.error.code, -32_003);
	t.regex(answer.error.message, /exceeds the proxy's limit of 1048576 bytes \(raise it with --max-message-bytes\)/);
	const log = logged.join('');
	t.regex(log, /An event on the GET stream exceeds the proxy's limit of 1048576 bytes \(raise it with --max-message-bytes\); it was skipped\./);
	t.regex(log, /It began event: message data: {"method":"sampling\/createMessage"/);
});

test('a flood of requests from the remote, each answered with a POST, does not hold back the client\'s own requests', async t => {
	const flood = 600;
	let answers = 0;
	let answersWhenCalled: number | undefined;
	const server = http.createServer((request, response) => {
		if (request.method === 'GET') {
			response.writeHead(200, {'content-type': 'text/event-stream'});
			let events = '';
			for (let id = 1; id <= flood; id++) {
				events += `event: message\ndata: {"jsonrpc":"2.0","id":${id},"method":"roots/list"}\n\n`;
			}

			response.write(events);
			return;
		}

		let body = '';
		request.on('data', (chunk: Uint8Array) => {
			body += String(chunk);
		});
		request.on('end', () => {
			if (request.method !== 'POST') {
				response.writeHead(200).end();
				return;
			}

			const message = JSON.parse(body) as {id?: number | string; method?: string};
			switch (message.method) {
				case 'initialize': {
					response.writeHead(200, {'content-type': 'application/json', 'mcp-session-id': 'flood'}).end(JSON.stringify({
						jsonrpc: '2.0', id: message.id, result: {protocolVersion: '2025-06-18', capabilities: {}, serverInfo: {name: 'flood', version: '1'}},
					}));
					break;
				}

				case 'tools/call': {
					answersWhenCalled = answers;
					response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({jsonrpc: '2.0', id: message.id, result: {content: []}}));
					break;
				}

				case undefined: {
					// An answer: each takes a while, so that they pile up.
					answers++;
					setTimeout(() => {
						response.writeHead(202).end();
					}, 10);
					break;
				}

				default: {
					response.writeHead(202).end();
				}
			}
		});
	});
	const base = await serveOnLoopback(t, server);
	// A pool of its own (64 connections to the origin, as every pool by default), not shared with the other tests.
	const dispatcher = httpAgent();
	t.teardown(async () => dispatcher.destroy());
	const outgoing = new Subject<Message>();
	const received: Message[] = [];
	const subscription = streamableHttpClient({url: `${base}/mcp`, dispatcher, logger: createLogger({level: 'silent'})})(outgoing).subscribe(message => {
		received.push(message);
		if ('method' in message && 'id' in message && message.method === 'roots/list') {
			// The client answers each at once; once it has answered them all, it calls a tool.
			outgoing.next({jsonrpc: '2.0', id: message.id, result: {roots: []}});
			if (message.id === flood) {
				outgoing.next({
					jsonrpc: '2.0', id: 'call', method: 'tools/call', params: {name: 'echo', arguments: {}},
				});
			}
		}
	});
	t.teardown(() => {
		subscription.unsubscribe();
	});
	outgoing.next({
		jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {roots: {}}, clientInfo: {name: 'x', version: '1'}},
	});
	t.true(await eventually(() => received.length === 1));
	outgoing.next({jsonrpc: '2.0', method: 'notifications/initialized'});
	t.true(await eventually(() => received.some(message => 'id' in message && message.id === 'call'), 30_000), 'the call is answered');
	// It reached the server while most answers still waited for their turn, not behind all of them.
	t.true(answersWhenCalled! < flood / 2, `${answersWhenCalled} of ${flood} answers had reached the server before the call`);
	t.true(await eventually(() => answers === flood, 30_000), `${answers} of ${flood} answers reached the server`);
});
