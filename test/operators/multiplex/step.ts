/*
Tests of the multiplexer's step dispatcher (source/operators/multiplex/step.ts): every message counts as activity, timers go to their owner by key. Each concern's rules are tested in the file named after it.
*/
import test from 'ava';
import {stepHarness} from '../../helpers/multiplex-step.js';

test('messages from either side are the last activity, at the time their event says', t => {
	const mux = stepHarness();
	mux.running();
	mux.open('a');
	mux.now = 10;
	mux.fromClient('a', {method: 'notifications/initialized'});
	t.is(mux.state.lastActivity, 10);
	mux.now = 20;
	mux.fromUpstream({method: 'notifications/tools/list_changed'});
	t.is(mux.state.lastActivity, 20);
	mux.now = 30;
	mux.ended(new Error('gone'));
	t.is(mux.state.lastActivity, 20, 'an end is not activity');
});

test('a timer goes to its owner by key: the handshake\'s ends the attempt, a held request\'s refuses it', t => {
	const mux = stepHarness({initializeTimeout: 5, ambiguousRequestTimeout: 7});
	mux.start();
	t.like(mux.timeout('handshake'), [{type: 'abort-upstream'}]);
	const other = stepHarness({ambiguousRequestTimeout: 7});
	other.running();
	for (const name of ['a', 'b']) {
		other.ready(name, {sampling: {}});
		other.fromClient(name, {id: 1, method: 'tools/call', params: {}});
	}

	t.like(other.fromUpstream({id: 's', method: 'sampling/createMessage', params: {}}), [{type: 'set-timer', key: 'held:1', delay: 7}]);
	t.like(other.timeout('held:1').at(-1), {type: 'send', message: {id: 's', error: {code: -32_001}}});
	t.deepEqual(other.timeout('held:9'), []);
});
