import test, {type ExecutionContext} from 'ava';
import {mergeMap, Observable} from 'rxjs';
import {link} from '../../../../source/link.js';
import {httpListener, type HttpListenerOptions, type ListenerStats} from '../../../../source/listeners/http-listener.js';
import type {Message, Transport} from '../../../../source/types.js';
import {createLogger} from '../../../../source/logger.js';
import {eventually, quietLogger} from '../../../helpers/listener.js';
import {postHeaders, rawSession} from '../../../helpers/raw-http.js';
import {openSse, readSse} from '../../../helpers/sse-reader.js';

/*
Routing rules of the Streamable HTTP face as its writing side carries them out (exchange.ts, and the GET stream and its resumption of streams.ts), with a scripted backend: the test decides when the backend speaks, which a real child cannot be made to do (a message after its answer, a reply held back).
*/

type Backend = {
	/**
	What the backend received, in order.
	*/
	received: Message[];
	send: (message: Message) => void;
	complete: () => void;
};

/**
A backend that answers `initialize` and `ping` at once and leaves everything else to the test.
*/
function scriptedBackend(backends: Backend[]): Transport {
	return outgoing$ => new Observable<Message>(subscriber => {
		const backend: Backend = {
			received: [],
			send(message) {
				subscriber.next(message);
			},
			complete() {
				subscriber.complete();
			},
		};
		backends.push(backend);
		const subscription = outgoing$.subscribe({
			next(message) {
				backend.received.push(message);
				if ('method' in message && 'id' in message && (message.method === 'initialize' || message.method === 'ping')) {
					const result = message.method === 'initialize'
						? {protocolVersion: (message.params as {protocolVersion: string}).protocolVersion, capabilities: {}, serverInfo: {name: 'scripted', version: '1'}}
						: {};
					subscriber.next({jsonrpc: '2.0', id: message.id, result});
				}
			},
			complete() {
				(subscriber).complete();
			},
		});
		return () => {
			subscription.unsubscribe();
		};
	});
}

async function start(t: ExecutionContext, options: HttpListenerOptions = {}) {
	const backends: Backend[] = [];
	let stats: () => ListenerStats = () => {
		throw new Error('not listening');
	};

	const url = await new Promise<string>((resolve, reject) => {
		const subscription = httpListener({
			logger: quietLogger,
			...options,
			onListening(address) {
				resolve(`${address.url}/mcp`);
			},
			onStats(read) {
				stats = read;
			},
		}).pipe(mergeMap(session => link(session.transport, scriptedBackend(backends)))).subscribe({error: reject});
		t.teardown(() => {
			subscription.unsubscribe();
		});
	});
	return {url, backends, stats: () => stats()};
}

const call = (id: number, extra: Record<string, unknown> = {}) => JSON.stringify({
	jsonrpc: '2.0', id, method: 'tools/call', params: {name: 'anything', arguments: {}, ...extra},
});

async function post(url: string, session: string, body: string) {
	const controller = new AbortController();
	const response = await fetch(url, {
		method: 'POST', headers: {...postHeaders, 'mcp-session-id': session}, body, signal: controller.signal,
	});
	return {response, controller};
}

const sampling: Message = {
	jsonrpc: '2.0', id: 'server-1', method: 'sampling/createMessage', params: {},
};
const note = (text: string): Message => ({jsonrpc: '2.0', method: 'notifications/message', params: {level: 'info', data: text}});
const result = (id: number, text: string): Message => ({jsonrpc: '2.0', id, result: {content: [{type: 'text', text}]}});

const listChanged: Message = {jsonrpc: '2.0', method: 'notifications/tools/list_changed'};

test('an unrelated message goes to the GET stream only, and the POST is answered as plain JSON', async t => {
	const {url, backends} = await start(t);
	const session = await rawSession(url);
	const get = await openSse(url, {'mcp-session-id': session});
	t.teardown(get.close);
	t.is(get.response.status, 200);
	const pending = post(url, session, call(2));
	t.true(await eventually(() => backends[0]!.received.some(message => 'id' in message && message.id === 2)));
	backends[0]!.send(listChanged);
	backends[0]!.send(result(2, 'answer'));
	const {response} = await pending;
	t.is(response.headers.get('content-type'), 'application/json');
	t.is(response.headers.get('mcp-session-id'), session);
	t.deepEqual(await response.json(), result(2, 'answer'));
	const event = await get.next();
	t.deepEqual(JSON.parse(event.data), listChanged);
	t.regex(event.id!, /^g\d+-\d+$/);
});

test('without a GET stream, an unrelated message upgrades the newest waiting POST to SSE; progress follows its token', async t => {
	const {url, backends} = await start(t);
	const session = await rawSession(url);
	const first = post(url, session, call(2, {_meta: {progressToken: 'first'}}));
	t.true(await eventually(() => backends[0]!.received.length >= 3));
	const second = post(url, session, call(3, {_meta: {progressToken: 'second'}}));
	t.true(await eventually(() => backends[0]!.received.length >= 4));
	const backend = backends[0]!;
	backend.send({jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 'first', progress: 1}});
	backend.send(note('unrelated'));
	backend.send(sampling);
	backend.send(result(3, 'second answer'));
	backend.send(result(2, 'first answer'));

	const [{response: firstResponse}, {response: secondResponse}] = await Promise.all([first, second]);
	const firstEvents = await readSse(firstResponse).rest();
	const secondEvents = await readSse(secondResponse).rest();
	t.deepEqual(firstEvents.map(event => JSON.parse(event.data) as unknown), [
		{jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 'first', progress: 1}},
		result(2, 'first answer'),
	]);
	t.deepEqual(secondEvents.map(event => JSON.parse(event.data) as unknown), [
		note('unrelated'),
		sampling,
		result(3, 'second answer'),
	]);
	const ids = [...firstEvents, ...secondEvents].map(event => event.id);
	t.is(new Set(ids).size, ids.length, 'event ids are unique in the session');
});

test('a message with no stream to go to waits for the GET stream; the GET stream resumes after Last-Event-ID', async t => {
	const {url, backends, stats} = await start(t, {keepAliveInterval: 50});
	const session = await rawSession(url, '2025-11-25');
	const backend = backends[0]!;
	backend.send(note('early 1'));
	backend.send(note('early 2'));
	const get = await openSse(url, {'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25'});
	const priming = await get.next();
	t.is(priming.data, '', 'a 2025-11-25 client gets a priming event');
	t.truthy(priming.id);
	t.deepEqual(await get.nextMessage(), note('early 1'));
	t.deepEqual(await get.nextMessage(), note('early 2'));
	backend.send(note('seen'));
	const seen = await get.next();
	t.true(await eventually(() => get.comments.length > 0), 'keep-alive comments flow');
	get.close();
	t.true(await eventually(() => stats().streams === 0), 'the server saw the stream go');

	// Sent while no stream is open: they wait, and the resumed stream gets them after the replay (nothing was missed on it).
	backend.send(note('missed 1'));
	backend.send(note('missed 2'));
	const resumed = await openSse(url, {'mcp-session-id': session, 'last-event-id': seen.id!});
	t.deepEqual(await resumed.nextMessage(), note('missed 1'));
	t.deepEqual(await resumed.nextMessage(), note('missed 2'));
	backend.send(note('live'));
	const live = await resumed.next();
	t.deepEqual(JSON.parse(live.data), note('live'));
	resumed.close();

	// Resuming from an earlier id replays exactly the events after it, once each.
	const replay = await openSse(url, {'mcp-session-id': session, 'last-event-id': seen.id!});
	t.deepEqual([await replay.next(), await replay.next(), await replay.next()].map(event => JSON.parse(event.data) as unknown), [note('missed 1'), note('missed 2'), note('live')]);
	replay.close();

	const bad = await fetch(url, {headers: {accept: 'text/event-stream', 'mcp-session-id': session, 'last-event-id': 'p999-1'}});
	t.is(bad.status, 400);
});

test('a POST stream cut by its client keeps its events; GET with Last-Event-ID replays them and ends with the late response', async t => {
	const {url, backends, stats} = await start(t);
	const session = await rawSession(url);
	const pending = post(url, session, call(2, {_meta: {progressToken: 7}}));
	t.true(await eventually(() => backends[0]!.received.length >= 3));
	const backend = backends[0]!;
	// The answer stays undecided until the first related message: this one makes it SSE.
	backend.send({jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 7, progress: 1}});
	const {response, controller} = await pending;
	t.is(response.headers.get('content-type'), 'text/event-stream');
	const stream = readSse(response, controller);
	const first = await stream.next();
	controller.abort();
	t.true(await eventually(() => stats().streams === 0), 'the server saw the client go');
	backend.send({jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 7, progress: 2}});
	backend.send(result(2, 'late answer'));

	const resumed = await openSse(url, {'mcp-session-id': session, 'last-event-id': first.id!});
	const events = await resumed.rest();
	t.deepEqual(events.map(event => JSON.parse(event.data) as unknown), [
		{jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 7, progress: 2}},
		result(2, 'late answer'),
	]);
});

test('a POST whose client left before a JSON answer: the answer is dropped quietly and the session goes on', async t => {
	const {url, backends, stats} = await start(t);
	const session = await rawSession(url);
	const controller = new AbortController();
	const abandoned = fetch(url, {
		method: 'POST', headers: {...postHeaders, 'mcp-session-id': session}, body: call(2), signal: controller.signal,
	}).catch(() => 'aborted');
	t.true(await eventually(() => backends[0]!.received.length >= 3));
	const {connections} = stats();
	controller.abort();
	t.is(await abandoned, 'aborted');
	t.true(await eventually(() => stats().connections < connections), 'the server saw the client go');
	backends[0]!.send(note('nobody waits for this one'));
	backends[0]!.send(result(2, 'too late'));
	const {response} = await post(url, session, JSON.stringify({jsonrpc: '2.0', id: 3, method: 'ping'}));
	t.deepEqual(await response.json(), {jsonrpc: '2.0', id: 3, result: {}});
	const get = await openSse(url, {'mcp-session-id': session});
	t.deepEqual(await get.nextMessage(), note('nobody waits for this one'), 'an unrelated message waited for a stream');
	get.close();
});

test('when the backend ends, waiting requests get a JSON-RPC error, streams end and the id is forgotten', async t => {
	const {url, backends, stats} = await start(t);
	const session = await rawSession(url);
	const get = await openSse(url, {'mcp-session-id': session});
	const pending = post(url, session, call(2));
	t.true(await eventually(() => backends[0]!.received.length >= 3));
	backends[0]!.complete();
	const {response} = await pending;
	t.like(await response.json(), {jsonrpc: '2.0', id: 2, error: {code: -32_000}});
	t.deepEqual(await get.rest(), [], 'the GET stream ended');
	t.is(stats().sessions, 0);
	const after = await fetch(url, {method: 'POST', headers: {...postHeaders, 'mcp-session-id': session}, body: call(3)});
	t.is(after.status, 404);
});

test('a cancelled request ends its POST stream without an answer; a late answer is dropped', async t => {
	const {url, backends} = await start(t);
	const session = await rawSession(url);
	const pending = post(url, session, call(2));
	t.true(await eventually(() => backends[0]!.received.length >= 3));
	const cancel = await fetch(url, {
		method: 'POST',
		headers: {...postHeaders, 'mcp-session-id': session},
		body: JSON.stringify({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 2, reason: 'changed my mind'}}),
	});
	t.is(cancel.status, 202);
	const {response} = await pending;
	t.deepEqual(await readSse(response).rest(), []);
	t.like(backends[0]!.received.at(-1), {method: 'notifications/cancelled', params: {requestId: 2}}, 'the backend is told');
	backends[0]!.send(result(2, 'late'));
	const {response: next} = await post(url, session, JSON.stringify({jsonrpc: '2.0', id: 2, method: 'ping'}));
	t.deepEqual(await next.json(), {jsonrpc: '2.0', id: 2, result: {}}, 'the id is free again, the late answer did not leak');
});

test('a request id still pending is refused (400) rather than answered twice', async t => {
	const {url, backends} = await start(t);
	const session = await rawSession(url);
	void post(url, session, call(2));
	t.true(await eventually(() => backends[0]!.received.length >= 3));
	const duplicate = await fetch(url, {method: 'POST', headers: {...postHeaders, 'mcp-session-id': session}, body: call(2)});
	t.is(duplicate.status, 400);
	t.is(backends[0]!.received.length, 3, 'the duplicate never reached the backend');
});

test('idle sessions are reaped; a session with an open stream is not idle', async t => {
	const {url, stats} = await start(t, {sessionTimeout: 1000});
	const busy = await rawSession(url);
	const get = await openSse(url, {'mcp-session-id': busy});
	t.is(get.response.status, 200);
	const idle = await rawSession(url);
	t.true(await eventually(() => stats().sessions === 1, 10_000));
	const gone = await fetch(url, {method: 'POST', headers: {...postHeaders, 'mcp-session-id': idle}, body: call(2)});
	t.is(gone.status, 404);
	await new Promise(resolve => {
		setTimeout(resolve, 2000);
	});
	t.is(stats().sessions, 1, 'the session with a GET stream stays');
	get.close();
	t.true(await eventually(() => stats().sessions === 0, 10_000));
});

test('closing the listener ends every session: streams end and waiting requests get an error', async t => {
	const backends: Backend[] = [];
	let resolveUrl: (url: string) => void;
	const urlPromise = new Promise<string>(resolve => {
		resolveUrl = resolve;
	});
	const subscription = httpListener({
		logger: quietLogger,
		onListening(address) {
			resolveUrl(`${address.url}/mcp`);
		},
	}).pipe(mergeMap(session => link(session.transport, scriptedBackend(backends)))).subscribe();
	t.teardown(() => {
		subscription.unsubscribe();
	});
	const url = await urlPromise;
	const session = await rawSession(url);
	const get = await openSse(url, {'mcp-session-id': session});
	const pending = post(url, session, call(2));
	t.true(await eventually(() => backends[0]!.received.length >= 3));
	subscription.unsubscribe();
	const {response} = await pending;
	t.like(await response.json(), {id: 2, error: {code: -32_000, message: 'The proxy is shutting down'}});
	t.deepEqual(await get.rest(), []);
	await t.throwsAsync(fetch(url, {method: 'POST', headers: postHeaders, body: call(1)}));
});

test('messages waiting for a GET stream are bounded: the oldest are dropped, with one warning', async t => {
	const lines: string[] = [];
	const {url, backends} = await start(t, {
		logger: createLogger({
			level: 'warning',
			write(line) {
				lines.push(line);
			},
		}),
	});
	const session = await rawSession(url);
	for (let index = 0; index < 1100; index++) {
		backends[0]!.send(note(`waiting ${index}`));
	}

	const get = await openSse(url, {'mcp-session-id': session});
	t.deepEqual(await get.nextMessage(), note('waiting 100'));
	let last: unknown;
	for (let index = 101; index < 1100; index++) {
		// eslint-disable-next-line no-await-in-loop
		last = await get.nextMessage();
	}

	t.deepEqual(last, note('waiting 1099'));
	get.close();
	t.is(lines.length, 1);
	t.regex(lines[0]!, /dropped the oldest/);
});
