/*
Tests of the upstream's handshake (source/operators/multiplex/handshake.ts): the request that starts it and what an answer leads to.
*/
import test from 'ava';
import {
	answerHandshake, beginHandshake, handshakeTimedOut,
} from '../../../source/operators/multiplex/handshake.js';
import {proxyCapabilities, proxyClientInfo} from '../../../source/operators/protocol-versions.js';

test('the 2025 handshake: initialize with the proxy\'s own clientInfo and every client capability, then notifications/initialized', t => {
	const {handshake, request} = beginHandshake('rx-mcp-proxy/7');
	t.deepEqual(handshake, {kind: 'initialize', requestId: 'rx-mcp-proxy/7'});
	t.deepEqual(request, {
		jsonrpc: '2.0',
		id: 'rx-mcp-proxy/7',
		method: 'initialize',
		params: {protocolVersion: proxyClientInfo.protocolVersion, capabilities: proxyCapabilities, clientInfo: {name: 'rx-mcp-proxy', version: proxyClientInfo.version}},
	});
	const result = {protocolVersion: '2025-06-18', capabilities: {}, serverInfo: {name: 's', version: '1'}};
	const cases = [
		{answer: {jsonrpc: '2.0' as const, id: 'rx-mcp-proxy/7', result}, outcome: {type: 'ready', result, send: [{jsonrpc: '2.0', method: 'notifications/initialized'}]}},
		{
			answer: {jsonrpc: '2.0' as const, id: 'rx-mcp-proxy/7', error: {code: -32_602, message: 'Unsupported protocol version'}},
			outcome: {type: 'refused', reason: 'it refused `initialize`: Unsupported protocol version'},
		},
	];
	for (const {answer, outcome} of cases) {
		t.deepEqual(answerHandshake(handshake, answer), outcome);
	}

	t.is(handshakeTimedOut(handshake, 1000), 'it did not answer `initialize` within 1000 ms');
});

test('the modern probe: a remote\'s gateway that could not reach it (-32002, HTTP 502/503/504) is a failed attempt, tried again, not a verdict; any other error is a 2025-only server', t => {
	const {handshake} = beginHandshake('rx-mcp-proxy/8', 'modern');
	const unavailable = {jsonrpc: '2.0' as const, id: 'rx-mcp-proxy/8', error: {code: -32_002, message: 'The remote server answered `server/discover` with HTTP 503 Service Unavailable'}};
	t.like(answerHandshake(handshake, unavailable), {type: 'refused'});
	const refusal = {jsonrpc: '2.0' as const, id: 'rx-mcp-proxy/8', error: {code: -32_000, message: 'Bad Request: No valid session ID provided'}};
	t.like(answerHandshake(handshake, refusal), {type: 'other-era'});
});
