/*
Table tests of the multiplexer's step, what the upstream sends (source/operators/multiplex/upstream.ts): answers back to their one session, strays and second answers dropped with a warning, progress by token, broadcasts with log levels, `resources/updated` to subscribers.
*/
import test from 'ava';
import {deliveredTo, stepHarness} from '../../helpers/multiplex-step.js';

test('answers nobody waits for are dropped with a warning naming the id; a late one to a cancelled request with a debug line', t => {
	const mux = stepHarness();
	mux.running();
	mux.open('a');
	mux.fromClient('a', {id: 'answered', method: 'tools/call', params: {}});
	mux.fromClient('a', {id: 'cancelled', method: 'tools/call', params: {}});
	mux.fromClient('a', {method: 'notifications/cancelled', params: {requestId: 'cancelled'}});
	t.deepEqual(deliveredTo('a', mux.fromUpstream({id: 1, result: {}})), [{jsonrpc: '2.0', id: 'answered', result: {}}]);
	const cases = [
		{id: 1, log: {level: 'warning', text: 'the server: dropped an answer to request 1: no such request was sent to it, or it was answered already'}},
		{id: 2, log: {level: 'debug', text: 'the server: dropped the late answer to request 2, cancelled or of a closed session'}},
		{id: 2, log: {level: 'warning', text: 'the server: dropped an answer to request 2: no such request was sent to it, or it was answered already'}},
		{id: 'never-sent', log: {level: 'warning', text: 'the server: dropped an answer to request "never-sent": no such request was sent to it, or it was answered already'}},
		{id: 'x'.repeat(100), log: {level: 'warning', text: `the server: dropped an answer to request "${'x'.repeat(79)}…: no such request was sent to it, or it was answered already`}},
	];
	for (const {id, log} of cases) {
		t.deepEqual(mux.fromUpstream({id, result: {}}), [{type: 'log', ...log}], `answer to ${id}`);
	}
});

test('an answer to one of the proxy\'s own requests is taken in here, not passed on nor warned about', t => {
	const mux = stepHarness();
	mux.running();
	mux.state.internal.set('rx-mcp-proxy/9', 'subscribe');
	t.deepEqual(mux.fromUpstream({id: 'rx-mcp-proxy/9', result: {}}), []);
	t.is(mux.state.internal.size, 0);
});

test('progress goes to the session whose request it is, with that session\'s token; progress for no request in flight is dropped', t => {
	const mux = stepHarness();
	mux.running();
	mux.open('a');
	mux.open('b');
	mux.fromClient('a', {id: 1, method: 'tools/call', params: {_meta: {progressToken: 'p'}}});
	mux.fromClient('b', {id: 1, method: 'tools/call', params: {_meta: {progressToken: 'p'}}});
	mux.fromClient('b', {id: 2, method: 'tools/call', params: {}});
	const cases = [
		{token: 2, effects: [{type: 'deliver', session: 'b', message: {jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 'p', progress: 1}}}]},
		{token: 1, effects: [{type: 'deliver', session: 'a', message: {jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 'p', progress: 1}}}]},
		{token: 3, effects: [], why: 'its request had no token'},
		{token: 99, effects: [], why: 'no such request'},
		{token: 'p', effects: [], why: 'a token the upstream was never given'},
	];
	for (const {token, effects, why} of cases) {
		t.deepEqual(mux.fromUpstream({method: 'notifications/progress', params: {progressToken: token, progress: 1}}), effects, `${why ?? `token ${token}`}`);
	}
});

test('list-changed and other notifications go to every session that answered its initialize, logs by each one\'s level, resources/updated to subscribers', t => {
	const mux = stepHarness();
	mux.running();
	mux.ready('chatty');
	mux.ready('quiet');
	mux.ready('deaf');
	mux.open('new');
	mux.fromClient('quiet', {id: 1, method: 'logging/setLevel', params: {level: 'error'}});
	mux.fromClient('chatty', {id: 1, method: 'logging/setLevel', params: {level: 'debug'}});
	mux.fromClient('deaf', {id: 1, method: 'resources/subscribe', params: {uri: 'u'}});
	mux.fromClient('new', {id: 1, method: 'resources/subscribe', params: {uri: 'u'}});
	const receivers = (message: Record<string, unknown>) => mux.fromUpstream(message).map(effect => effect['session'] as string);
	const cases = [
		{message: {method: 'notifications/tools/list_changed'}, to: ['chatty', 'quiet', 'deaf']},
		{message: {method: 'vendor/something', params: {x: 1}}, to: ['chatty', 'quiet', 'deaf']},
		{message: {method: 'notifications/message', params: {level: 'debug', data: 'd'}}, to: ['chatty', 'deaf']},
		{message: {method: 'notifications/message', params: {level: 'error', data: 'e'}}, to: ['chatty', 'quiet', 'deaf']},
		{message: {method: 'notifications/message', params: {level: 'emergency', data: 'e'}}, to: ['chatty', 'quiet', 'deaf']},
		{message: {method: 'notifications/message', params: {level: 'unknown', data: 'u'}}, to: ['chatty', 'deaf'], why: 'an unknown level counts as debug'},
		{message: {method: 'notifications/resources/updated', params: {uri: 'u'}}, to: ['deaf'], why: 'new has not initialized'},
		{message: {method: 'notifications/resources/updated', params: {uri: 'other'}}, to: []},
	];
	for (const {message, to, why} of cases) {
		t.deepEqual(receivers(message), to, `${why ?? JSON.stringify(message)}`);
	}
});

test('a log goes only to the sessions with a request in flight upstream when some have (it can only be about their work), else to every session its level admits', t => {
	const mux = stepHarness();
	mux.running();
	mux.ready('busy');
	mux.ready('idle');
	mux.ready('busy-but-quiet');
	mux.fromClient('busy-but-quiet', {id: 1, method: 'logging/setLevel', params: {level: 'error'}});
	const receivers = (level: string) => mux.fromUpstream({method: 'notifications/message', params: {level, data: 'x'}}).map(effect => effect['session'] as string);
	t.deepEqual(receivers('info'), ['busy', 'idle'], 'nothing in flight: every session the level admits');
	const upstreamIds = mux.fromClient('busy', {id: 7, method: 'tools/call', params: {name: 'work'}}).map(effect => (effect['message'] as {id?: number}).id);
	mux.fromClient('busy-but-quiet', {id: 8, method: 'tools/call', params: {name: 'work'}});
	t.deepEqual(receivers('info'), ['busy'], 'the idle client is not shown the busy one\'s log');
	t.deepEqual(receivers('error'), ['busy', 'busy-but-quiet']);
	mux.fromUpstream({id: upstreamIds[0], result: {}});
	t.deepEqual(receivers('info'), ['busy', 'idle'], 'busy-but-quiet is the only one in flight, and its level does not admit info: as if none were');
});
