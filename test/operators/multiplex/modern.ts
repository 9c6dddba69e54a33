/*
Tests of the multiplexer's modern mode (2026-07-28 requests, `era: 'modern'`) as step tables: the `server/discover` probe as its handshake, requests forwarded as they are (ids and progress tokens remapped, nothing answered by the proxy), logs only to requests that asked, and an upstream that speaks only the other era closed for good with -32022 for every request — in both directions.
*/
import test from 'ava';
import {answerHandshake, beginHandshake, proxyEnvelope} from '../../../source/operators/multiplex/handshake.js';
import {stepHarness} from '../../helpers/multiplex-step.js';

const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};
const discoverResult = {supportedVersions: ['2026-07-28'], capabilities: {tools: {}}, resultType: 'complete'};

test('the modern handshake is server/discover with the proxy\'s envelope; a result naming 2026-07-28 is modern, an error or another version is a 2025-only server', t => {
	const {handshake, request} = beginHandshake('rx-mcp-proxy/1', 'modern');
	t.deepEqual(handshake, {kind: 'discover', requestId: 'rx-mcp-proxy/1'});
	t.deepEqual(request, {
		jsonrpc: '2.0', id: 'rx-mcp-proxy/1', method: 'server/discover', params: {_meta: proxyEnvelope},
	});
	t.deepEqual(answerHandshake(handshake, {jsonrpc: '2.0', id: 'rx-mcp-proxy/1', result: discoverResult}), {type: 'ready', result: discoverResult, send: []});
	t.like(answerHandshake(handshake, {jsonrpc: '2.0', id: 'rx-mcp-proxy/1', error: {code: -32_601, message: 'Method not found'}}), {
		type: 'other-era',
		reason: 'speaks the 2025 revisions only (it answered `server/discover` with an error: Method not found)',
		supported: ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'],
	});
	t.like(answerHandshake(handshake, {jsonrpc: '2.0', id: 'rx-mcp-proxy/1', result: {supportedVersions: ['2099-01-01']}}), {type: 'other-era'});
});

test('a 2026-only upstream refusing initialize with -32022 is a verdict, not a failure', t => {
	const {handshake} = beginHandshake('rx-mcp-proxy/1');
	t.deepEqual(answerHandshake(handshake, {
		jsonrpc: '2.0', id: 'rx-mcp-proxy/1', error: {code: -32_022, message: 'Unsupported protocol version: 2025-11-25', data: {supported: ['2026-07-28']}},
	}), {type: 'other-era', reason: 'speaks protocol 2026-07-28 only (it refused `initialize`: Unsupported protocol version: 2025-11-25)', supported: ['2026-07-28']});
	// -32022 naming 2025 versions is a plain refusal (the version the proxy offered is one of them).
	t.like(answerHandshake(handshake, {
		jsonrpc: '2.0', id: 'rx-mcp-proxy/1', error: {code: -32_022, message: 'no', data: {supported: ['2025-06-18']}},
	}), {type: 'refused'});
});

test('modern requests are forwarded as they are, under ids and progress tokens of the multiplexer\'s own; ping and initialize are not answered by the proxy', t => {
	const mux = stepHarness({era: 'modern'});
	mux.start();
	t.deepEqual(mux.answerHandshake(discoverResult).map(effect => effect.type), ['cancel-timer', 'log']);
	mux.open('a');
	mux.open('b');
	const call = {
		id: 1, method: 'tools/call', params: {name: 'echo', _meta: {...envelope, progressToken: 'p'}},
	};
	t.like(mux.fromClient('a', call), [{type: 'send', message: {id: 1, params: {name: 'echo', _meta: {...envelope, progressToken: 1}}}}]);
	t.like(mux.fromClient('b', {id: 1, method: 'ping', params: {_meta: envelope}}), [{type: 'send', message: {id: 2, method: 'ping'}}]);
	t.like(mux.fromClient('b', {id: 2, method: 'initialize', params: {_meta: envelope}}), [{type: 'send', message: {id: 3, method: 'initialize'}}]);
	t.like(mux.fromUpstream({method: 'notifications/progress', params: {progressToken: 1, progress: 1}}), [{type: 'deliver', session: 'a', message: {params: {progressToken: 'p'}}}]);
	t.like(mux.fromUpstream({id: 2, error: {code: -32_601, message: 'Method not found'}}), [{type: 'deliver', session: 'b', message: {id: 1}}]);
	// Closing a request's session cancels it upstream.
	t.like(mux.closeSession('a'), [{type: 'send', message: {method: 'notifications/cancelled', params: {requestId: 1}}}]);
});

test('modern logs go only to requests in flight whose envelope asked for them, at their level', t => {
	const mux = stepHarness({era: 'modern'});
	mux.start();
	mux.answerHandshake(discoverResult);
	mux.open('quiet');
	mux.open('warn');
	mux.fromClient('quiet', {id: 1, method: 'tools/call', params: {name: 'log', _meta: envelope}});
	mux.fromClient('warn', {id: 1, method: 'tools/call', params: {name: 'log', _meta: {...envelope, 'io.modelcontextprotocol/logLevel': 'warning'}}});
	t.deepEqual(mux.fromUpstream({method: 'notifications/message', params: {level: 'info', data: 'x'}}), []);
	t.like(mux.fromUpstream({method: 'notifications/message', params: {level: 'error', data: 'x'}}), [{type: 'deliver', session: 'warn'}]);
	mux.fromUpstream({id: 2, result: {}});
	t.deepEqual(mux.fromUpstream({method: 'notifications/message', params: {level: 'error', data: 'late'}}), []);
});

test('an upstream that speaks only 2025 is closed, not restarted, and every modern request gets -32022 naming the 2025 versions', t => {
	const mux = stepHarness({era: 'modern'});
	mux.start();
	mux.open('a');
	t.deepEqual(mux.fromClient('a', {id: 1, method: 'tools/list', params: {_meta: envelope}}), []);
	const answered = mux.fromUpstream({id: mux.state.lifecycle.handshake!.requestId, error: {code: -32_601, message: 'Method not found'}});
	t.like(answered, [{type: 'cancel-timer'}, {type: 'log', level: 'info'}, {type: 'close-upstream'}]);
	const ended = mux.ended();
	const refusal = {code: -32_022, data: {supported: ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']}};
	t.like(ended, [{type: 'deliver', session: 'a', message: {id: 1, error: refusal}}, {type: 'end-session'}, {type: 'stopped'}]);
	t.is(mux.state.lifecycle.phase, 'stopped');
	mux.open('b');
	t.like(mux.fromClient('b', {id: 5, method: 'tools/list', params: {_meta: envelope}}), [{type: 'deliver', session: 'b', message: {id: 5, error: refusal}}]);
});

test('a modern subscription\'s notifications, ack and graceful end go to its subscriptions/listen request only, named by the client\'s id', t => {
	const mux = stepHarness({era: 'modern'});
	mux.start();
	mux.answerHandshake(discoverResult);
	mux.open('listener');
	mux.open('other');
	const key = 'io.modelcontextprotocol/subscriptionId';
	mux.fromClient('other', {id: 'o', method: 'tools/call', params: {name: 'slow', _meta: envelope}});
	t.like(mux.fromClient('listener', {id: 'L', method: 'subscriptions/listen', params: {notifications: {toolsListChanged: true}, _meta: envelope}}), [{type: 'send', message: {id: 2}}]);
	t.deepEqual(mux.fromUpstream({method: 'notifications/subscriptions/acknowledged', params: {_meta: {[key]: 2}}}), [{
		type: 'deliver', session: 'listener', message: {jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: {_meta: {[key]: 'L'}}},
	}]);
	t.like(mux.fromUpstream({method: 'notifications/tools/list_changed', params: {_meta: {[key]: 2}}}), [{type: 'deliver', session: 'listener', message: {params: {_meta: {[key]: 'L'}}}}]);
	// Not one of its subscriptions (nor a broadcast: modern requests get nothing unsolicited).
	t.deepEqual(mux.fromUpstream({method: 'notifications/tools/list_changed', params: {_meta: {[key]: 1}}}), []);
	t.like(mux.fromUpstream({id: 2, result: {resultType: 'complete', _meta: {[key]: 2}}}), [{type: 'deliver', session: 'listener', message: {id: 'L', result: {_meta: {[key]: 'L'}}}}]);
});
