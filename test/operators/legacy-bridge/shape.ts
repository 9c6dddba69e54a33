/*
Tests of what the bridge changes in messages, as tables: the initialize a request's envelope stands for (its capabilities carried whole), the request a 2025 server gets, server/discover from an initialize result, the 2026 fields of results, -32002 as -32602, and input_required.
*/
import test from 'ava';
import {
	discoverResult, initializeParameters, inputRequiredResult, legacyRequest, logLevelOf, modernError, modernResult,
} from '../../../source/operators/legacy-bridge/shape.js';

const capabilities = {
	sampling: {tools: {}}, elicitation: {form: {}, url: {}}, roots: {listChanged: true}, experimental: {x: {}}, extensions: {'example/y': {}},
};
const envelope = {
	'io.modelcontextprotocol/protocolVersion': '2026-07-28',
	'io.modelcontextprotocol/clientCapabilities': capabilities,
	'io.modelcontextprotocol/clientInfo': {name: 'c', version: '1'},
	'io.modelcontextprotocol/logLevel': 'info',
};
const serverInfo = {name: 's', version: '2'};

test('initialize declares the request\'s capabilities (all of them) and client identity; without them, none and the proxy\'s name', t => {
	t.deepEqual(initializeParameters({
		jsonrpc: '2.0', id: 1, method: 'tools/call', params: {_meta: envelope},
	}, '2025-11-25'), {
		protocolVersion: '2025-11-25', capabilities, clientInfo: {name: 'c', version: '1'},
	});
	t.like(initializeParameters({jsonrpc: '2.0', id: 1, method: 'tools/call'}, '2025-11-25'), {capabilities: {}, clientInfo: {name: 'rx-mcp-proxy (for a 2026-07-28 client)'}});
	t.is(logLevelOf({
		jsonrpc: '2.0', id: 1, method: 'tools/call', params: {_meta: envelope},
	}), 'info');
	t.is(logLevelOf({jsonrpc: '2.0', id: 1, method: 'tools/call'}), undefined);
});

test('the 2025 server gets the request without the envelope keys and the round\'s fields; other _meta stays', t => {
	t.deepEqual(legacyRequest({
		jsonrpc: '2.0', id: 9, method: 'tools/call', params: {
			name: 'x', _meta: {...envelope, progressToken: 'p', other: 1}, inputResponses: {}, requestState: 's',
		},
	}, 'call'), {
		jsonrpc: '2.0', id: 'call', method: 'tools/call', params: {name: 'x', _meta: {progressToken: 'p', other: 1}},
	});
	t.deepEqual(legacyRequest({
		jsonrpc: '2.0', id: 9, method: 'tools/list', params: {_meta: envelope},
	}, 'call'), {
		jsonrpc: '2.0', id: 'call', method: 'tools/list', params: {},
	});
});

test('server/discover from an initialize result; results get resultType, cache hints where cacheable, serverInfo', t => {
	t.deepEqual(discoverResult({
		protocolVersion: '2025-11-25', capabilities: {tools: {}}, serverInfo, instructions: 'hi',
	}), {
		supportedVersions: ['2026-07-28'],
		capabilities: {tools: {}},
		instructions: 'hi',
		resultType: 'complete',
		ttlMs: 0,
		cacheScope: 'private',
		_meta: {'io.modelcontextprotocol/serverInfo': serverInfo},
	});
	t.deepEqual(modernResult('tools/list', {tools: []}, serverInfo), {
		tools: [], resultType: 'complete', ttlMs: 0, cacheScope: 'private', _meta: {'io.modelcontextprotocol/serverInfo': serverInfo},
	});
	t.deepEqual(modernResult('tools/call', {content: [], _meta: {a: 1}}, serverInfo), {
		content: [], resultType: 'complete', _meta: {a: 1, 'io.modelcontextprotocol/serverInfo': serverInfo},
	});
	t.like(modernResult('resources/read', {contents: [], ttlMs: 5, cacheScope: 'public'}, serverInfo), {ttlMs: 5, cacheScope: 'public'});
});

test('errors: -32002 (resource not found in 2025) is -32602; others stay', t => {
	t.deepEqual(modernError({jsonrpc: '2.0', id: 'u', error: {code: -32_002, message: 'Resource not found', data: {uri: 'x'}}}, 4), {
		jsonrpc: '2.0', id: 4, error: {code: -32_602, message: 'Resource not found', data: {uri: 'x'}},
	});
	t.like(modernError({jsonrpc: '2.0', id: 'u', error: {code: -32_601, message: 'no'}}, 4), {id: 4, error: {code: -32_601}});
});

test('input_required names each pending server request by key, without its 2025 _meta and elicitationId', t => {
	const pending = new Map([['elicitation-1', {
		jsonrpc: '2.0' as const, id: 7, method: 'elicitation/create', params: {message: 'ok?', requestedSchema: {}, _meta: {progressToken: 3}},
	}], ['elicitation-2', {
		jsonrpc: '2.0' as const, id: 8, method: 'elicitation/create', params: {
			mode: 'url', message: 'sign in', url: 'https://example.com', elicitationId: 'e1',
		},
	}]]);
	t.deepEqual(inputRequiredResult(pending, 'state', serverInfo), {
		resultType: 'input_required',
		inputRequests: {
			'elicitation-1': {method: 'elicitation/create', params: {message: 'ok?', requestedSchema: {}}},
			'elicitation-2': {method: 'elicitation/create', params: {mode: 'url', message: 'sign in', url: 'https://example.com'}},
		},
		requestState: 'state',
		_meta: {'io.modelcontextprotocol/serverInfo': serverInfo},
	});
});
