import test from 'ava';
import {
	createSessionState, requestHeaders, step, type SessionEffect, type SessionEvent, type SessionState,
} from '../../../source/transports/streamable-http/session-state.js';
import type {Message} from '../../../source/types.js';

/*
A modern `tools/call` refused for its headers (-32020), through the session's step, without sockets: the tools listed once more (the transport's own request, its answer not delivered), the call sent once more with the declarations it brought, never a second time; a cancellation meanwhile sends nothing more.
*/

const envelope = {
	'io.modelcontextprotocol/protocolVersion': '2026-07-28',
	'io.modelcontextprotocol/clientCapabilities': {},
	'io.modelcontextprotocol/logLevel': 'debug',
	progressToken: 'p',
};
const call: Message = {
	jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name: 'weather', arguments: {region: 'eu'}, _meta: envelope},
};
const mismatch: Message = {
	jsonrpc: '2.0', id: 1, error: {code: -32_020, message: 'Header mismatch: Mcp-Param-Region is absent'},
};
const refreshId = 'rx-mcp-proxy/tools-refresh/1';
const refresh: Message = {
	jsonrpc: '2.0',
	id: refreshId,
	method: 'tools/list',
	params: {_meta: {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}}},
};
const tools: Message = {
	jsonrpc: '2.0',
	id: refreshId,
	result: {tools: [{name: 'weather', inputSchema: {type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 'Region'}}}}]},
};
const send = (message: Message): SessionEvent => ({type: 'send', message});
const receive = (message: Message): SessionEvent => ({type: 'receive', message});

function run(events: SessionEvent[], state: SessionState = createSessionState({getStreamTimeout: 5000})): {state: SessionState; effects: SessionEffect[][]} {
	return {state, effects: events.map(event => step(state, event))};
}

const posts = (effects: SessionEffect[]) => effects.filter(effect => effect.type === 'post' || effect.type === 'deliver');

test('a call refused with -32020 is held while the tools are listed again, then sent once more with their declarations; a second refusal is its answer', t => {
	const {state, effects} = run([send(call), receive(mismatch), receive(tools), receive(mismatch)]);
	t.deepEqual(effects.map(each => posts(each)), [
		[{type: 'post', message: call, lane: 'request'}],
		[{type: 'post', message: refresh, lane: 'request'}],
		[{type: 'post', message: call, lane: 'request'}],
		[{type: 'deliver', message: mismatch}],
	]);
	t.deepEqual(requestHeaders(state, {}, {}, call), {
		'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'weather', 'mcp-param-region': 'eu',
	}, 'the call is sent again with the header the new listing declares');
	t.deepEqual([state.modernRequests.size, state.retryableCalls.size, state.refreshes.size], [0, 0, 0], 'nothing is kept');
});

test('a call answered, or refused for anything else, is delivered as it is and not kept; other requests are never retried', t => {
	const result: Message = {jsonrpc: '2.0', id: 1, result: {content: []}};
	const other: Message = {jsonrpc: '2.0', id: 1, error: {code: -32_602, message: 'bad'}};
	for (const answer of [result, other]) {
		const {state, effects} = run([send(call), receive(answer)]);
		t.deepEqual(posts(effects[1]!), [{type: 'deliver', message: answer}]);
		t.is(state.retryableCalls.size, 0);
	}

	const get: Message = {
		jsonrpc: '2.0', id: 2, method: 'prompts/get', params: {name: 'p', _meta: envelope},
	};
	const refused: Message = {...mismatch, id: 2};
	t.deepEqual(posts(run([send(get), receive(refused)]).effects[1]!), [{type: 'deliver', message: refused}]);
});

test('a call cancelled while its tools are listed again is not sent again, and the listing is not delivered', t => {
	const cancel: Message = {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, _meta: envelope}};
	const {state, effects} = run([send(call), receive(mismatch), send(cancel), receive(tools)]);
	t.deepEqual(effects.slice(2).map(each => posts(each)), [[], []]);
	t.deepEqual([state.modernRequests.size, state.retryableCalls.size, state.refreshes.size], [0, 0, 0]);
});
