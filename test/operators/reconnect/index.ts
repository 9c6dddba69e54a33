import test, {type ExecutionContext} from 'ava';
import {
	EMPTY,
	map,
	merge,
	mergeMap,
	NEVER,
	Observable,
	share,
	tap,
	throwError,
	timer,
	type SchedulerLike,
} from 'rxjs';
import {reconnect, type ReconnectOptions} from '../../../source/operators/reconnect/index.js';
import {
	ConnectError,
	SessionExpiredError,
	SignInError,
	TransportError,
	UsageError,
} from '../../../source/errors.js';
import {createLogger} from '../../../source/logger.js';
import {isRequest} from '../../../source/wire/message.js';
import type {Message, Transport} from '../../../source/types.js';
import {testScheduler} from '../../helpers/marbles.js';

const initialize: Message = {
	jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'test', version: '1'}},
};
const initialized: Message = {jsonrpc: '2.0', method: 'notifications/initialized'};
const call = (id: number, name = 'echo'): Message => ({
	jsonrpc: '2.0', id, method: 'tools/call', params: {name, arguments: {}},
});
const initializeResult = {protocolVersion: '2025-06-18', capabilities: {tools: {listChanged: true}}, serverInfo: {name: 'fake', version: '1'}};

type Plan = {
	/**
	Frames after a request before it is answered.
	*/
	replyAfter?: number;
	/**
	Frame (from the subscription) at which the connection fails or closes.
	*/
	endAt?: number;
	error?: Error;
	/**
	Answer `initialize` with an error.
	*/
	refuseInitialize?: boolean;
	/**
	Send this request to the client right away.
	*/
	ask?: Message;
	/**
	Answer `initialize` only.
	*/
	silent?: boolean;
};

type Sent = {connection: number; time: number; message: Message};

/**
A fake remote: each subscription follows the next plan (the last one repeats) and answers requests after `replyAfter` frames.
*/
function fakeRemote(plans: Plan[], sent: Sent[], scheduler: SchedulerLike): Transport {
	let connections = 0;
	return outgoing$ => new Observable<Message>(subscriber => {
		const connection = connections++;
		const plan = plans[Math.min(connection, plans.length - 1)]!;
		const input$ = outgoing$.pipe(tap(message => {
			sent.push({connection, time: scheduler.now(), message});
		}), share());
		const replies$ = input$.pipe(mergeMap(message => {
			if (!isRequest(message) || (plan.silent && message.method !== 'initialize')) {
				return EMPTY;
			}

			const reply: Message = message.method === 'initialize'
				? (plan.refuseInitialize ? {jsonrpc: '2.0', id: message.id, error: {code: -32_603, message: 'not today'}} : {jsonrpc: '2.0', id: message.id, result: initializeResult})
				: {jsonrpc: '2.0', id: message.id, result: {connection}};
			return timer(plan.replyAfter ?? 1).pipe(map(() => reply));
		}));
		const end$ = plan.endAt === undefined
			? NEVER
			: timer(plan.endAt).pipe(mergeMap(() => (plan.error ? throwError(() => plan.error) : EMPTY)));
		const ask$ = plan.ask ? timer(0).pipe(map(() => plan.ask!)) : EMPTY;
		const subscription = merge(replies$, ask$).subscribe(subscriber);
		subscription.add(end$.subscribe({
			error(error) {
				subscriber.error(error);
			}, complete() {
				subscriber.complete();
			},
		}));
		return subscription;
	});
}

type Run = {
	received: Array<{time: number; message: Message}>;
	sent: Sent[];
	errors: unknown[];
	completedAt: number | undefined;
	logged: string[];
};

/**
Run the operator over a fake remote, with client messages at given frames.
*/
function run(t: ExecutionContext, plans: Plan[], client: Array<[number, Message] | [number, 'complete']>, options: ReconnectOptions = {}, until = 1000): Run {
	const scheduler = testScheduler(t);
	const result: Run = {
		received: [], sent: [], errors: [], completedAt: undefined, logged: [],
	};
	scheduler.run(() => {
		const logger = createLogger({
			level: 'debug',
			write(line) {
				result.logged.push(line);
			},
		});
		const clientMessages$ = new Observable<Message>(subscriber => {
			const subscription = merge(...client.map(([time, value]) => timer(time).pipe(map(() => value)))).subscribe(value => {
				if (value === 'complete') {
					subscriber.complete();
				} else {
					subscriber.next(value);
				}
			});
			return subscription;
		});
		const transport = reconnect({
			initialDelay: 10, maxDelay: 40, random: () => 1, logger, ...options,
		})(fakeRemote(plans, result.sent, scheduler));
		const subscription = transport(clientMessages$).subscribe({
			next(message) {
				result.received.push({time: scheduler.now(), message});
			},
			error(error: unknown) {
				result.errors.push(error);
			},
			complete() {
				result.completedAt = scheduler.now();
			},
		});
		scheduler.schedule(() => {
			subscription.unsubscribe();
		}, until);
	});
	return result;
}

const summary = (messages: Array<{time: number; message: Message}>) => messages.map(({time, message}) => {
	const record = message as {id?: unknown; method?: string; error?: {message: string}; result?: unknown};
	const what = record.method ?? (record.error ? `error: ${record.error.message}` : `result ${JSON.stringify(record.result)}`);
	return `${time} ${record.id === undefined ? '' : `#${JSON.stringify(record.id).replaceAll('"', '')} `}${what}`;
});

const sentSummary = (sent: Sent[]) => sent.map(({connection, time, message}) => {
	const record = message as {id?: unknown; method?: string};
	return `${connection}@${time} ${record.id === undefined ? '' : `#${JSON.stringify(record.id).replaceAll('"', '')} `}${record.method ?? 'response'}`;
});

const handshake: Array<[number, Message]> = [[0, initialize], [2, initialized]];

test('messages pass through untouched while the connection is healthy', t => {
	const result = run(t, [{}], [...handshake, [5, call(1)], [8, 'complete']]);
	t.deepEqual(summary(result.received), [
		`1 #0 result ${JSON.stringify(initializeResult)}`,
		'6 #1 result {"connection":0}',
	]);
	t.deepEqual(sentSummary(result.sent), ['0@0 #0 initialize', '0@2 notifications/initialized', '0@5 #1 tools/call']);
	t.is(result.completedAt, 8);
	t.deepEqual(result.errors, []);
});

test('a lost connection: in-flight requests get an error at once; the session is re-initialized, the duplicate reply swallowed, held messages flushed', t => {
	const result = run(t, [
		{endAt: 20, error: new TransportError('socket hang up'), replyAfter: 10},
		{replyAfter: 2},
	], [...handshake, [15, call(1)], [25, call(2)], [26, {jsonrpc: '2.0', method: 'notifications/roots/list_changed'}]]);
	t.deepEqual(summary(result.received), [
		`10 #0 result ${JSON.stringify(initializeResult)}`,
		'20 #1 error: The connection to the remote server was lost; the request may or may not have been processed (socket hang up)',
		// Reconnected at 30 (initialDelay 10), initialize answered at 32: the client hears the lists may have changed.
		'32 notifications/tools/list_changed',
		'34 #2 result {"connection":1}',
	]);
	t.deepEqual(sentSummary(result.sent), [
		'0@0 #0 initialize',
		'0@2 notifications/initialized',
		'0@15 #1 tools/call',
		'1@30 #mcp-proxy-reconnect-1 initialize',
		'1@32 notifications/initialized',
		'1@32 #2 tools/call',
		'1@32 notifications/roots/list_changed',
	]);
	t.true(result.logged.some(line => line.includes('Lost the connection to the remote server (socket hang up); reconnecting')));
	t.true(result.logged.some(line => line.includes('Reconnected to the remote server')));
});

test('requests that certainly never left (ConnectError.unsent) are sent again after the re-handshake, not answered with an error', t => {
	const result = run(t, [
		{endAt: 6, error: new ConnectError('connect ECONNREFUSED', [call(1)])},
		{},
	], [...handshake, [5, call(1)]]);
	t.deepEqual(summary(result.received), [
		`1 #0 result ${JSON.stringify(initializeResult)}`,
		'17 notifications/tools/list_changed',
		'18 #1 result {"connection":1}',
	]);
});

test('a stream the remote ended (completion) leads to a new session after the backoff', t => {
	const result = run(t, [{endAt: 5}, {}], [...handshake, [20, call(7)]]);
	t.deepEqual(summary(result.received).slice(-1), ['21 #7 result {"connection":1}']);
	t.deepEqual(sentSummary(result.sent.filter(({connection}) => connection === 1)), ['1@15 #mcp-proxy-reconnect-1 initialize', '1@16 notifications/initialized', '1@20 #7 tools/call']);
});

test('a session the remote forgot (SessionExpiredError: it answered 404, so it is up) is re-initialized at once, without the backoff; the request it refused is sent in the new session', t => {
	const result = run(t, [
		{endAt: 5, error: new SessionExpiredError('HTTP 404', [call(7)]), replyAfter: 3},
		{},
	], [...handshake, [4, call(7)]]);
	// Lost at 5, re-initialized at 5 (not at 15, after initialDelay), the refused request sent again once the new session is up.
	t.deepEqual(sentSummary(result.sent), [
		'0@0 #0 initialize',
		'0@2 notifications/initialized',
		'0@4 #7 tools/call',
		'1@5 #mcp-proxy-reconnect-1 initialize',
		'1@6 notifications/initialized',
		'1@6 #7 tools/call',
	]);
	t.deepEqual(summary(result.received).slice(-2), ['6 notifications/tools/list_changed', '7 #7 result {"connection":1}']);
	t.true(result.logged.some(line => line.includes('Lost the session with the remote server (HTTP 404); initializing a new one at once')));
});

test('when the session made at once is refused too, the backoff applies: no tight loop against a server that forgets or refuses every session', t => {
	const forgotten = (unsent: Message[] = []) => new SessionExpiredError('HTTP 404', unsent);
	// The new session comes up at 6 and, at 8, forgets the request sent again before answering anything: a failed attempt, so the next one waits as after any failed attempt with a request held (initialDelay).
	const forgetting = run(t, [
		{endAt: 5, error: forgotten([call(7)]), replyAfter: 3},
		{endAt: 3, error: forgotten([call(7)]), silent: true},
		{},
	], [...handshake, [4, call(7)]], {}, 200);
	const attempts = (result: Run) => result.sent.filter(({message}) => isRequest(message) && message.method === 'initialize').map(({time}) => time);
	t.deepEqual(attempts(forgetting), [0, 5, 18]);
	t.deepEqual(summary(forgetting.received).slice(-1), ['20 #7 result {"connection":2}']);
	t.true(forgetting.logged.some(line => line.includes('The remote server forgot the new session too (HTTP 404); reconnecting after a delay')));
	// A server that refuses the new session outright: the delays grow as for any failed attempt.
	const refusing = run(t, [{endAt: 5, error: forgotten()}, {refuseInitialize: true}], [...handshake], {}, 200);
	t.deepEqual(attempts(refusing).slice(0, 5), [0, 5, 26, 67, 108]);
});

test('while the remote stays down, held requests are answered when an attempt that began after them fails; the delay grows to the maximum', t => {
	const down: Plan = {endAt: 0, error: new ConnectError('connect ECONNREFUSED')};
	const result = run(t, [{endAt: 5, error: new TransportError('reset')}, down], [...handshake, [7, call(1)]], {}, 200);
	// Lost at 5; attempts at 15 (the request, held since 7, is answered when it fails), then after 20, 40, 40…
	const attempts = result.sent.filter(({message}) => isRequest(message) && message.method === 'initialize').map(({time}) => time);
	t.deepEqual(attempts.slice(0, 5), [0, 15, 35, 75, 115]);
	t.deepEqual(summary(result.received).slice(1), [
		'15 #1 error: The remote server is unreachable (connect ECONNREFUSED); the proxy keeps trying to reconnect',
	]);
	t.true(result.logged.some(line => line.includes('Reconnection attempt 1 failed (connect ECONNREFUSED)')));
});

test('a request arriving while the remote is down brings the next attempt forward, and succeeds when the remote is back', t => {
	const down: Plan = {endAt: 0, error: new ConnectError('connect ECONNREFUSED')};
	// Attempts fail at 15 and 35 (delay 20 then 40); the request at 40 hurries the third attempt to 45, which works.
	const result = run(t, [{endAt: 5, error: new TransportError('reset')}, down, down, {}], [...handshake, [40, call(3)]], {}, 200);
	t.deepEqual(summary(result.received).slice(-2), ['46 notifications/tools/list_changed', '47 #3 result {"connection":3}']);
});

test('a sign-in nobody completed (SignInError) is not retried on a timer: the next client request tries again', t => {
	const abandoned: Plan = {endAt: 0, error: new TransportError('Authorization failed', {cause: new SignInError('No sign-in within 300 s; gave up waiting for the browser')})};
	// Lost at 5; the attempt at 15 meets a sign-in nobody completes; nothing more until the request at 150, which tries at once and works.
	const result = run(t, [{endAt: 5, error: new TransportError('reset')}, abandoned, {}], [...handshake, [150, call(4)]], {}, 300);
	const attempts = result.sent.filter(({message}) => isRequest(message) && message.method === 'initialize').map(({time}) => time);
	t.deepEqual(attempts, [0, 15, 150]);
	t.deepEqual(summary(result.received).slice(-1), ['152 #4 result {"connection":2}']);
	t.true(result.logged.some(line => line.includes('the next request will ask again')));
});

test('the first connection failing answers the client\'s initialize with a clear error and logs it', t => {
	const result = run(t, [{endAt: 1, error: new ConnectError('Cannot connect to http://127.0.0.1:9/mcp: connect ECONNREFUSED', [initialize])}], [[0, initialize]], {}, 50);
	t.deepEqual(summary(result.received), ['1 #0 error: The remote server is unreachable (Cannot connect to http://127.0.0.1:9/mcp: connect ECONNREFUSED); the proxy keeps trying to reconnect']);
	t.true(result.logged.some(line => line.startsWith('[E') && line.includes('Cannot connect to the remote server')));
});

test('a refused replayed initialize is a failed attempt', t => {
	const result = run(t, [{endAt: 5, error: new TransportError('reset')}, {refuseInitialize: true}, {}], [...handshake, [16, call(1)]], {}, 100);
	t.true(result.logged.some(line => line.includes('refused the replayed initialize: not today')));
	// Refused at 16; the request that arrived during that attempt brings the next one forward to 26.
	t.deepEqual(summary(result.received).slice(-1), ['28 #1 result {"connection":2}']);
});

test('when the queue is full, further requests are answered with an error at once', t => {
	const result = run(t, [{endAt: 5, error: new TransportError('reset')}, {}], [...handshake, [6, call(1)], [7, call(2)]], {maxQueuedMessages: 1});
	t.deepEqual(summary(result.received).filter(line => line.includes('#2')), ['7 #2 error: The remote server is unreachable and 1 messages are already waiting for it; `tools/call` was not sent']);
});

test('a request of the remote pending at the drop is cancelled for the client; the client\'s late answer is dropped', t => {
	const ask: Message = {jsonrpc: '2.0', id: 'r1', method: 'roots/list'};
	const result = run(t, [{ask, endAt: 5, error: new TransportError('reset')}, {}], [...handshake, [20, {jsonrpc: '2.0', id: 'r1', result: {roots: []}}]]);
	t.true(summary(result.received).includes('5 notifications/cancelled'));
	t.false(result.sent.some(({message}) => 'result' in message));
});

test('a client request the client cancels while held is neither sent nor answered', t => {
	const result = run(t, [{endAt: 5, error: new TransportError('reset')}, {}], [...handshake, [6, call(1)], [7, {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1}}]]);
	t.false(result.sent.some(({message}) => isRequest(message) && message.id === 1));
	t.false(result.received.some(({message}) => 'id' in message && message.id === 1));
});

test('errors that are not worth retrying end the operator', t => {
	const failure = new UsageError('bad configuration');
	const result = run(t, [{endAt: 5, error: failure}], handshake);
	t.deepEqual(result.errors, [failure]);
});

test('the client leaving while the remote is away completes at once', t => {
	const result = run(t, [{endAt: 5, error: new TransportError('reset')}, {endAt: 0, error: new ConnectError('refused')}], [...handshake, [30, 'complete']]);
	t.is(result.completedAt, 30);
});

test('resource subscriptions and the log level are restored after a re-handshake, their replies swallowed', t => {
	const subscribe: Message = {
		jsonrpc: '2.0', id: 5, method: 'resources/subscribe', params: {uri: 'echo://a'},
	};
	const setLevel: Message = {
		jsonrpc: '2.0', id: 6, method: 'logging/setLevel', params: {level: 'debug'},
	};
	const result = run(t, [{endAt: 10, error: new TransportError('reset')}, {}], [...handshake, [3, subscribe], [4, setLevel]]);
	t.deepEqual(sentSummary(result.sent.filter(({connection}) => connection === 1)), [
		'1@20 #mcp-proxy-reconnect-1 initialize',
		'1@21 notifications/initialized',
		'1@21 #mcp-proxy-reconnect-2 logging/setLevel',
		'1@21 #mcp-proxy-reconnect-3 resources/subscribe',
	]);
	t.false(result.received.some(({message}) => 'id' in message && String(message.id).startsWith('mcp-proxy')));
});

test('options are validated', t => {
	t.throws(() => reconnect({initialDelay: -1}), {instanceOf: TypeError, message: /initialDelay/});
	t.throws(() => reconnect({initialDelay: 100, maxDelay: 10}), {instanceOf: TypeError, message: /maxDelay/});
	t.throws(() => reconnect({maxQueuedMessages: 0}), {instanceOf: TypeError, message: /maxQueuedMessages/});
});

test('marble: the connection drops at 4; a request held at 5 is sent after the re-handshake at 7', t => {
	const scheduler = testScheduler(t);
	scheduler.run(({hot, expectObservable}) => {
		const client$ = hot<Message>('a-b--c', {a: initialize, b: initialized, c: call(1)});
		const remote = fakeRemote([{endAt: 4, error: new TransportError('reset')}, {}], [], scheduler);
		const transport = reconnect({initialDelay: 3, random: () => 1, logger: createLogger({level: 'silent'})})(remote);
		expectObservable(transport(client$)).toBe('-i------lr', {
			i: {jsonrpc: '2.0', id: 0, result: initializeResult},
			l: {jsonrpc: '2.0', method: 'notifications/tools/list_changed'},
			r: {jsonrpc: '2.0', id: 1, result: {connection: 1}},
		});
	});
});
