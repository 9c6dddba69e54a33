import test from 'ava';
import {
	createGuardState,
	maxPeerRequests,
	type GuardEffect,
	type GuardEvent,
	type GuardState,
} from '../../../source/operators/guard-requests/state.js';
import {step} from '../../../source/operators/guard-requests/step.js';
import type {Message, RequestId} from '../../../source/types.js';

/*
Table tests of the request accounting of `guardRequests`: a state, events in both directions, and the effects and tables they lead to. No transport, no timers: time is in the events.
*/

const request = (id: RequestId, method = 'tools/call', token?: string): Message => ({
	jsonrpc: '2.0', id, method, ...(token === undefined ? {} : {params: {_meta: {progressToken: token}}}),
});
const result = (id: RequestId): Message => ({jsonrpc: '2.0', id, result: {}});
const failure = (id: RequestId): Message => ({jsonrpc: '2.0', id, error: {code: -32_603, message: 'broken'}});
const cancel = (requestId: RequestId): Message => ({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId}});
const progress = (token: string): Message => ({jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: token, progress: 1}});

const client = (message: Message, now = 0): GuardEvent => ({type: 'client', message, now});
const peer = (message: Message, now = 0): GuardEvent => ({type: 'peer', message, now});

const forward: GuardEffect[] = [{type: 'forward'}];
const warning = (text: string): GuardEffect[] => [{type: 'log', level: 'warning', text}];

function machine(timeout = 0): GuardState {
	return createGuardState({timeout, resetTimeoutOnProgress: true, peerName: 'the remote'});
}

function play(state: GuardState, events: GuardEvent[]): GuardEffect[][] {
	return events.map(event => [...step(state, event)]);
}

const tables = (state: GuardState) => ({
	pending: state.pending.entries().map(([id]) => id),
	expired: [...state.expired],
	peerRequests: [...state.peerRequests],
	peerCancelled: [...state.peerCancelled],
});

type Case = {
	title: string;
	events: GuardEvent[];
	effects: GuardEffect[][];
	after: ReturnType<typeof tables>;
};

const strays = 'the client sent no such request, or it was answered already';
const peerStrays = 'the remote sent no such request, or it was answered already';

const cases: Case[] = [
	{
		title: 'a request and its answer pass; a second answer and a stray are dropped with a warning naming the id',
		events: [client(request(1)), peer(result(1)), peer(result(1)), peer(result('never-sent'))],
		effects: [forward, forward, warning(`Dropped an answer from the remote to request 1: ${strays}`), warning(`Dropped an answer from the remote to request "never-sent": ${strays}`)],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'a stray error answer is quoted in the warning',
		events: [peer(failure(9))],
		effects: [warning(`Dropped an answer from the remote to request 9 (an error: broken): ${strays}`)],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'a request the client cancels is retired: its late answer is dropped quietly, once',
		events: [client(request(1)), client(cancel(1)), peer(result(1)), peer(result(1))],
		effects: [forward, forward, [], warning(`Dropped an answer from the remote to request 1: ${strays}`)],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'the peer\'s request is answered once by the client; a second answer and one to a request never sent are dropped with a warning',
		events: [peer(request('r1', 'roots/list')), client(result('r1')), client(result('r1')), client(result('r9'))],
		effects: [forward, forward, warning(`Dropped an answer from the client to request "r1": ${peerStrays}`), warning(`Dropped an answer from the client to request "r9": ${peerStrays}`)],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'the client\'s answer to a request the peer cancelled still goes through, once',
		events: [peer(request('r1', 'roots/list')), peer(cancel('r1')), client(result('r1')), client(result('r1'))],
		effects: [forward, forward, forward, warning(`Dropped an answer from the client to request "r1": ${peerStrays}`)],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'an id the peer takes again is no longer a cancelled one',
		events: [peer(request('r1', 'roots/list')), peer(cancel('r1')), peer(request('r1', 'roots/list'))],
		effects: [forward, forward, forward],
		after: {
			pending: [], expired: [], peerRequests: ['r1'], peerCancelled: [],
		},
	},
	{
		title: 'the client cancelling a request it is not waiting for retires nothing: a later answer to it is a stray',
		events: [client(cancel(5)), peer(result(5))],
		effects: [forward, warning(`Dropped an answer from the remote to request 5: ${strays}`)],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'the peer cancelling a request it never sent marks nothing: the client\'s answer to it is a stray',
		events: [peer(cancel('r7')), client(result('r7'))],
		effects: [forward, warning(`Dropped an answer from the client to request "r7": ${peerStrays}`)],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'an answer of the peer with a null id is a stray',
		events: [peer({jsonrpc: '2.0', id: null, error: {code: -32_700, message: 'parse error'}} as unknown as Message)],
		effects: [warning(`Dropped an answer from the remote to request null (an error: parse error): ${strays}`)],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'the peer ending answers every request still waiting, naming the cause',
		events: [client(request(1)), client(request(2, 'prompts/get')), peer(result(1)), {type: 'peer-end', failure: {code: -32_000, description: 'child crashed'}}],
		effects: [forward, forward, forward, [{
			type: 'answer', id: 2, code: -32_000, text: 'The connection to the remote failed: child crashed (while waiting for the answer to `prompts/get`)',
		}]],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
	{
		title: 'the peer closing answers with "closed"',
		events: [client(request(1)), {type: 'peer-end', failure: undefined}],
		effects: [forward, [{
			type: 'answer', id: 1, code: -32_000, text: 'The connection to the remote closed (while waiting for the answer to `tools/call`)',
		}]],
		after: {
			pending: [], expired: [], peerRequests: [], peerCancelled: [],
		},
	},
];

for (const {title, events, effects, after} of cases) {
	test(title, t => {
		const state = machine();
		t.deepEqual(play(state, events), effects);
		t.deepEqual(tables(state), after);
	});
}

test('with a timeout: the first request sets the sweep at its deadline; the sweep answers what is overdue, cancels it at the peer, retires it, and sets the next sweep', t => {
	const state = machine(10);
	t.deepEqual(play(state, [client(request(1), 0), client(request(2), 4)]), [[{type: 'start-timer', delay: 10}, {type: 'forward'}], forward]);
	t.deepEqual(play(state, [{type: 'sweep', now: 10}]), [[
		{
			type: 'answer', id: 1, code: -32_001, text: 'Request timed out: the remote did not answer `tools/call` within 10 ms',
		},
		{type: 'send', message: {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, reason: 'Request timed out in the proxy'}}},
		{type: 'start-timer', delay: 4},
	]]);
	t.deepEqual(tables(state), {
		pending: [2], expired: [1], peerRequests: [], peerCancelled: [],
	});
	// Its late answer is dropped quietly; the other's passes; nothing left, no sweep.
	t.deepEqual(play(state, [peer(result(1), 12), peer(result(2), 13), {type: 'sweep', now: 14}]), [[], forward, []]);
});

test('with a timeout: a 2026-07-28 subscriptions/listen, answered only when the subscription ends, never times out', t => {
	const state = machine(10);
	t.deepEqual(play(state, [client(request('listen', 'subscriptions/listen'), 0), client(request(1), 5)]), [forward, [{type: 'start-timer', delay: 10}, {type: 'forward'}]]);
	t.deepEqual(play(state, [{type: 'sweep', now: 15}]), [[
		{
			type: 'answer', id: 1, code: -32_001, text: 'Request timed out: the remote did not answer `tools/call` within 10 ms',
		},
		{type: 'send', message: {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, reason: 'Request timed out in the proxy'}}},
	]]);
	t.deepEqual(tables(state), {
		pending: ['listen'], expired: [1], peerRequests: [], peerCancelled: [],
	});
	t.deepEqual(play(state, [peer(result('listen'), 100_000)]), [forward]);
});

test('with a timeout: progress for a request moves its deadline', t => {
	const state = machine(10);
	play(state, [client(request(1, 'tools/call', 'p'), 0)]);
	t.deepEqual(play(state, [peer(progress('p'), 8), {type: 'sweep', now: 10}]), [forward, [{type: 'start-timer', delay: 8}]]);
	t.is(state.pending.get(1)?.deadline, 18);
	// Its token is forgotten with it.
	play(state, [peer(result(1), 12)]);
	t.is(state.tokens.size, 0);
});

test('with a timeout but resetTimeoutOnProgress off: progress leaves the deadline', t => {
	const state = createGuardState({timeout: 10, resetTimeoutOnProgress: false, peerName: 'the remote'});
	play(state, [client(request(1, 'tools/call', 'p'), 0)]);
	t.deepEqual(play(state, [peer(progress('p'), 8)]), [forward]);
	t.is(state.pending.get(1)?.deadline, 10);
});

test('the peer ending with nothing waiting answers nothing, and a timeout set then finds nothing', t => {
	const state = machine(10);
	play(state, [client(request(1), 0), peer(result(1), 1)]);
	t.deepEqual(play(state, [{type: 'peer-end', failure: undefined}, {type: 'sweep', now: 10}]), [[], []]);
	t.false(state.sweeping);
});

test('without a timeout nothing is ever swept', t => {
	const state = machine(0);
	t.deepEqual(play(state, [client(request(1), 100)]), [forward]);
	t.false(state.sweeping);
});

test('the peer\'s requests waiting for the client are bounded: past the limit the oldest is forgotten, with one warning', t => {
	const state = machine();
	for (let id = 0; id < maxPeerRequests; id++) {
		state.peerRequests.add(id);
	}

	t.deepEqual(play(state, [peer(request('new', 'roots/list')), peer(request('newer', 'roots/list'))]), [
		[{type: 'log', level: 'warning', text: `${maxPeerRequests} requests of the remote wait for the client's answer; the oldest are forgotten (their answers will be dropped)`}, {type: 'forward'}],
		forward,
	]);
	t.is(state.peerRequests.size, maxPeerRequests);
	t.false(state.peerRequests.has(0));
	t.true(state.peerRequests.has('newer'));
});
