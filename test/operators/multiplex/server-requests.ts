/*
Table tests of the multiplexer's step, server→client requests (source/operators/multiplex/server-requests.ts): each placement rule, the horizon, elimination by answers, refusal when a possible cause ends without a result, the timeout, the upstream cancelling, the sessions' answers.
*/
import test from 'ava';
import {deliveredTo, sent, stepHarness} from '../../helpers/multiplex-step.js';

const sampling = (id: string | number) => ({id, method: 'sampling/createMessage', params: {messages: []}});

/**
A running upstream with sessions ready as given (name → capabilities), and requests in flight from those named in `calling`, in that order (session `s` sends its request with id `call`).
*/
function setup(sessions: Partial<Record<string, Record<string, unknown>>>, calling: string[] = [], options = {}) {
	const mux = stepHarness(options);
	mux.running();
	for (const [name, capabilities] of Object.entries(sessions)) {
		mux.ready(name, capabilities);
	}

	for (const name of calling) {
		mux.fromClient(name, {id: 'call', method: 'tools/call', params: {name: 'sample'}});
	}

	return mux;
}

test('placement: the one session with a request in flight, else the newest that declared the capability; an error upstream when it cannot be answered', t => {
	const cases = [
		{
			why: 'one session had a request in flight: it goes there, whoever else declared sampling',
			sessions: {a: {sampling: {}}, b: {sampling: {}}},
			calling: ['a'],
			request: sampling('s1'),
			effects: [{
				type: 'deliver', session: 'a', message: {
					jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: {messages: []},
				},
			}],
		},
		{
			why: 'the one that caused it did not declare the capability: the upstream gets an error, no other session sees it',
			sessions: {a: {}, b: {sampling: {}}},
			calling: ['a'],
			request: sampling('s1'),
			effects: [{
				type: 'send', message: {jsonrpc: '2.0', id: 's1', error: {code: -32_601, message: 'The client this request is for does not support sampling (it did not declare the capability)'}},
			}],
		},
		{
			why: 'nothing in flight: the newest session that declared the capability',
			sessions: {a: {roots: {}}, b: {roots: {}}, c: {}},
			calling: [],
			request: {id: 'r1', method: 'roots/list'},
			effects: [{type: 'deliver', session: 'b', message: {jsonrpc: '2.0', id: 1, method: 'roots/list'}}],
		},
		{
			why: 'nothing in flight and nobody declared it',
			sessions: {a: {}},
			calling: [],
			request: {id: 'r1', method: 'roots/list'},
			effects: [{type: 'send', message: {jsonrpc: '2.0', id: 'r1', error: {code: -32_601, message: 'No client session declared the roots capability to answer `roots/list` right now'}}}],
		},
		{
			why: 'no session at all',
			sessions: {},
			calling: [],
			request: {id: 'r1', method: 'roots/list'},
			effects: [{type: 'send', message: {jsonrpc: '2.0', id: 'r1', error: {code: -32_601, message: 'No client session can answer `roots/list` right now'}}}],
		},
		{
			why: 'a method with no capability behind it goes to the newest ready session',
			sessions: {a: {}, b: {}},
			calling: [],
			request: {id: 'v1', method: 'vendor/ask'},
			effects: [{type: 'deliver', session: 'b', message: {jsonrpc: '2.0', id: 1, method: 'vendor/ask'}}],
		},
		{
			why: 'several could have caused it: it waits, with a timer',
			sessions: {a: {sampling: {}}, b: {sampling: {}}},
			calling: ['a', 'b'],
			request: sampling('s1'),
			effects: [
				{type: 'set-timer', key: 'held:1', delay: 30_000},
				{type: 'log', level: 'debug', text: 'the server: `sampling/createMessage` "s1" waits: several client sessions with requests in flight could have caused it'},
			],
		},
		{
			why: 'the upstream\'s ping is answered here',
			sessions: {a: {}},
			calling: ['a'],
			request: {id: 'p', method: 'ping'},
			effects: [{type: 'send', message: {jsonrpc: '2.0', id: 'p', result: {}}}],
		},
	];
	for (const {why, sessions, calling, request, effects} of cases) {
		const mux = setup(sessions, calling);
		t.deepEqual(mux.fromUpstream(request), effects, `${why}`);
	}
});

test('a session that has not answered its initialize is never a cause nor a receiver', t => {
	const mux = setup({a: {sampling: {}}}, ['a']);
	mux.open('early');
	mux.fromClient('early', {id: 'call', method: 'tools/call', params: {}});
	t.deepEqual(deliveredTo('a', mux.fromUpstream(sampling('s1'))).map(message => message['method']), ['sampling/createMessage']);
});

test('the horizon: a request sent after the server request came cannot have caused it', t => {
	const mux = setup({a: {sampling: {}}, b: {sampling: {}}}, ['a', 'b']);
	mux.fromUpstream(sampling('s1'));
	t.is(mux.state.held[0]!.horizon, 2);
	mux.fromClient('b', {id: 'later', method: 'tools/call', params: {}});
	// B's first call is answered: of the requests from before, only A's is left.
	const effects = mux.fromUpstream({id: mux.upstreamIdOf('b', 'call'), result: {}});
	t.deepEqual(effects, [
		{type: 'deliver', session: 'b', message: {jsonrpc: '2.0', id: 'call', result: {}}},
		{
			type: 'deliver', session: 'a', message: {
				jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: {messages: []},
			},
		},
		{type: 'cancel-timer', key: 'held:1'},
	]);
	t.deepEqual(mux.state.held, []);
});

test('elimination: as the others\' requests are answered with a result, the held request goes to the one left, or gets an error if that one did not declare the capability', t => {
	const cases = [
		{sessions: {a: {sampling: {}}, b: {sampling: {}}, c: {}}, answered: ['c', 'b'], to: 'a'},
		{sessions: {a: {sampling: {}}, b: {}, c: {sampling: {}}}, answered: ['a', 'c'], to: undefined},
	];
	for (const {sessions, answered, to} of cases) {
		const mux = setup(sessions, Object.keys(sessions));
		mux.fromUpstream(sampling('s1'));
		const [first, second] = answered;
		t.is(deliveredTo(first!, mux.fromUpstream({id: mux.upstreamIdOf(first!, 'call'), result: {}})).length, 1, 'still two left: still held');
		t.is(mux.state.held.length, 1);
		const effects = mux.fromUpstream({id: mux.upstreamIdOf(second!, 'call'), result: {}});
		if (to) {
			t.deepEqual(deliveredTo(to, effects).map(message => message['method']), ['sampling/createMessage']);
		} else {
			t.like(sent(effects), [{id: 's1', error: {code: -32_601}}]);
		}

		t.deepEqual(effects.at(-1), {type: 'cancel-timer', key: 'held:1'});
	}
});

test('refusal: when a possible cause ends without a result (error, cancelled, session closed), the held requests it may have caused get an error', t => {
	const refusal = {
		code: -32_000,
		message: 'A client request that `sampling/createMessage` may have been for ended without an answer, so the proxy cannot tell which client it is for; it was sent to none',
	};
	const cases = [
		{why: 'answered with an error', end: (mux: ReturnType<typeof setup>) => mux.fromUpstream({id: mux.upstreamIdOf('a', 'call'), error: {code: -32_603, message: 'gave up'}})},
		{why: 'cancelled by its client', end: (mux: ReturnType<typeof setup>) => mux.fromClient('a', {method: 'notifications/cancelled', params: {requestId: 'call'}})},
		{why: 'its session closed', end: (mux: ReturnType<typeof setup>) => mux.closeSession('a')},
	];
	for (const {why, end} of cases) {
		const mux = setup({a: {sampling: {}}, b: {sampling: {}}, c: {sampling: {}}}, ['a', 'b', 'c']);
		mux.fromUpstream(sampling('s1'));
		const effects = end(mux);
		t.deepEqual(effects.filter(effect => effect['message']?.id === 's1' || effect.type === 'cancel-timer'), [
			{type: 'cancel-timer', key: 'held:1'},
			{type: 'send', message: {jsonrpc: '2.0', id: 's1', error: refusal}},
		], `${why}`);
		t.is(mux.state.held.length, 0);
	}
});

test('refusal reaches only the held requests that came after the request that ended; the earlier ones wait on', t => {
	const mux = setup({a: {sampling: {}}, b: {sampling: {}}}, ['a', 'b']);
	mux.fromUpstream(sampling('early'));
	mux.fromClient('a', {id: 'second', method: 'tools/call', params: {}});
	mux.fromUpstream(sampling('late'));
	const effects = mux.fromClient('a', {method: 'notifications/cancelled', params: {requestId: 'second'}});
	t.like(sent(effects), [{params: {requestId: 3}}, {id: 'late', error: {code: -32_000}}]);
	t.deepEqual(mux.state.held.map(entry => entry.request.id), ['early']);
});

test('a held request left with no possible cause at all gets an error when it is looked at again', t => {
	// Given a state where the requests before its horizon are gone without refusing it (the step refuses on every end without a result, so this is the guard).
	const mux = setup({a: {sampling: {}}, b: {sampling: {}}}, ['a', 'b']);
	mux.fromUpstream(sampling('s1'));
	mux.state.held[0]!.horizon = 0;
	const effects = mux.fromUpstream({id: mux.upstreamIdOf('a', 'call'), result: {}});
	t.deepEqual(effects.slice(1), [
		{type: 'send', message: {jsonrpc: '2.0', id: 's1', error: {code: -32_000, message: 'The client requests that `sampling/createMessage` could be for have all ended'}}},
		{type: 'cancel-timer', key: 'held:1'},
	]);
});

test('timeout: a request still ambiguous after ambiguousRequestTimeout gets an error naming the setting that isolates sessions; the first one is logged', t => {
	const cases = [
		{options: {}, setting: 'the `isolateSessions` option'},
		{options: {settingNames: {isolateSessions: '--isolate-sessions'}}, setting: '--isolate-sessions'},
	];
	for (const {options, setting} of cases) {
		const mux = setup({a: {sampling: {}}, b: {sampling: {}}}, ['a', 'b'], {ambiguousRequestTimeout: 5000, ...options});
		mux.fromUpstream(sampling('s1'));
		mux.fromUpstream(sampling('s2'));
		const message = '2 client sessions had requests in flight when `sampling/createMessage` came and still have after 5000 ms: '
			+ `the proxy cannot tell which client it is for, so it was sent to none. Run the proxy with ${setting} to give each client a server of its own.`;
		t.deepEqual(mux.timeout('held:1'), [
			{type: 'log', level: 'warning', text: `The server: ${message}`},
			{type: 'send', message: {jsonrpc: '2.0', id: 's1', error: {code: -32_001, message}}},
		]);
		t.deepEqual(mux.timeout('held:2'), [
			{type: 'send', message: {jsonrpc: '2.0', id: 's2', error: {code: -32_001, message}}},
		], 'logged once');
		t.deepEqual(mux.timeout('held:2'), [], 'a timer for a request no longer held does nothing');
	}
});

test('the upstream cancels its request: a held one is dropped, one a session has is retired and the session told with its own id', t => {
	const mux = setup({a: {sampling: {}}, b: {sampling: {}}}, ['a', 'b']);
	mux.fromUpstream(sampling('held'));
	t.deepEqual(mux.fromUpstream({method: 'notifications/cancelled', params: {requestId: 'held', reason: 'gone'}}), [
		{type: 'cancel-timer', key: 'held:1'},
	]);
	t.is(mux.state.held.length, 0);
	mux.fromUpstream({id: mux.upstreamIdOf('b', 'call'), result: {}});
	mux.fromUpstream(sampling('placed'));
	t.deepEqual(mux.fromUpstream({method: 'notifications/cancelled', params: {requestId: 'placed', reason: 'gone'}}), [
		{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, reason: 'gone'}}},
	]);
	t.deepEqual(mux.fromClient('a', {id: 1, result: {}}), [
		{type: 'log', level: 'debug', text: 'the server: dropped the late answer of session a to request 1, which the server cancelled'},
	]);
	t.deepEqual(mux.fromUpstream({method: 'notifications/cancelled', params: {requestId: 'unknown'}}), []);
});

test('a session\'s answer goes upstream with the upstream\'s id; a second answer, one to a request never sent, or one from another session is dropped with a warning', t => {
	const mux = setup({a: {roots: {}}, b: {roots: {}}});
	mux.fromUpstream({id: 'r1', method: 'roots/list'});
	const warning = (session: string, id: number) => ({
		type: 'log', level: 'warning', text: `the server: dropped an answer from session ${session} to request ${id}: the server sent it no such request, or it was answered already`,
	});
	t.deepEqual(mux.fromClient('a', {id: 1, result: {roots: []}}), [warning('a', 1)], 'it went to b, the newest');
	t.deepEqual(mux.fromClient('b', {id: 1, result: {roots: []}}), [{type: 'send', message: {jsonrpc: '2.0', id: 'r1', result: {roots: []}}}]);
	t.deepEqual(mux.fromClient('b', {id: 1, result: {roots: []}}), [warning('b', 1)]);
	t.deepEqual(mux.fromClient('b', {id: 999, error: {code: 1, message: 'no'}}), [warning('b', 999)]);
	t.is(mux.state.serverRequests.size, 0);
});
