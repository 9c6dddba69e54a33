/*
Tests of the multiplexer through its Observable API (source/operators/multiplex/index.ts): a fake upstream and sessions, and marble tests of the glue where timing matters (restarts, close, sessions ending). The step's rules are tested without Rx in the files named after each concern.
*/
import test from 'ava';
import {
	defer,
	filter,
	map,
	merge,
	EMPTY,
	Observable,
	Subject,
	tap,
	VirtualAction,
	VirtualTimeScheduler,
	type Subscriber,
} from 'rxjs';
import {multiplex, type MultiplexOptions} from '../../../source/operators/multiplex/index.js';
import {createLogger} from '../../../source/logger.js';
import type {Message, Transport} from '../../../source/types.js';
import {testScheduler} from '../../helpers/marbles.js';

const logger = createLogger({level: 'silent'});

type Loose = Record<string, any>;

/**
A scripted upstream server: answers `initialize` at once (unless told not to), records what it is sent, and lets the test emit, fail or close.
*/
function fakeUpstream({answerInitialize = true} = {}) {
	const sent: Loose[] = [];
	let subscriber: Subscriber<Message> | undefined;
	let starts = 0;
	const transport: Transport = outgoing$ => new Observable<Message>(current => {
		starts++;
		subscriber = current;
		const subscription = outgoing$.subscribe({
			next(message) {
				sent.push(message);
				const loose = message as Loose;
				if (loose['method'] === 'initialize' && answerInitialize) {
					current.next({jsonrpc: '2.0', id: loose['id'], result: {protocolVersion: '2025-11-25', capabilities: {tools: {}}, serverInfo: {name: 'fake', version: '1'}}});
				}
			},
			complete() {
				current.complete();
			},
		});
		return () => {
			subscription.unsubscribe();
		};
	});
	return {
		transport,
		sent,
		get starts() {
			return starts;
		},
		emit(message: Loose) {
			subscriber!.next(message as Message);
		},
		fail(error: Error) {
			subscriber!.error(error);
		},
		sentWith: (method: string) => sent.filter(message => message['method'] === method),
	};
}

function setup(options: MultiplexOptions = {}, upstreamOptions = {}) {
	const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
	const upstream = fakeUpstream(upstreamOptions);
	const mux = multiplex(upstream.transport, {logger, scheduler, ...options});
	const running = mux.run$.subscribe();
	const client = (id: string) => {
		const input = new Subject<Message>();
		const received: Loose[] = [];
		let completed = false;
		const subscription = mux.session(id)(input).subscribe({
			next(message) {
				received.push(message);
			},
			complete() {
				completed = true;
			},
		});
		return {
			send(message: Loose) {
				input.next({jsonrpc: '2.0', ...message} as Message);
			},
			received,
			close() {
				input.complete();
			},
			unsubscribe() {
				subscription.unsubscribe();
			},
			get completed() {
				return completed;
			},
		};
	};

	let time = 0;
	const advance = (ms: number) => {
		time += ms;
		scheduler.maxFrames = time;
		scheduler.flush();
		scheduler.frame = time;
	};

	return {
		mux, upstream, client, advance, running,
	};
}

const initialize = (id: number | string = 0, capabilities: Loose = {}, protocolVersion = '2025-11-25') => ({id, method: 'initialize', params: {protocolVersion, capabilities, clientInfo: {name: 'c', version: '1'}}});

test('the upstream is initialized once by the proxy, and each session is answered from its result', t => {
	const {upstream, client, mux} = setup();
	const a = client('a');
	const b = client('b');
	a.send(initialize(1));
	b.send(initialize('x', {}, '2025-03-26'));
	a.send({method: 'notifications/initialized'});
	t.is(upstream.sentWith('initialize').length, 1);
	t.like(upstream.sentWith('initialize')[0], {params: {clientInfo: {name: 'rx-mcp-proxy'}, capabilities: {sampling: {}, roots: {listChanged: true}}}});
	t.is(upstream.sentWith('notifications/initialized').length, 1);
	t.deepEqual(a.received, [{jsonrpc: '2.0', id: 1, result: {protocolVersion: '2025-11-25', capabilities: {tools: {}}, serverInfo: {name: 'fake', version: '1'}}}]);
	t.like(b.received[0], {id: 'x', result: {protocolVersion: '2025-03-26'}});
	t.like(mux.status(), {state: 'running', sessions: 2, restarts: 0});
});

test('request ids are rewritten so sessions never collide, and each response returns to its own session with its own id', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	a.send({id: 1, method: 'tools/call', params: {name: 'echo', arguments: {text: 'from a'}}});
	b.send({id: 1, method: 'tools/call', params: {name: 'echo', arguments: {text: 'from b'}}});
	const calls = upstream.sentWith('tools/call');
	t.is(calls.length, 2);
	t.not(calls[0]!['id'], calls[1]!['id']);
	// Answer in the opposite order.
	upstream.emit({jsonrpc: '2.0', id: calls[1]!['id'], result: {text: 'for b'}});
	upstream.emit({jsonrpc: '2.0', id: calls[0]!['id'], result: {text: 'for a'}});
	t.deepEqual(a.received, [{jsonrpc: '2.0', id: 1, result: {text: 'for a'}}]);
	t.deepEqual(b.received, [{jsonrpc: '2.0', id: 1, result: {text: 'for b'}}]);
});

test('progress tokens are rewritten and progress goes to its session only', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	a.send({id: 1, method: 'tools/call', params: {name: 'progress', _meta: {progressToken: 'p'}}});
	b.send({id: 2, method: 'tools/call', params: {name: 'progress', _meta: {progressToken: 'p'}}});
	const [callA, callB] = upstream.sentWith('tools/call');
	const tokenA = callA!['params']._meta.progressToken;
	const tokenB = callB!['params']._meta.progressToken;
	t.not(tokenA, tokenB);
	t.is(callA!['params'].name, 'progress');
	upstream.emit({jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: tokenB, progress: 1, total: 2}});
	upstream.emit({jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: tokenA, progress: 5}});
	t.deepEqual(a.received, [{jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 'p', progress: 5}}]);
	t.deepEqual(b.received, [{jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 'p', progress: 1, total: 2}}]);
});

test('unknown methods, _meta and extra fields pass untouched', t => {
	const {upstream, client} = setup();
	const a = client('a');
	a.send({
		id: 9, method: 'vendor/future', params: {cursor: 'abc', _meta: {trace: 'x'}, nested: {deep: [1, 2]}}, extra: true,
	});
	const [sent] = upstream.sentWith('vendor/future');
	t.deepEqual({...sent, id: 0}, {
		jsonrpc: '2.0', id: 0, method: 'vendor/future', params: {cursor: 'abc', _meta: {trace: 'x'}, nested: {deep: [1, 2]}}, extra: true,
	});
	upstream.emit({
		jsonrpc: '2.0', id: sent!['id'], result: {nextCursor: 'def', _meta: {y: 1}}, extra: 'kept',
	});
	t.deepEqual(a.received, [{
		jsonrpc: '2.0', id: 9, result: {nextCursor: 'def', _meta: {y: 1}}, extra: 'kept',
	}]);
});

test('list-changed notifications go to every initialized session; resources/updated only to subscribers', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	const c = client('c');
	a.send(initialize(1));
	b.send(initialize(1));
	// C never initializes: it gets nothing unsolicited.
	a.send({id: 2, method: 'resources/subscribe', params: {uri: 'echo://x'}});
	const [subscribe] = upstream.sentWith('resources/subscribe');
	upstream.emit({jsonrpc: '2.0', id: subscribe!['id'], result: {}});
	upstream.emit({jsonrpc: '2.0', method: 'notifications/tools/list_changed'});
	upstream.emit({jsonrpc: '2.0', method: 'notifications/resources/updated', params: {uri: 'echo://x'}});
	upstream.emit({jsonrpc: '2.0', method: 'notifications/resources/updated', params: {uri: 'echo://other'}});
	const methods = (received: Loose[]) => received.filter(message => 'method' in message).map(message => `${message['method']}${message['params']?.uri ? ` ${message['params'].uri}` : ''}`);
	t.deepEqual(methods(a.received), ['notifications/tools/list_changed', 'notifications/resources/updated echo://x']);
	t.deepEqual(methods(b.received), ['notifications/tools/list_changed']);
	t.deepEqual(c.received, []);
});

test('unsubscribing is forwarded only when no other session is subscribed', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	a.send({id: 1, method: 'resources/subscribe', params: {uri: 'u'}});
	b.send({id: 1, method: 'resources/subscribe', params: {uri: 'u'}});
	a.send({id: 2, method: 'resources/unsubscribe', params: {uri: 'u'}});
	t.is(upstream.sentWith('resources/unsubscribe').length, 0);
	t.deepEqual(a.received, [{jsonrpc: '2.0', id: 2, result: {}}]);
	b.send({id: 2, method: 'resources/unsubscribe', params: {uri: 'u'}});
	t.is(upstream.sentWith('resources/unsubscribe').length, 1);
});

const sampling = (id: string | number) => ({
	jsonrpc: '2.0', id, method: 'sampling/createMessage', params: {messages: []},
});
const isSampling = (message: Loose) => message['method'] === 'sampling/createMessage';

test('a server→client request while one session has a request in flight goes to it, and the answer goes back with the upstream\'s id', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	a.send(initialize(1, {sampling: {}}));
	b.send(initialize(1, {sampling: {}}));
	b.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	upstream.emit(sampling('srv-1'));
	const request = b.received.find(message => isSampling(message));
	t.truthy(request);
	t.false(a.received.some(message => isSampling(message)));
	b.send({id: request!['id'], result: {role: 'assistant', content: {type: 'text', text: 'ok'}}});
	t.deepEqual(upstream.sent.at(-1), {jsonrpc: '2.0', id: 'srv-1', result: {role: 'assistant', content: {type: 'text', text: 'ok'}}});
});

test('a server→client request that two sessions\' requests could have caused waits until one is answered, then goes to the other: never guessed', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	a.send(initialize(1, {sampling: {}}));
	b.send(initialize(1, {sampling: {}}));
	// B's request is the newer one; the old rule (newest wins) would have sent A's sampling to B.
	a.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	b.send({id: 2, method: 'tools/call', params: {name: 'slow'}});
	const [, slow] = upstream.sentWith('tools/call');
	upstream.emit(sampling('srv-1'));
	t.false(a.received.some(message => isSampling(message)), 'held while ambiguous');
	t.false(b.received.some(message => isSampling(message)), 'held while ambiguous');
	// A request B sends after it came cannot have caused it: still B's slow call decides.
	b.send({id: 3, method: 'tools/call', params: {name: 'later'}});
	upstream.emit({jsonrpc: '2.0', id: slow!['id'], result: {content: []}});
	t.true(a.received.some(message => isSampling(message)), 'A is the only session left with a request from before');
	t.false(b.received.some(message => isSampling(message)));
});

test('a session that did not declare the capability still counts as a possible cause: the request waits for it, then goes to the other', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	a.send(initialize(1, {sampling: {}}));
	b.send(initialize(1, {}));
	a.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	b.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	const [fromA, fromB] = upstream.sentWith('tools/call');
	upstream.emit(sampling(4));
	t.false(a.received.some(message => isSampling(message)), 'B\'s call may have caused it');
	upstream.emit({jsonrpc: '2.0', id: fromB!['id'], result: {content: []}});
	t.true(a.received.some(message => isSampling(message)));
	t.false(b.received.some(message => isSampling(message)));
	upstream.emit({jsonrpc: '2.0', id: fromA!['id'], result: {content: []}});
	// The other way round: the one left did not declare sampling, so the upstream gets an error.
	a.send({id: 3, method: 'tools/call', params: {name: 'slow'}});
	b.send({id: 3, method: 'tools/call', params: {name: 'sample'}});
	const slowFromA = upstream.sentWith('tools/call').at(-2);
	upstream.emit(sampling(5));
	upstream.emit({jsonrpc: '2.0', id: slowFromA!['id'], result: {content: []}});
	t.like(upstream.sent.find(message => message['id'] === 5), {error: {code: -32_601}});
	t.is(a.received.filter(message => isSampling(message)).length, 1);
});

test('a held server→client request is refused, not passed on, when one of its possible causes ends without an answer', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	const c = client('c');
	for (const session of [a, b, c]) {
		session.send(initialize(1, {sampling: {}}));
		session.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	}

	upstream.emit(sampling('srv-1'));
	// A gives up: its call may have been the one that asked, so neither B nor C may see it.
	a.send({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 2}});
	t.like(upstream.sent.find(message => message['id'] === 'srv-1'), {error: {code: -32_000}});
	upstream.emit(sampling('srv-2'));
	c.close();
	t.like(upstream.sent.find(message => message['id'] === 'srv-2'), {error: {code: -32_000}}, 'the same when a session closes');
	// And when a call fails: it may have given up on the sampling without cancelling it.
	const d = client('d');
	d.send(initialize(1, {sampling: {}}));
	d.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	b.send({id: 3, method: 'tools/call', params: {name: 'sample'}});
	const fromD = upstream.sentWith('tools/call').at(-2);
	upstream.emit(sampling('srv-3'));
	upstream.emit({jsonrpc: '2.0', id: fromD!['id'], error: {code: -32_603, message: 'gave up'}});
	t.like(upstream.sent.find(message => message['id'] === 'srv-3'), {error: {code: -32_000}}, 'and when a call fails');
	t.false([...a.received, ...b.received, ...c.received, ...d.received].some(message => isSampling(message)));
});

test('a held server→client request that stays ambiguous gets an error upstream after ambiguousRequestTimeout; one the upstream cancels is dropped', t => {
	const {upstream, client, advance} = setup({ambiguousRequestTimeout: 5000, settingNames: {isolateSessions: '--isolate-sessions'}});
	const a = client('a');
	const b = client('b');
	a.send(initialize(1, {sampling: {}}));
	b.send(initialize(1, {sampling: {}}));
	a.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	b.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	upstream.emit(sampling('srv-1'));
	upstream.emit(sampling('srv-2'));
	upstream.emit({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 'srv-2'}});
	advance(4999);
	t.false(upstream.sent.some(message => message['id'] === 'srv-1'));
	advance(1);
	const errors = upstream.sent.filter(message => message['id'] === 'srv-1' || message['id'] === 'srv-2');
	t.like(errors, [{id: 'srv-1', error: {code: -32_001}}]);
	t.is(errors.length, 1, 'the cancelled one is not answered');
	t.regex(errors[0]!['error'].message as string, /--isolate-sessions/);
	t.false([...a.received, ...b.received].some(message => isSampling(message)));
});

test('a held server→client request whose possible causes all end gets an error upstream; one that came with nothing in flight goes to the newest session with the capability', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	const c = client('c');
	a.send(initialize(1, {sampling: {}, roots: {}}));
	b.send(initialize(1, {sampling: {}}));
	c.send(initialize(1, {}));
	a.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	b.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	upstream.emit(sampling('srv-1'));
	a.send({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 2}});
	b.close();
	t.like(upstream.sent.find(message => message['id'] === 'srv-1'), {error: {code: -32_000}});
	upstream.emit({jsonrpc: '2.0', id: 'srv-2', method: 'roots/list'});
	t.true(a.received.some(message => message['method'] === 'roots/list'), 'A is the only session that declared roots');
	t.false(c.received.some(message => message['method'] === 'roots/list'));
});

test('a server→client request for a client without the capability gets an error reply upstream', t => {
	const {upstream, client} = setup();
	const a = client('a');
	a.send(initialize(1, {}));
	a.send({id: 2, method: 'tools/call', params: {name: 'sample'}});
	upstream.emit({
		jsonrpc: '2.0', id: 7, method: 'sampling/createMessage', params: {},
	});
	t.like(upstream.sent.at(-1), {id: 7, error: {code: -32_601}});
	t.false(a.received.some(message => message['method'] === 'sampling/createMessage'));
});

test('pings are answered by the proxy in both directions', t => {
	const {upstream, client} = setup();
	const a = client('a');
	a.send({id: 5, method: 'ping'});
	t.deepEqual(a.received, [{jsonrpc: '2.0', id: 5, result: {}}]);
	t.is(upstream.sentWith('ping').length, 0);
	upstream.emit({jsonrpc: '2.0', id: 'p', method: 'ping'});
	t.deepEqual(upstream.sent.at(-1), {jsonrpc: '2.0', id: 'p', result: {}});
});

test('a client\'s cancellation is forwarded with the upstream id, and a late answer is dropped', t => {
	const {upstream, client} = setup();
	const a = client('a');
	a.send({id: 'call', method: 'tools/call', params: {}});
	const [call] = upstream.sentWith('tools/call');
	a.send({method: 'notifications/cancelled', params: {requestId: 'call', reason: 'user'}});
	t.deepEqual(upstream.sentWith('notifications/cancelled'), [{jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: call!['id'], reason: 'user'}}]);
	upstream.emit({jsonrpc: '2.0', id: call!['id'], result: {}});
	t.deepEqual(a.received, []);
});

test('answers nobody waits for are dropped and logged at warning level with their id, in both directions; a late answer to a cancelled request quietly', t => {
	const lines: string[] = [];
	const {upstream, client} = setup({
		logger: createLogger({
			level: 'debug',
			write(line) {
				lines.push(line);
			},
		}),
	});
	const a = client('a');
	a.send(initialize(1, {roots: {}}));
	a.send({id: 'answered', method: 'tools/call', params: {}});
	a.send({id: 'cancelled', method: 'tools/call', params: {}});
	const [answered, cancelled] = upstream.sentWith('tools/call');
	a.send({method: 'notifications/cancelled', params: {requestId: 'cancelled'}});
	upstream.emit({jsonrpc: '2.0', id: answered!['id'], result: {}});
	upstream.emit({jsonrpc: '2.0', id: answered!['id'], result: {}});
	upstream.emit({jsonrpc: '2.0', id: cancelled!['id'], result: {}});
	upstream.emit({jsonrpc: '2.0', id: 'never-sent', result: {}});
	t.deepEqual(a.received.filter(message => message['id'] !== 1), [{jsonrpc: '2.0', id: 'answered', result: {}}]);
	// The client answers a request of the upstream's twice, and one never sent.
	upstream.emit({jsonrpc: '2.0', id: 'r1', method: 'roots/list'});
	const asked = a.received.find(message => message['method'] === 'roots/list');
	a.send({id: asked!['id'], result: {roots: []}});
	a.send({id: asked!['id'], result: {roots: []}});
	a.send({id: 999, result: {}});
	t.is(upstream.sent.filter(message => message['id'] === 'r1').length, 1);
	const warnings = lines.filter(line => line.startsWith('[W'));
	t.is(warnings.length, 4, `${lines.join('')}`);
	t.regex(warnings[0]!, new RegExp(`dropped an answer to request ${String(answered!['id'])}: no such request was sent to it, or it was answered already`));
	t.regex(warnings[1]!, /dropped an answer to request "never-sent"/);
	t.regex(warnings[2]!, new RegExp(`dropped an answer from session a to request ${String(asked!['id'])}: the server sent it no such request, or it was answered already`));
	t.regex(warnings[3]!, /dropped an answer from session a to request 999/);
	t.regex(lines.join(''), new RegExp(String.raw`\[D [^\]]*\] the server: dropped the late answer to request ${String(cancelled!['id'])}, cancelled or of a closed session`));
});

test('when a session closes, its requests in flight are cancelled upstream and its pending server requests are refused', t => {
	const {upstream, client, mux} = setup();
	const a = client('a');
	a.send(initialize(1, {roots: {}}));
	a.send({id: 2, method: 'tools/call', params: {}});
	const [call] = upstream.sentWith('tools/call');
	upstream.emit({jsonrpc: '2.0', id: 'r1', method: 'roots/list'});
	a.close();
	t.true(a.completed);
	t.deepEqual(upstream.sentWith('notifications/cancelled'), [{jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: call!['id'], reason: 'The client session closed'}}]);
	t.like(upstream.sent.find(message => message['id'] === 'r1'), {error: {code: -32_000}});
	t.is(mux.status().sessions, 0);
});

test('per-session log levels: the upstream gets the most verbose, each session only what it asked for', t => {
	const {upstream, client} = setup();
	const a = client('a');
	const b = client('b');
	a.send(initialize(1));
	b.send(initialize(1));
	a.send({id: 2, method: 'logging/setLevel', params: {level: 'error'}});
	b.send({id: 2, method: 'logging/setLevel', params: {level: 'info'}});
	t.deepEqual(upstream.sentWith('logging/setLevel').map(message => message['params'].level), ['error', 'info']);
	upstream.emit({jsonrpc: '2.0', method: 'notifications/message', params: {level: 'info', data: 'chatty'}});
	upstream.emit({jsonrpc: '2.0', method: 'notifications/message', params: {level: 'error', data: 'bad'}});
	const logs = (received: Loose[]) => received.filter(message => message['method'] === 'notifications/message').map(message => message['params'].data);
	t.deepEqual(logs(a.received), ['bad']);
	t.deepEqual(logs(b.received), ['chatty', 'bad']);
});

test('when the upstream fails, requests in flight get an error at once; it restarts with backoff, is re-initialized, and requests made meanwhile are sent then', t => {
	const {upstream, client, mux, advance} = setup({restartDelay: 100, restartMaxDelay: 1000});
	const a = client('a');
	a.send(initialize(1));
	a.send({id: 2, method: 'resources/subscribe', params: {uri: 'u'}});
	a.send({id: 3, method: 'tools/call', params: {name: 'slow'}});
	upstream.fail(new Error('child crashed'));
	t.like(a.received.find(message => message['id'] === 3), {error: {code: -32_000}});
	t.regex(a.received.find(message => message['id'] === 3)!['error'].message, /child crashed/);
	t.like(mux.status(), {state: 'restarting', lastError: 'child crashed'});
	a.send({id: 4, method: 'tools/call', params: {name: 'echo'}});
	t.is(upstream.sentWith('tools/call').length, 1, 'held while restarting');
	advance(99);
	t.is(upstream.starts, 1);
	advance(1);
	t.is(upstream.starts, 2);
	t.like(mux.status(), {state: 'running', restarts: 1});
	t.is(upstream.sentWith('initialize').length, 2);
	const calls = upstream.sentWith('tools/call');
	t.is(calls.length, 2);
	t.is(calls[1]!['params'].name, 'echo');
	// Subscriptions are restored, and the session is told the lists may have changed.
	t.is(upstream.sentWith('resources/subscribe').length, 2);
	t.true(a.received.some(message => message['method'] === 'notifications/tools/list_changed'));
	upstream.emit({jsonrpc: '2.0', id: calls[1]!['id'], result: {ok: true}});
	t.deepEqual(a.received.at(-1), {jsonrpc: '2.0', id: 4, result: {ok: true}});
});

test('an upstream that never answers initialize fails after the timeout; waiting requests get an error; it keeps trying with growing delays', t => {
	const {upstream, client, mux, advance} = setup({initializeTimeout: 50, restartDelay: 100, restartMaxDelay: 250}, {answerInitialize: false});
	const a = client('a');
	a.send(initialize(1));
	t.deepEqual(a.received, []);
	advance(50);
	t.like(mux.status(), {state: 'failed'});
	t.regex(mux.status().lastError!, /did not answer `initialize` within 50 ms/);
	t.like(a.received[0], {id: 1, error: {code: -32_002}});
	// While failed, requests are refused at once.
	a.send({id: 2, method: 'tools/list'});
	t.like(a.received[1], {id: 2, error: {code: -32_002}});
	advance(100);
	t.is(upstream.starts, 2);
	advance(50 + 199);
	t.is(upstream.starts, 2, 'the second delay doubled');
	advance(1);
	t.is(upstream.starts, 3);
	advance(50 + 249);
	t.is(upstream.starts, 3, 'capped at restartMaxDelay');
	advance(1);
	t.is(upstream.starts, 4);
});

test('close() closes the upstream gracefully and ends every session', t => {
	const {client, mux, running} = setup();
	const a = client('a');
	a.send(initialize(1));
	let done = false;
	running.add(() => {
		done = true;
	});
	mux.close();
	t.true(a.completed);
	t.true(done);
	t.is(mux.status().state, 'stopped');
});

function answer(id: number): Message {
	return {
		jsonrpc: '2.0', id, result: {protocolVersion: '2025-11-25', capabilities: {}, serverInfo: {name: 'fake', version: '1'}},
	};
}

/**
An upstream that answers `initialize` at once and then does what `end$` does; it records the frames it was started at.
*/
function answeringUpstream(end$: () => Observable<never>, starts: number[], now: () => number): Transport {
	return outgoing$ => defer(() => {
		starts.push(now());
		return merge(
			outgoing$.pipe(
				filter(message => (message as Loose)['method'] === 'initialize'),
				map(message => answer((message as Loose)['id'] as number)),
			),
			end$(),
		);
	});
}

test('marbles: run$ starts the upstream again after each end, the delay doubling while it fails within stableAfter; close() during a wait completes run$ then', t => {
	const scheduler = testScheduler(t);
	const starts: number[] = [];
	scheduler.run(({cold, expectObservable}) => {
		const mux = multiplex(answeringUpstream(() => cold<never>('----#'), starts, () => scheduler.now()), {
			logger, restartDelay: 10, restartMaxDelay: 40, stableAfter: 5,
		});
		cold('60ms a').subscribe(() => {
			mux.close();
		});
		expectObservable(mux.run$).toBe('60ms |');
	});
	// Fails at 4 (delay 10), 18 (20), 42 (40): the next start would be at 82.
	t.deepEqual(starts, [0, 14, 38]);
});

test('marbles: an upstream that ran stableAfter before it ended is started again after restartDelay, not a longer delay', t => {
	const scheduler = testScheduler(t);
	const starts: number[] = [];
	scheduler.run(({cold, expectObservable}) => {
		const mux = multiplex(answeringUpstream(() => cold<never>('----#'), starts, () => scheduler.now()), {
			logger, restartDelay: 10, restartMaxDelay: 40, stableAfter: 4,
		});
		cold('50ms a').subscribe(() => {
			mux.close();
		});
		expectObservable(mux.run$).toBe('50ms |');
	});
	t.deepEqual(starts, [0, 14, 28, 42]);
});

test('marbles: a session whose messages fail has its request cancelled upstream, then errors; close() fails the others\' requests in flight and completes them', t => {
	const scheduler = testScheduler(t);
	const starts: number[] = [];
	const sent: Loose[] = [];
	scheduler.run(({cold, hot, expectObservable}) => {
		const upstream: Transport = outgoing$ => answeringUpstream(() => EMPTY, starts, () => scheduler.now())(outgoing$.pipe(tap(message => {
			sent.push(message);
		})));
		const mux = multiplex(upstream, {logger});
		mux.run$.subscribe();
		const call: Message = {
			jsonrpc: '2.0', id: 1, method: 'tools/call', params: {},
		};
		const failing = mux.session('failing')(hot<Message>('-a--#', {a: call}));
		const staying = mux.session('staying')(hot<Message>('-a----', {a: call}));
		cold('6ms a').subscribe(() => {
			mux.close();
		});
		expectObservable(failing).toBe('----#');
		expectObservable(staying).toBe('------(e|)', {
			e: {jsonrpc: '2.0', id: 1, error: {code: -32_000, message: 'The server closed (while handling `tools/call`); the proxy is shutting down'}},
		});
	});
	t.like(sent.filter(message => message['method'] === 'notifications/cancelled'), [{params: {requestId: 1, reason: 'The client session closed'}}]);
});
