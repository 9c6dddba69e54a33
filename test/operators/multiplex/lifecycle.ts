/*
Table tests of the multiplexer's step, the upstream's lifecycle (source/operators/multiplex/lifecycle.ts, and status.ts): attempts and their handshake, failures and the restart backoff, what is restored after a restart, `close()`, and what `status()` reads.
*/
import test from 'ava';
import {
	deliveredTo, initResult, sent, stepHarness,
} from '../../helpers/multiplex-step.js';
import {statusOf} from '../../../source/operators/multiplex/status.js';
import {packageVersion} from '../../../source/version.js';

const initialize = {
	jsonrpc: '2.0',
	id: 'rx-mcp-proxy/1',
	method: 'initialize',
	params: {protocolVersion: '2025-11-25', capabilities: {roots: {listChanged: true}, sampling: {}, elicitation: {form: {}, url: {}}}, clientInfo: {name: 'rx-mcp-proxy', version: packageVersion}},
};

test('an attempt starts with the handshake and its timer; the answer makes the upstream run', t => {
	const mux = stepHarness();
	t.deepEqual(mux.start(), [
		{type: 'set-timer', key: 'handshake', delay: 60_000},
		{type: 'send', message: initialize},
	]);
	t.like(mux.state.lifecycle, {
		phase: 'starting', starts: 1, attached: true, running: true, handshake: {kind: 'initialize', requestId: 'rx-mcp-proxy/1'},
	});
	t.is(mux.state.internal.get('rx-mcp-proxy/1'), 'handshake');
	mux.now = 42;
	t.deepEqual(mux.answerHandshake(), [
		{type: 'cancel-timer', key: 'handshake'},
		{type: 'send', message: {jsonrpc: '2.0', method: 'notifications/initialized'}},
		{type: 'log', level: 'info', text: 'The server is running'},
	]);
	t.like(mux.state.lifecycle, {
		phase: 'running', runningSince: 42, handshake: undefined, initResult,
	});
});

test('a handshake refused or not answered in time ends the attempt with the reason', t => {
	const refused = stepHarness();
	refused.start();
	t.deepEqual(refused.fromUpstream({id: 'rx-mcp-proxy/1', error: {code: -32_602, message: 'nope'}}), [
		{type: 'cancel-timer', key: 'handshake'},
		{type: 'abort-upstream', error: 'TransportError: it refused `initialize`: nope'},
	]);
	const silent = stepHarness({initializeTimeout: 50});
	silent.start();
	t.deepEqual(silent.timeout('handshake'), [{type: 'abort-upstream', error: 'TimeoutError: it did not answer `initialize` within 50 ms'}]);
	t.deepEqual(silent.timeout('handshake'), [], 'once');
});

test('when the upstream ends, requests in flight fail at once, oldest first; it restarts if it was running, else it failed and the queue is refused', t => {
	const running = stepHarness();
	running.running();
	running.open('a');
	running.fromClient('a', {id: 'first', method: 'tools/call', params: {}});
	running.fromClient('a', {id: 'second', method: 'resources/read', params: {}});
	const failed = (method: string) => `The server failed: child crashed (while handling \`${method}\`); it is being restarted`;
	t.deepEqual(running.ended(new Error('child crashed')), [
		{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', id: 'first', error: {code: -32_000, message: failed('tools/call')}}},
		{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', id: 'second', error: {code: -32_000, message: failed('resources/read')}}},
		{type: 'log', level: 'error', text: 'The server failed: child crashed; restarting in 1000 ms'},
	]);
	t.like(running.state.lifecycle, {
		phase: 'restarting', attached: false, lastError: 'child crashed', restartDelay: 1000, failures: 1,
	});

	const starting = stepHarness({restartDelay: 100, restartMaxDelay: 1000});
	starting.start();
	starting.open('a');
	starting.fromClient('a', {id: 1, method: 'tools/list'});
	t.deepEqual(starting.ended(), [
		{type: 'cancel-timer', key: 'handshake'},
		{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', id: 1, error: {code: -32_002, message: 'The server is not available: it exited. The proxy is restarting it.'}}},
		{type: 'log', level: 'error', text: 'The server closed; trying again in 100 ms'},
	]);
	t.like(starting.state.lifecycle, {phase: 'failed', lastError: 'it exited', handshake: undefined});
	t.is(starting.state.internal.size, 0, 'the handshake\'s late answer will be a stray');
});

test('restart delays double from restartDelay up to restartMaxDelay, and start over after an attempt that ran stableAfter', t => {
	const mux = stepHarness({restartDelay: 100, restartMaxDelay: 1000, stableAfter: 5000});
	const delays: number[] = [];
	const fail = () => {
		mux.start();
		mux.ended(new Error('no'));
		delays.push(mux.state.lifecycle.restartDelay);
	};

	const runFor = (ms: number) => {
		mux.start();
		mux.answerHandshake();
		mux.now += ms;
		mux.ended(new Error('no'));
		delays.push(mux.state.lifecycle.restartDelay);
	};

	for (let attempt = 0; attempt < 6; attempt++) {
		fail();
	}

	runFor(4999);
	runFor(5000);
	fail();
	t.deepEqual(delays, [100, 200, 400, 800, 1000, 1000, 1000, 100, 200]);
	t.is(mux.state.lifecycle.starts, 9);
	t.is(mux.state.lifecycle.phase, 'failed');
});

test('after a restart the upstream gets back the log level and every subscription once, the sessions hear the lists may have changed, then the queue is sent', t => {
	const mux = stepHarness();
	mux.running();
	mux.ready('a');
	mux.ready('b');
	mux.open('new');
	mux.fromClient('a', {id: 1, method: 'logging/setLevel', params: {level: 'info'}});
	mux.fromClient('a', {id: 2, method: 'resources/subscribe', params: {uri: 'u'}});
	mux.fromClient('b', {id: 2, method: 'resources/subscribe', params: {uri: 'u'}});
	mux.fromClient('b', {id: 3, method: 'resources/subscribe', params: {uri: 'v'}});
	mux.ended(new Error('crashed'));
	t.is(mux.state.lifecycle.phase, 'restarting');
	mux.fromClient('b', {id: 4, method: 'tools/list'});
	t.like(sent(mux.start()), [{id: 'rx-mcp-proxy/2', method: 'initialize'}]);
	const effects = mux.answerHandshake();
	t.deepEqual(sent(effects), [
		{jsonrpc: '2.0', method: 'notifications/initialized'},
		{
			jsonrpc: '2.0', id: 'rx-mcp-proxy/3', method: 'logging/setLevel', params: {level: 'info'},
		},
		{
			jsonrpc: '2.0', id: 'rx-mcp-proxy/4', method: 'resources/subscribe', params: {uri: 'u'},
		},
		{
			jsonrpc: '2.0', id: 'rx-mcp-proxy/5', method: 'resources/subscribe', params: {uri: 'v'},
		},
		{jsonrpc: '2.0', id: 5, method: 'tools/list'},
	]);
	t.deepEqual(effects.filter(effect => effect.type === 'log'), [{type: 'log', level: 'info', text: 'The server is running again (restart 1)'}]);
	const changed = ['notifications/tools/list_changed', 'notifications/resources/list_changed', 'notifications/prompts/list_changed'];
	t.deepEqual(deliveredTo('a', effects).map(message => message['method']), changed);
	t.deepEqual(deliveredTo('b', effects).map(message => message['method']), changed);
	t.deepEqual(deliveredTo('new', effects), [], 'not initialized: nothing unsolicited');
	t.deepEqual(mux.fromUpstream({id: 'rx-mcp-proxy/1', result: initResult}), [
		{type: 'log', level: 'warning', text: 'the server: dropped an answer to request "rx-mcp-proxy/1": no such request was sent to it, or it was answered already'},
	], 'an answer meant for the attempt before');
	t.deepEqual(mux.fromUpstream({id: 'rx-mcp-proxy/4', result: {}}), [], 'the restore\'s answers change nothing');
});

test('close() while the upstream runs closes it gracefully; when it has, requests fail, every session ends and the multiplexer stops', t => {
	const mux = stepHarness();
	mux.running();
	mux.ready('a');
	mux.open('b');
	mux.fromClient('a', {id: 1, method: 'tools/call', params: {}});
	t.deepEqual(mux.close(), [{type: 'close-upstream'}]);
	t.true(mux.state.lifecycle.stopping);
	t.deepEqual(mux.ended(), [
		{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', id: 1, error: {code: -32_000, message: 'The server closed (while handling `tools/call`); the proxy is shutting down'}}},
		{type: 'end-session', session: 'a'},
		{type: 'end-session', session: 'b'},
		{type: 'stopped'},
	]);
	t.like(mux.state.lifecycle, {phase: 'stopped', lastError: undefined});
	t.deepEqual(mux.fromClient('b', {id: 1, method: 'tools/list'}), [
		{type: 'deliver', session: 'b', message: {jsonrpc: '2.0', id: 1, error: {code: -32_002, message: 'The server is not available. The proxy is shutting down.'}}},
	]);
});

test('close() between attempts stops at once; before run$ is subscribed it only marks the stop, and an attempt after it stops', t => {
	const waiting = stepHarness();
	waiting.start();
	waiting.open('a');
	waiting.ended(new Error('spawn failed'));
	waiting.fromClient('a', {id: 1, method: 'tools/list'});
	t.deepEqual(waiting.close(), [
		{type: 'end-session', session: 'a'},
		{type: 'stopped'},
	]);
	t.like(waiting.state.lifecycle, {phase: 'stopped', lastError: 'spawn failed'});

	const idle = stepHarness();
	t.deepEqual(idle.close(), []);
	t.like(idle.state.lifecycle, {phase: 'starting', stopping: true});
	t.deepEqual(idle.start(), [{type: 'stopped'}]);
	t.like(idle.state.lifecycle, {phase: 'stopped', attached: false});
	t.deepEqual(idle.start(), [], 'stopped already');
});

test('run$ unsubscribed: the attempt is gone and the handshake timer with it; nothing else changes', t => {
	const mux = stepHarness();
	mux.start();
	t.deepEqual(mux.feed({type: 'run-ended'}), [{type: 'cancel-timer', key: 'handshake'}]);
	t.like(mux.state.lifecycle, {
		phase: 'starting', running: false, attached: false, handshake: undefined,
	});
	t.deepEqual(mux.close(), [], 'nothing runs, nothing to close');
});

test('status() reads the state: phase, restarts, sessions, requests in flight, last activity, last error, the upstream\'s serverInfo', t => {
	const mux = stepHarness();
	t.deepEqual(statusOf(mux.state), {
		state: 'starting', restarts: 0, sessions: 0, inFlight: 0, lastActivity: undefined, lastError: undefined, serverInfo: undefined, otherEra: undefined,
	});
	mux.running();
	mux.ended(new Error('crashed'));
	mux.running();
	mux.open('a');
	mux.now = Date.UTC(2026, 0, 2, 3, 4, 5);
	mux.fromClient('a', {id: 1, method: 'tools/list'});
	t.deepEqual(statusOf(mux.state), {
		state: 'running', restarts: 1, sessions: 1, inFlight: 1, lastActivity: '2026-01-02T03:04:05.000Z', lastError: 'crashed', serverInfo: {name: 'fake', version: '1'}, otherEra: undefined,
	});
});
