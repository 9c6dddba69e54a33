/*
Table tests of the multiplexer's step, client side (source/operators/multiplex/sessions.ts): ids and progress tokens rewritten, `initialize` and `ping` answered here, log levels and subscriptions counted over sessions, the queue while the upstream starts, a session's end.
*/
import test from 'ava';
import {
	deliveredTo, initResult, sent, stepHarness,
} from '../../helpers/multiplex-step.js';

test('each request gets the next upstream id, whatever id its session gave it; the answer goes back with the session\'s own id', t => {
	const mux = stepHarness();
	mux.running();
	mux.open('a');
	mux.open('b');
	const cases = [
		{session: 'a', id: 1, upstreamId: 1},
		{session: 'b', id: 1, upstreamId: 2},
		{session: 'a', id: 'x', upstreamId: 3},
		{session: 'b', id: 'x', upstreamId: 4},
	];
	for (const {session, id, upstreamId} of cases) {
		t.deepEqual(mux.fromClient(session, {id, method: 'tools/call', params: {name: 'echo'}}), [
			{
				type: 'send', message: {
					jsonrpc: '2.0', id: upstreamId, method: 'tools/call', params: {name: 'echo'},
				},
			},
		]);
	}

	t.is(mux.state.requests.size, 4);
	for (const {session, id, upstreamId} of cases.toReversed()) {
		t.deepEqual(mux.fromUpstream({id: upstreamId, result: {upstreamId}}), [
			{type: 'deliver', session, message: {jsonrpc: '2.0', id, result: {upstreamId}}},
		]);
	}

	t.is(mux.state.requests.size, 0);
	t.is(mux.session('a').inFlight.size, 0);
});

test('a progress token is rewritten to the upstream id, the rest of _meta kept; a request without one is sent as it came', t => {
	const mux = stepHarness();
	mux.running();
	mux.open('a');
	t.deepEqual(sent(mux.fromClient('a', {id: 7, method: 'tools/call', params: {name: 'slow', _meta: {progressToken: 'p', trace: 'x'}}})), [
		{
			jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name: 'slow', _meta: {progressToken: 1, trace: 'x'}},
		},
	]);
	t.is(mux.state.requests.get(1)!.originalToken, 'p');
	const parameters = {name: 'quick'};
	const [plain] = sent(mux.fromClient('a', {id: 8, method: 'tools/call', params: parameters}));
	t.is(plain!['params'], parameters, 'the same params object: nothing copied');
	t.is(mux.state.requests.get(2)!.originalToken, undefined);
});

test('initialize is answered from the upstream\'s result, with the protocol version negotiated per session; ping is answered here', t => {
	const cases = [
		{requested: '2025-11-25', answered: '2025-11-25'},
		{requested: '2025-03-26', answered: '2025-03-26'},
		{requested: '2024-11-05', answered: '2024-11-05'},
		{requested: '2099-01-01', answered: '2025-11-25'},
		{requested: undefined, answered: '2025-11-25'},
	];
	for (const {requested, answered} of cases) {
		const mux = stepHarness();
		mux.running();
		mux.open('a');
		t.deepEqual(mux.fromClient('a', {id: 'init', method: 'initialize', params: {protocolVersion: requested, capabilities: {sampling: {}}}}), [
			{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', id: 'init', result: {...initResult, protocolVersion: answered}}},
		], `requested ${requested}`);
		t.true(mux.session('a').ready);
		t.deepEqual(mux.session('a').capabilities, {sampling: {}});
	}

	const mux = stepHarness();
	mux.running();
	mux.open('a');
	t.deepEqual(mux.fromClient('a', {id: 5, method: 'ping'}), [{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', id: 5, result: {}}}]);
});

test('logging/setLevel: the upstream gets the most verbose level any session asked for; an unknown level passes as it came', t => {
	const mux = stepHarness();
	mux.running();
	mux.open('a');
	mux.open('b');
	const cases = [
		{session: 'a', level: 'error', upstream: 'error'},
		{session: 'b', level: 'info', upstream: 'info'},
		{session: 'a', level: 'warning', upstream: 'info'},
		{session: 'b', level: 'critical', upstream: 'warning'},
		{session: 'b', level: 'chatty', upstream: 'chatty'},
	];
	for (const {session, level, upstream} of cases) {
		const [message] = sent(mux.fromClient(session, {id: level, method: 'logging/setLevel', params: {level}}));
		t.is(message!['params'].level, upstream, `${session} asks for ${level}`);
	}

	t.is(mux.state.upstreamLogLevel, 'warning');
});

test('resource subscriptions are counted over sessions: the upstream is unsubscribed when the last subscriber leaves', t => {
	const mux = stepHarness();
	mux.running();
	mux.open('a');
	mux.open('b');
	// The upstream answers at once what it is sent.
	const answered = (effects: ReturnType<typeof mux.fromClient>) => {
		for (const message of sent(effects)) {
			mux.fromUpstream({id: message['id'], result: {}});
		}

		return effects;
	};

	const subscribe = (session: string, id: number) => answered(mux.fromClient(session, {id, method: 'resources/subscribe', params: {uri: 'u'}}));
	const unsubscribe = (session: string, id: number) => answered(mux.fromClient(session, {id, method: 'resources/unsubscribe', params: {uri: 'u'}}));
	t.is(sent(subscribe('a', 1)).length, 1);
	t.is(sent(subscribe('b', 1)).length, 1, 'each subscribe is forwarded (the upstream answers it)');
	t.deepEqual(unsubscribe('a', 2), [{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', id: 2, result: {}}}], 'b still subscribed: answered here');
	t.deepEqual(sent(unsubscribe('b', 2)), [{
		jsonrpc: '2.0', id: 3, method: 'resources/unsubscribe', params: {uri: 'u'},
	}]);
	// A session that leaves subscribed: the proxy unsubscribes for it, with a request of its own.
	subscribe('a', 3);
	t.deepEqual(sent(mux.closeSession('a')), [{
		jsonrpc: '2.0', id: 'rx-mcp-proxy/2', method: 'resources/unsubscribe', params: {uri: 'u'},
	}]);
	t.is(mux.state.internal.get('rx-mcp-proxy/2'), 'unsubscribe');
});

test('while the upstream starts, requests wait in a bounded queue and are sent in order once it runs; a cancelled one is never sent', t => {
	const mux = stepHarness({maxQueued: 3});
	mux.start();
	mux.open('a');
	mux.open('b');
	t.deepEqual(mux.fromClient('a', {id: 1, method: 'tools/list'}), []);
	t.deepEqual(mux.fromClient('b', {id: 1, method: 'tools/list'}), []);
	t.deepEqual(mux.fromClient('a', {id: 2, method: 'tools/call', params: {name: 'x'}}), []);
	t.deepEqual(mux.fromClient('b', {id: 2, method: 'tools/list'}), [{
		type: 'deliver', session: 'b', message: {jsonrpc: '2.0', id: 2, error: {code: -32_004, message: 'The server is starting and 3 requests are already waiting for it'}},
	}]);
	t.deepEqual(mux.fromClient('a', {method: 'notifications/cancelled', params: {requestId: 2}}), [], 'the upstream never sees it');
	t.is(mux.state.queue.length, 2);
	const effects = mux.answerHandshake();
	t.deepEqual(sent(effects), [
		{jsonrpc: '2.0', method: 'notifications/initialized'},
		{jsonrpc: '2.0', id: 1, method: 'tools/list'},
		{jsonrpc: '2.0', id: 2, method: 'tools/list'},
	]);
	t.deepEqual(mux.state.requests.entries().map(([id, entry]) => [id, entry.session.id, entry.originalId]).toSorted(([a], [b]) => Number(a) - Number(b)), [[1, 'a', 1], [2, 'b', 1]]);
});

test('a queued request of a session that closed is dropped; when the upstream failed or stopped, requests are refused at once', t => {
	const mux = stepHarness();
	mux.start();
	mux.open('a');
	mux.open('b');
	mux.fromClient('a', {id: 1, method: 'tools/list'});
	mux.fromClient('b', {id: 1, method: 'tools/list'});
	mux.closeSession('a');
	t.deepEqual(mux.state.queue.map(item => item.session.id), ['b']);
	mux.state.lifecycle.phase = 'failed';
	mux.state.lifecycle.lastError = 'it exited';
	t.deepEqual(deliveredTo('b', mux.fromClient('b', {id: 2, method: 'tools/list'})), [
		{jsonrpc: '2.0', id: 2, error: {code: -32_002, message: 'The server is not available: it exited. The proxy is restarting it.'}},
	]);
	mux.state.lifecycle.phase = 'stopped';
	mux.state.lifecycle.stopping = true;
	t.deepEqual(deliveredTo('b', mux.fromClient('b', {id: 3, method: 'tools/list'})), [
		{jsonrpc: '2.0', id: 3, error: {code: -32_002, message: 'The server is not available: it exited. The proxy is shutting down.'}},
	]);
});

test('notifications: notifications/initialized stays here, others go upstream only while it runs; a cancellation goes with the upstream id', t => {
	const mux = stepHarness();
	mux.start();
	mux.open('a');
	t.deepEqual(mux.fromClient('a', {method: 'notifications/roots/list_changed'}), [], 'not running yet');
	mux.answerHandshake();
	t.deepEqual(mux.fromClient('a', {method: 'notifications/initialized'}), []);
	t.deepEqual(sent(mux.fromClient('a', {method: 'notifications/roots/list_changed'})), [{jsonrpc: '2.0', method: 'notifications/roots/list_changed'}]);
	mux.fromClient('a', {id: 'call', method: 'tools/call', params: {}});
	t.deepEqual(mux.fromClient('a', {method: 'notifications/cancelled', params: {requestId: 'call', reason: 'user'}}), [
		{type: 'send', message: {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, reason: 'user'}}},
	]);
	t.is(mux.state.requests.size, 0);
	t.true(mux.state.retiredRequests.has(1), 'its late answer will be dropped quietly');
	t.deepEqual(mux.fromUpstream({id: 1, result: {}}), [
		{type: 'log', level: 'debug', text: 'the server: dropped the late answer to request 1, cancelled or of a closed session'},
	]);
});

test('a session that closes: its requests in flight are cancelled upstream, the server requests it holds refused, and it is forgotten', t => {
	const mux = stepHarness();
	mux.running();
	mux.ready('a', {roots: {}});
	mux.fromClient('a', {id: 1, method: 'tools/call', params: {}});
	mux.fromClient('a', {id: 2, method: 'tools/call', params: {}});
	mux.fromUpstream({id: 'r1', method: 'roots/list'});
	t.deepEqual(sent(mux.closeSession('a')), [
		{jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, reason: 'The client session closed'}},
		{jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 2, reason: 'The client session closed'}},
		{jsonrpc: '2.0', id: 'r1', error: {code: -32_000, message: 'The client session closed before answering'}},
	]);
	t.is(mux.state.sessions.size, 0);
	t.is(mux.state.requests.size, 0);
	t.is(mux.state.serverRequests.size, 0);
	t.deepEqual(mux.closeSession('a'), [], 'closing twice does nothing');
	t.deepEqual(mux.fromUpstream({id: 2, result: {}}), [
		{type: 'log', level: 'debug', text: 'the server: dropped the late answer to request 2, cancelled or of a closed session'},
	]);
});
