import {Buffer} from 'node:buffer';
import {request as httpRequest, Agent} from 'node:http';
import test, {type ExecutionContext} from 'ava';
import {mergeMap, Observable} from 'rxjs';
import {link} from '../../source/link.js';
import {httpListener, type HttpListenerOptions, type ListenerStats} from '../../source/listeners/http-listener.js';
import type {Message, Transport} from '../../source/types.js';
import {eventually, quietLogger} from '../helpers/listener.js';
import {initializeBody, postHeaders} from '../helpers/raw-http.js';

/*
Fairness of the session table, over real HTTP from two loopback addresses (127.0.0.1 and 127.0.0.2 are both this machine, and the listener sees them as two clients): one client cannot take every session, half-open sessions (initialize and nothing after) make room and are reaped soon, and an initialize the server refuses frees its session at once.
*/

/**
A backend that answers `initialize` (with an error when the client calls itself `refuse-me`, after 2.5 s when it calls itself `slow`) and `ping`, and never anything else.
*/
const backend: Transport = outgoing$ => new Observable<Message>(subscriber => outgoing$.subscribe({
	next(message) {
		if (!('method' in message) || !('id' in message)) {
			return;
		}

		if (message.method === 'initialize') {
			const {protocolVersion, clientInfo} = message.params as {protocolVersion: string; clientInfo: {name: string}};
			const answer: Message = clientInfo.name === 'refuse-me'
				? {jsonrpc: '2.0', id: message.id, error: {code: -32_602, message: 'Unsupported protocol version'}}
				: {jsonrpc: '2.0', id: message.id, result: {protocolVersion, capabilities: {}, serverInfo: {name: 'fair', version: '1'}}};
			// A server slow to start: it answers after the handshake timeout of the test below.
			setTimeout(() => {
				subscriber.next(answer);
			}, clientInfo.name === 'slow' ? 2500 : 0);
		} else if (message.method === 'ping') {
			subscriber.next({jsonrpc: '2.0', id: message.id, result: {}});
		}
	},
	complete() {
		subscriber.complete();
	},
}));

async function start(t: ExecutionContext, options: HttpListenerOptions) {
	let stats: () => ListenerStats = () => {
		throw new Error('not listening');
	};

	const port = await new Promise<number>((resolve, reject) => {
		const subscription = httpListener({
			logger: quietLogger,
			// As the command line names them: the refusals below name the flag.
			settingNames: {maxSessions: '--max-sessions', maxSessionsPerClient: '--max-sessions-per-client'},
			...options,
			onListening(address) {
				resolve(address.port);
			},
			onStats(read) {
				stats = read;
			},
		}).pipe(mergeMap(session => link(session.transport, backend))).subscribe({error: reject});
		t.teardown(() => {
			subscription.unsubscribe();
		});
	});
	return {port, stats: () => stats()};
}

const agent = new Agent({keepAlive: false});

type Answer = {status: number; headers: Record<string, string | string[] | undefined>; text: string};

/**
One request from the local address `from`; a GET of an SSE stream resolves once its headers arrive and is left open (`close` ends it). Bounded: 10 s.
*/
async function send(port: number, from: string, options: {method?: string; path?: string; headers?: Record<string, string>; body?: string}): Promise<Answer & {close: () => void}> {
	return new Promise((resolve, reject) => {
		const request = httpRequest({
			host: '127.0.0.1',
			port,
			localAddress: from,
			agent,
			method: options.method ?? 'POST',
			path: options.path ?? '/mcp',
			headers: options.headers ?? postHeaders,
			timeout: 10_000,
		}, response => {
			const chunks: Uint8Array[] = [];
			const close = () => {
				response.destroy();
			};

			const done = () => {
				resolve({
					status: response.statusCode!, headers: response.headers, text: Buffer.concat(chunks).toString('utf8'), close,
				});
			};

			if (String(response.headers['content-type']).startsWith('text/event-stream') && options.method === 'GET') {
				done();
			}

			response.on('data', (chunk: Uint8Array) => {
				chunks.push(chunk);
			});
			response.on('end', done);
			response.on('error', reject);
		});
		request.on('timeout', () => {
			request.destroy(new Error('The request timed out'));
		});
		request.on('error', reject);
		request.end(options.body);
	});
}

const initialize = (name = 'fair') => initializeBody(1).replace('"name":"raw"', `"name":"${name}"`);

/**
Open a session from `from`: `initialize`, and unless `halfOpen`, `notifications/initialized`. Resolves to the answer to `initialize` and the session id.
*/
async function open(port: number, from: string, {halfOpen = false, name = 'fair'} = {}): Promise<Answer & {id: string | undefined}> {
	const answer = await send(port, from, {body: initialize(name)});
	const id = answer.headers['mcp-session-id'] as string | undefined;
	if (answer.status === 200 && id !== undefined && !halfOpen) {
		const headers = {...postHeaders, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18'};
		const initialized = await send(port, from, {headers, body: JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'})});
		if (initialized.status !== 202) {
			throw new Error(`notifications/initialized answered ${initialized.status}`);
		}
	}

	return {...answer, id};
}

/**
Open the GET stream of session `id`: the session is in use while it is open (closed in teardown).
*/
async function openStream(t: ExecutionContext, port: number, from: string, id: string): Promise<number> {
	const stream = await send(port, from, {method: 'GET', headers: {accept: 'text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18'}});
	t.teardown(stream.close);
	return stream.status;
}

async function ping(port: number, from: string, id: string): Promise<number> {
	const answer = await send(port, from, {headers: {...postHeaders, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18'}, body: JSON.stringify({jsonrpc: '2.0', id: 9, method: 'ping'})});
	return answer.status;
}

test('one client address holds at most maxSessionsPerClient sessions (429 naming the flag, with Retry-After) while all are in use; another address is not affected', async t => {
	const {port, stats} = await start(t, {maxSessionsPerClient: 3});
	const mine = await Promise.all([1, 2, 3].map(async () => open(port, '127.0.0.1')));
	t.deepEqual(mine.map(answer => answer.status), [200, 200, 200]);
	t.deepEqual(await Promise.all(mine.map(async answer => openStream(t, port, '127.0.0.1', answer.id!))), [200, 200, 200], 'each has its GET stream open');
	const refused = await open(port, '127.0.0.1');
	t.is(refused.status, 429);
	t.is(refused.headers['retry-after'], '5');
	t.like(JSON.parse(refused.text) as unknown, {jsonrpc: '2.0', error: {code: -32_004}});
	t.regex(refused.text, /Too many sessions from one client address: it has 3 open, the limit per address \(--max-sessions-per-client\)/);
	const legacy = await send(port, '127.0.0.1', {method: 'GET', path: '/sse', headers: {accept: 'text/event-stream'}});
	t.is(legacy.status, 429, 'the legacy SSE face counts too');
	const other = await open(port, '127.0.0.2');
	t.is(other.status, 200, 'another address still gets a session');
	t.is(stats().sessions, 4);
	// Ending one makes room again.
	const deleted = await send(port, '127.0.0.1', {method: 'DELETE', headers: {'mcp-session-id': mine[0]!.id!}});
	t.is(deleted.status, 200);
	const again = await open(port, '127.0.0.1');
	t.is(again.status, 200);
	t.is(await ping(port, '127.0.0.1', mine[1]!.id!), 200, 'sessions in use were never taken');
});

test('an address at its limit with completed sessions it does not use: the least recently active idle one makes room (its client gets 404, initializes again), sessions in use are kept', async t => {
	const {port, stats} = await start(t, {maxSessionsPerClient: 3});
	const first = await open(port, '127.0.0.1');
	const second = await open(port, '127.0.0.1');
	const third = await open(port, '127.0.0.1');
	t.is(await openStream(t, port, '127.0.0.1', second.id!), 200);
	const newcomer = await open(port, '127.0.0.1');
	t.is(newcomer.status, 200, 'not locked out by its own idle sessions');
	t.is(stats().sessions, 3);
	t.is(await ping(port, '127.0.0.1', first.id!), 404, 'the least recently active idle session made room');
	t.is(await ping(port, '127.0.0.1', second.id!), 200, 'a session with an open stream is never taken');
	const again = await open(port, '127.0.0.1');
	t.is(again.status, 200, 'the evicted client initializes again');
	t.is(await ping(port, '127.0.0.1', third.id!), 404, 'the next least recently active idle session made room');
	t.is(await ping(port, '127.0.0.1', newcomer.id!), 200);
	t.is(await ping(port, '127.0.0.1', again.id!), 200);
	t.is(stats().sessions, 3);
});

test('a loop of initialize that never completes cannot lock anyone out: the oldest half-open session makes room, sessions in use are kept', async t => {
	const {port, stats} = await start(t, {maxSessions: 20, maxSessionsPerClient: 1000});
	const working = await open(port, '127.0.0.1');
	// The attacker, from another address: 200 initializes, never another word.
	const flood: number[] = [];
	for (let round = 0; round < 20; round++) {
		// eslint-disable-next-line no-await-in-loop
		const answers = await Promise.all(Array.from({length: 10}, async () => open(port, '127.0.0.2', {halfOpen: true})));
		flood.push(...answers.map(answer => answer.status));
	}

	t.true(flood.every(status => status === 200), 'half-open sessions make room for each other');
	t.true(stats().sessions <= 20, 'never more than maxSessions');
	const newcomer = await open(port, '127.0.0.1');
	t.is(newcomer.status, 200, 'a new client still gets a session');
	t.is(await ping(port, '127.0.0.1', newcomer.id!), 200);
	t.is(await ping(port, '127.0.0.1', working.id!), 200, 'a session in use was never taken');
	// Sessions that completed initialization are not taken: once the table is full of them, the next is refused.
	let last = await open(port, '127.0.0.2');
	for (let count = 1; count < 30 && last.status === 200; count++) {
		// eslint-disable-next-line no-await-in-loop
		last = await open(port, '127.0.0.2');
	}

	t.is(last.status, 503);
	t.regex(last.text, /Too many sessions: 20 are open, the proxy's limit \(--max-sessions\)/);
	t.is(last.headers['retry-after'], '5');
	t.is(await ping(port, '127.0.0.1', working.id!), 200);
});

test('half-open sessions are ended after handshakeTimeout: initialize and nothing more, or a legacy SSE stream that never posts; complete ones stay', async t => {
	const {port, stats} = await start(t, {handshakeTimeout: 1000});
	// Waiting for a slow server's answer is not abandoning the handshake.
	const slow = await open(port, '127.0.0.1', {name: 'slow'});
	t.is(slow.status, 200);
	t.is(await ping(port, '127.0.0.1', slow.id!), 200);
	const complete = await open(port, '127.0.0.1');
	const halfOpen = await open(port, '127.0.0.1', {halfOpen: true});
	const stream = await send(port, '127.0.0.1', {method: 'GET', path: '/sse', headers: {accept: 'text/event-stream'}});
	t.teardown(stream.close);
	t.is(stream.status, 200);
	t.is(stats().sessions, 4);
	t.true(await eventually(() => stats().sessions === 2, 10_000), 'both half-open sessions were ended');
	t.is(await ping(port, '127.0.0.1', halfOpen.id!), 404);
	t.is(await ping(port, '127.0.0.1', complete.id!), 200);
	t.is(stats().streams, 0, 'the SSE stream was closed');
});

test('an initialize the server refuses frees its session at once', async t => {
	const {port, stats} = await start(t, {maxSessionsPerClient: 2});
	for (let index = 0; index < 5; index++) {
		// eslint-disable-next-line no-await-in-loop
		const refused = await open(port, '127.0.0.1', {halfOpen: true, name: 'refuse-me'});
		t.is(refused.status, 200);
		t.like(JSON.parse(refused.text) as unknown, {id: 1, error: {message: 'Unsupported protocol version'}});
		t.is(stats().sessions, 0, 'no session is left');
		// eslint-disable-next-line no-await-in-loop
		t.is(await ping(port, '127.0.0.1', refused.id!), 404);
	}

	const accepted = await open(port, '127.0.0.1');
	t.is(accepted.status, 200);
});
