import http from 'node:http';
import test, {type ExecutionContext} from 'ava';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {ElicitRequestSchema} from '@modelcontextprotocol/sdk/types.js';
import {firstValueFrom, Subject, toArray} from 'rxjs';
import {startRemoteServer} from '../../../fixtures/remote-server.js';
import {sseClient} from '../../../source/transports/sse/index.js';
import {httpAgent} from '../../../source/http/http-agent.js';
import {toSdkTransport} from '../../../source/transports/sdk-transport.js';
import {ConnectError, HttpError, SessionExpiredError} from '../../../source/errors.js';
import {createLogger} from '../../../source/logger.js';
import type {Message} from '../../../source/types.js';
import {eventually} from '../../helpers/remote.js';
import {serveOnLoopback} from '../../helpers/loopback-server.js';

const quiet = createLogger({level: 'silent'});
const text = (result: unknown) => ((result as {content: Array<{text: string}>}).content[0]!.text);

async function setup(t: ExecutionContext) {
	const remote = await startRemoteServer({transport: 'sse'});
	t.teardown(async () => remote.close());
	const logged: string[] = [];
	const logger = createLogger({
		level: 'debug',
		write(line) {
			logged.push(line);
		},
	});
	const client = new Client({name: 'test', version: '1.0.0'}, {capabilities: {elicitation: {}}});
	client.setRequestHandler(ElicitRequestSchema, async () => ({action: 'accept', content: {answer: 'yes'}}));
	t.teardown(async () => client.close());
	await client.connect(toSdkTransport(sseClient({url: remote.urls.sse, logger, headers: {'X-Custom': 'sse'}})));
	return {remote, client, logged};
}

/**
A raw HTTP server answering GET with the given SSE text.
*/
async function rawServer(t: ExecutionContext, handler: http.RequestListener): Promise<string> {
	const server = http.createServer(handler);
	return `${await serveOnLoopback(t, server)}/sse`;
}

test('talks to the SDK\'s legacy SSE server: endpoint event, POSTs, replies on the stream, server requests answered', async t => {
	const {remote, client} = await setup(t);
	const {tools} = await client.listTools();
	t.true(tools.some(tool => tool.name === 'echo'));
	t.is(text(await client.callTool({name: 'echo', arguments: {text: 'over sse'}})), 'over sse');
	t.is(text(await client.callTool({name: 'elicit', arguments: {message: 'ok?'}})), 'accept: {"answer":"yes"}');
	t.is(remote.stats.lastHeaders['x-custom'], 'sse');
});

for (const [mode, expected] of [
	['invalid-json', /not valid JSON/],
	['html', /HTTP 502 Bad Gateway/],
	['http-500', /HTTP 500/],
] as const) {
	test(`bad input from the remote (${mode}) answers the request with a clear error and the transport carries on`, async t => {
		const {client, logged} = await setup(t);
		const error = await t.throwsAsync(client.callTool({name: 'misbehave', arguments: {mode}}));
		t.regex(error.message, expected);
		t.true(logged.some(line => expected.test(line)));
		t.is(text(await client.callTool({name: 'echo', arguments: {text: 'after'}})), 'after');
	});
}

test('an endpoint on another origin is refused', async t => {
	const url = await rawServer(t, (_request, response) => {
		response.writeHead(200, {'content-type': 'text/event-stream'});
		response.write('event: endpoint\ndata: http://203.0.113.9/messages?sessionId=1\n\n');
	});
	const error = await t.throwsAsync(firstValueFrom(sseClient({url, logger: quiet})(new Subject<Message>())));
	t.regex(error.message, /another origin \(http:\/\/203\.0\.113\.9\); refusing/);
});

test('a GET that is not an event stream is an HttpError naming the status', async t => {
	const url = await rawServer(t, (_request, response) => {
		response.writeHead(405, {'content-type': 'text/plain'});
		response.end('Method Not Allowed');
	});
	const error = await t.throwsAsync(firstValueFrom(sseClient({url, logger: quiet})(new Subject<Message>())));
	t.true(error instanceof HttpError);
	t.regex(error.message, /answered GET .* with HTTP 405: Method Not Allowed/);
});

test('the server ending the stream completes the transport; a stream cut mid-event loses only that event', async t => {
	const url = await rawServer(t, (request, response) => {
		if (request.method === 'GET') {
			response.writeHead(200, {'content-type': 'text/event-stream'});
			response.write('event: endpoint\ndata: /messages\n\n');
			response.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hi"}}\n\n');
			response.end('event: message\ndata: {"jsonrpc":"2.0","id":1,"res');
		}
	});
	const received = await firstValueFrom(sseClient({url, logger: quiet})(new Subject<Message>()).pipe(toArray()));
	t.deepEqual(received, [{jsonrpc: '2.0', method: 'notifications/message', params: {level: 'info', data: 'hi'}}]);
});

const calls = [1, 2, 3, 4, 5].map((id): Message => ({jsonrpc: '2.0', id, method: 'ping'}));
const unsentIds = (error: unknown) => (error as SessionExpiredError).unsent.map(message => Number('id' in message ? message.id : Number.NaN)).toSorted((a, b) => a - b);

test('POSTs answered 404 (the session is gone) end in a SessionExpiredError that lists them all as unsent', async t => {
	const url = await rawServer(t, (request, response) => {
		if (request.method === 'GET') {
			response.writeHead(200, {'content-type': 'text/event-stream'});
			response.write('event: endpoint\ndata: /messages?sessionId=x\n\n');
		} else {
			response.writeHead(404).end();
		}
	});
	const outgoing = new Subject<Message>();
	const result = firstValueFrom(sseClient({url, logger: quiet})(outgoing).pipe(toArray()));
	for (const message of calls) {
		outgoing.next(message);
	}

	const error = await t.throwsAsync(result);
	t.true(error instanceof SessionExpiredError);
	t.deepEqual(unsentIds(error), [1, 2, 3, 4, 5]);
});

test('closing lets the POST of a request finish: its answer status comes before the transport ends', async t => {
	const statuses: string[] = [];
	let posts = 0;
	const url = await rawServer(t, (request, response) => {
		if (request.method === 'GET') {
			response.writeHead(200, {'content-type': 'text/event-stream'});
			response.write('event: endpoint\ndata: /messages\n\n');
			return;
		}

		posts++;
		response.on('close', () => {
			statuses.push(response.writableFinished ? 'answered' : 'cut');
		});
		setTimeout(() => {
			response.writeHead(202).end();
		}, 300);
	});
	const outgoing = new Subject<Message>();
	const result = firstValueFrom(sseClient({url, logger: quiet})(outgoing).pipe(toArray()));
	outgoing.next({jsonrpc: '2.0', id: 1, method: 'ping'});
	t.true(await eventually(() => posts === 1));
	outgoing.complete();
	t.deepEqual(await result, []);
	t.true(await eventually(() => statuses.length === 1));
	t.deepEqual(statuses, ['answered']);
});

test('concurrent POSTs whose connection is refused are all listed as unsent; one the server answered is not', async t => {
	let posts = 0;
	const server = http.createServer((request, response) => {
		if (request.method === 'GET') {
			response.writeHead(200, {'content-type': 'text/event-stream'});
			response.write('event: endpoint\ndata: /messages\n\n');
		} else {
			posts++;
			response.writeHead(202).end();
		}
	});
	const url = `${await serveOnLoopback(t, server)}/sse`;
	const outgoing = new Subject<Message>();
	const result = firstValueFrom(sseClient({url, logger: quiet})(outgoing).pipe(toArray()));
	outgoing.next({jsonrpc: '2.0', id: 9, method: 'ping'});
	t.true(await eventually(() => posts === 1));
	// No new connections from now on; the event stream stays open, the idle connections close.
	server.close();
	await new Promise(resolve => {
		setTimeout(resolve, 200);
	});
	for (const message of calls) {
		outgoing.next(message);
	}

	const error = await t.throwsAsync(result);
	t.true(error instanceof ConnectError, `${String(error)}`);
	t.regex(error.message, /ECONNREFUSED/);
	t.deepEqual(unsentIds(error), [1, 2, 3, 4, 5]);
});

test('an event over maxMessageBytes is skipped, not buffered: the request it answers gets -32003, and the session carries on', async t => {
	let stream: http.ServerResponse | undefined;
	const url = await rawServer(t, (request, response) => {
		if (request.method === 'GET') {
			stream = response;
			response.writeHead(200, {'content-type': 'text/event-stream'});
			response.write('event: endpoint\ndata: /messages\n\n');
			return;
		}

		let body = '';
		request.on('data', (chunk: Uint8Array) => {
			body += String(chunk);
		});
		request.on('end', () => {
			response.writeHead(202).end();
			const {id} = JSON.parse(body) as {id: number};
			if (id === 5) {
				// An answer of 3 MiB, its id last as the SDK writes it, 64 KiB at a time.
				stream!.write('event: message\ndata: {"result":{"padding":"');
				const chunk = 'x'.repeat(64 * 1024);
				for (let index = 0; index < 48; index++) {
					stream!.write(chunk);
				}

				stream!.write('"},"jsonrpc":"2.0","id":5}\n\n');
			} else {
				stream!.write(`event: message\ndata: {"jsonrpc":"2.0","id":${id},"result":{}}\n\n`);
			}
		});
	});
	const outgoing = new Subject<Message>();
	const received: Message[] = [];
	let failed: unknown;
	const subscription = sseClient({url, maxMessageBytes: 1024 * 1024, logger: quiet})(outgoing).subscribe({
		next(message) {
			received.push(message);
		},
		error(error: unknown) {
			failed = error;
		},
	});
	t.teardown(() => {
		subscription.unsubscribe();
	});
	outgoing.next({jsonrpc: '2.0', id: 5, method: 'tools/call'});
	t.true(await eventually(() => received.length === 1));
	const [answer] = received as unknown as [{id: number; error: {code: number; message: string}}];
	t.is(answer.id, 5);
	t.is(answer.error.code, -32_003);
	t.regex(answer.error.message, /exceeds the proxy's limit of 1048576 bytes \(raise it with the `maxMessageBytes` option\)/);
	outgoing.next({jsonrpc: '2.0', id: 6, method: 'ping'});
	t.true(await eventually(() => received.length === 2));
	t.deepEqual(received[1], {jsonrpc: '2.0', id: 6, result: {}});
	t.is(failed, undefined);
});

test('a flood of requests from the remote, each answered with a POST, does not hold back the client\'s own requests', async t => {
	const flood = 600;
	let answers = 0;
	let answersWhenCalled: number | undefined;
	let stream: http.ServerResponse | undefined;
	const url = await rawServer(t, (request, response) => {
		if (request.method === 'GET') {
			stream = response;
			response.writeHead(200, {'content-type': 'text/event-stream'});
			let events = 'event: endpoint\ndata: /messages\n\n';
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
			const message = JSON.parse(body) as {id?: number | string; method?: string};
			if (message.method === 'tools/call') {
				answersWhenCalled = answers;
				response.writeHead(202).end();
				stream!.write(`event: message\ndata: ${JSON.stringify({jsonrpc: '2.0', id: message.id, result: {content: []}})}\n\n`);
				return;
			}

			// An answer: each takes a while, so that they pile up.
			answers++;
			setTimeout(() => {
				response.writeHead(202).end();
			}, 10);
		});
	});
	// A pool of its own (64 connections to the origin, as every pool by default), not shared with the other tests.
	const dispatcher = httpAgent();
	t.teardown(async () => dispatcher.destroy());
	const outgoing = new Subject<Message>();
	const received: Message[] = [];
	const subscription = sseClient({url, dispatcher, logger: quiet})(outgoing).subscribe(message => {
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
	t.true(await eventually(() => received.some(message => 'id' in message && message.id === 'call'), 30_000), 'the call is answered');
	// It reached the server while most answers still waited for their turn, not behind all of them.
	t.true(answersWhenCalled! < flood / 2, `${answersWhenCalled} of ${flood} answers had reached the server before the call`);
	t.true(await eventually(() => answers === flood, 30_000), `${answers} of ${flood} answers reached the server`);
});
