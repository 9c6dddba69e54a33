import {Buffer} from 'node:buffer';
import test from 'ava';
import {
	classify, decodeHeaderValue, forwardableHeaders, modernChecks, modernStatus, type ModernFacts, type RequestEra,
} from '../../../source/listeners/checks/modern.js';
import {firstRefusal, type Refusal} from '../../../source/listeners/refusal.js';
import type {Message} from '../../../source/types.js';

/*
The 2026-07-28 revision at the HTTP edge as tables: which era a POST is, the checks of a modern POST's headers against its body (status, code, id and data out, in the SDK server's order), and the status of a modern answer by its error code. No sockets.
*/

const modern = '2026-07-28';
const both = 'application/json, text/event-stream';
const envelope = {'io.modelcontextprotocol/protocolVersion': modern, 'io.modelcontextprotocol/clientCapabilities': {}};
const call = (name: string, meta: Record<string, unknown> = envelope): Message => ({
	jsonrpc: '2.0', id: 7, method: 'tools/call', params: {name, arguments: {}, _meta: meta},
});
const list: Message = {
	jsonrpc: '2.0', id: 3, method: 'tools/list', params: {_meta: envelope},
};

function facts(messages: Message[], headers: Partial<Omit<ModernFacts, 'messages'>> = {}): ModernFacts {
	return {
		messages,
		batch: false,
		versionHeader: modern,
		methodHeader: (messages[0] as {method?: string}).method,
		nameHeader: undefined,
		accept: both,
		closing: false,
		...headers,
	};
}

const brief = (refusal: Refusal | undefined) => refusal && {
	status: refusal.status, code: refusal.code, id: refusal.id, data: refusal.data,
};

test('a POST is modern by its _meta claim or a modern version header, and 2025 by initialize, a session, a response or a batch without claims', t => {
	const claimless: Message = {jsonrpc: '2.0', id: 1, method: 'tools/list'};
	const initialize: Message = {
		jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-11-25', capabilities: {}, clientInfo: {name: 'c', version: '1'}},
	};
	const table: Array<[string, Message[], boolean, string | undefined, string | undefined, RequestEra]> = [
		['claim', [list], false, undefined, undefined, 'modern'],
		['claim, bad header', [list], false, '2025-11-25', undefined, 'modern'],
		['modern header, no claim', [claimless], false, modern, undefined, 'modern'],
		['initialize', [initialize], false, undefined, undefined, '2025'],
		['initialize with a 2025 header', [initialize], false, '2025-06-18', undefined, '2025'],
		['claimless 2025', [claimless], false, '2025-11-25', undefined, '2025'],
		['session named', [list], false, modern, 'abc', '2025'],
		['response', [{jsonrpc: '2.0', id: 1, result: {}}], false, modern, undefined, '2025'],
		['batch without claims', [claimless, claimless], true, undefined, undefined, '2025'],
		['batch with a claim', [claimless, list], true, undefined, undefined, 'modern'],
		['notification with a claim', [{jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, _meta: envelope}}], false, undefined, undefined, 'modern'],
	];
	for (const [name, messages, batch, header, session, era] of table) {
		t.is(classify(messages, batch, header, session), era, `${name}`);
	}
});

test('modern checks: headers against the body, the envelope, the version, in order, with the request id', t => {
	const mismatch = (header: string, body?: unknown) => ({
		status: 400, code: -32_020, id: 7, data: {mismatch: {header, ...(body === undefined ? {} : {body})}},
	});
	const table: Array<[string, ModernFacts, ReturnType<typeof brief>]> = [
		['valid', facts([call('echo')], {nameHeader: 'echo'}), undefined],
		['valid Base64 name', facts([call('é t')], {nameHeader: `=?base64?${Buffer.from('é t').toString('base64')}?=`}), undefined],
		['batch', facts([list, list], {batch: true}), {
			status: 400, code: -32_600, id: undefined, data: undefined,
		}],
		['version header ≠ claim', facts([call('echo')], {versionHeader: '2025-11-25', nameHeader: 'echo'}), mismatch('MCP-Protocol-Version', modern)],
		['Mcp-Method ≠ method', facts([call('echo')], {methodHeader: 'tools/list', nameHeader: 'echo'}), mismatch('Mcp-Method', 'tools/call')],
		['no clientCapabilities', facts([call('echo', {'io.modelcontextprotocol/protocolVersion': modern})], {nameHeader: 'echo'}), {
			status: 400, code: -32_602, id: 7, data: {envelope: {key: 'io.modelcontextprotocol/clientCapabilities', problem: 'is required'}},
		}],
		['bad log level', facts([call('echo', {...envelope, 'io.modelcontextprotocol/logLevel': 'loud'})], {nameHeader: 'echo'}), {
			status: 400, code: -32_602, id: 7, data: {envelope: {key: 'io.modelcontextprotocol/logLevel', problem: 'must be a log level'}},
		}],
		['modern header without a claim', facts([{jsonrpc: '2.0', id: 7, method: 'tools/list'}]), {
			status: 400, code: -32_602, id: 7, data: {envelope: {missing: ['io.modelcontextprotocol/protocolVersion', 'io.modelcontextprotocol/clientCapabilities']}},
		}],
		['unsupported version', facts([call('echo', {...envelope, 'io.modelcontextprotocol/protocolVersion': '2099-01-01'})], {
			versionHeader: '2099-01-01', nameHeader: 'echo',
		}), {
			status: 400, code: -32_022, id: 7, data: {supported: [modern], requested: '2099-01-01'},
		}],
		['no version header', facts([call('echo')], {versionHeader: undefined, nameHeader: 'echo'}), mismatch('MCP-Protocol-Version')],
		['no Mcp-Method', facts([call('echo')], {methodHeader: undefined, nameHeader: 'echo'}), mismatch('Mcp-Method', 'tools/call')],
		['no Mcp-Name', facts([call('echo')]), mismatch('Mcp-Name', 'echo')],
		['Mcp-Name ≠ name', facts([call('echo')], {nameHeader: 'other'}), mismatch('Mcp-Name', 'echo')],
		['bad Base64', facts([call('echo')], {nameHeader: '=?base64?ZWNo!?='}), mismatch('Mcp-Name')],
		['not accepting both', facts([call('echo')], {nameHeader: 'echo', accept: 'application/json'}), {
			status: 406, code: -32_000, id: 7, data: undefined,
		}],
		['notification without headers', facts([{jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, _meta: envelope}}], {
			versionHeader: undefined, methodHeader: undefined,
		}), undefined],
	];
	for (const [name, input, expected] of table) {
		t.deepEqual(brief(firstRefusal(modernChecks, input)), expected, `${name}`);
	}
});

test('resources/read is named by its URI, prompts/get by its name, tasks/get by its task id', t => {
	const read: Message = {
		jsonrpc: '2.0', id: 1, method: 'resources/read', params: {uri: 'file:///a', _meta: envelope},
	};
	t.is(firstRefusal(modernChecks, facts([read], {nameHeader: 'file:///a'})), undefined);
	t.is(firstRefusal(modernChecks, facts([read], {nameHeader: 'file:///b'}))?.code, -32_020);
	const get: Message = {
		jsonrpc: '2.0', id: 1, method: 'prompts/get', params: {name: 'p', _meta: envelope},
	};
	t.is(firstRefusal(modernChecks, facts([get]))?.code, -32_020);
	// The tasks extension: tasks/get, tasks/update and tasks/cancel are named by their task's id, as the SDK's server requires.
	const task: Message = {
		jsonrpc: '2.0', id: 1, method: 'tasks/get', params: {taskId: 't-1', _meta: envelope},
	};
	t.is(firstRefusal(modernChecks, facts([task], {methodHeader: 'tasks/get', nameHeader: 't-1'})), undefined);
	t.like(firstRefusal(modernChecks, facts([task], {methodHeader: 'tasks/get'})), {code: -32_020, data: {mismatch: {header: 'Mcp-Name', body: 't-1'}}});
});

test('the Base64 sentinel decodes to UTF-8 and a malformed one is refused', t => {
	t.is(decodeHeaderValue('plain'), 'plain');
	t.is(decodeHeaderValue('=?base64?SGVsbG8=?='), 'Hello');
	t.is(decodeHeaderValue('=?base64?SGVsbG8?='), undefined);
	t.is(decodeHeaderValue('=?base64?SGVsbG8='), '=?base64?SGVsbG8=', 'without the suffix it is not the sentinel: a literal');
	t.is(decodeHeaderValue('=?base64?/w==?='), undefined);
});

test('a modern answer’s status follows its error code', t => {
	const error = (code: number, data?: unknown): Message => ({jsonrpc: '2.0', id: 1, error: {code, message: 'x', ...(data === undefined ? {} : {data})}});
	t.is(modernStatus({jsonrpc: '2.0', id: 1, result: {}}), 200);
	t.is(modernStatus(error(-32_601)), 404);
	for (const code of [-32_020, -32_021, -32_022, -32_600]) {
		t.is(modernStatus(error(code)), 400);
	}

	t.is(modernStatus(error(-32_602, {envelope: {missing: []}})), 400);
	t.is(modernStatus(error(-32_602)), 200);
	t.is(modernStatus(error(-32_603)), 200);
});

test('the Mcp-* headers a modern request forwards: every Mcp-Param-* and every one the proxy does not know, verbatim; not those it rebuilds from the body, nor a session id; none, nothing', t => {
	t.deepEqual(forwardableHeaders({
		'content-type': 'application/json',
		'mcp-protocol-version': '2026-07-28',
		'mcp-method': 'tools/call',
		'mcp-name': 'echo',
		'mcp-session-id': 'x',
		'mcp-param-region': '=?base64?WsO8cmljaA==?=',
		'mcp-trace-id': 'a b',
		authorization: 'Bearer secret',
	}), {'mcp-param-region': '=?base64?WsO8cmljaA==?=', 'mcp-trace-id': 'a b'});
	t.is(forwardableHeaders({'content-type': 'application/json', 'mcp-method': 'tools/list'}), undefined);
});

test('Mcp-Param-* against the tool\'s declarations: a present value needs its header, decoded equal (numbers as numbers), absent or null none; unknown tools and undeclared headers ignored', t => {
	const declarations = [{path: ['region'], header: 'Region'}, {path: ['limits', 'max'], header: 'Max'}, {path: ['on'], header: 'On'}];
	const callWith = (arguments_: Record<string, unknown>): Message => ({
		jsonrpc: '2.0', id: 7, method: 'tools/call', params: {name: 'weather', arguments: arguments_, _meta: envelope},
	});
	const check = (arguments_: Record<string, unknown>, parameterHeaders: Record<string, string> | undefined, known = true) => {
		const refusal = firstRefusal(modernChecks, facts([callWith(arguments_)], {nameHeader: 'weather', declarations: known ? declarations : undefined, parameterHeaders}));
		return refusal === undefined ? undefined : {status: refusal.status, code: refusal.code, data: refusal.data};
	};

	const refused = (header: string, body?: unknown) => ({status: 400, code: -32_020, data: {mismatch: {header, ...(body === undefined ? {} : {body})}}});
	const table: Array<[string, Record<string, unknown>, Record<string, string> | undefined, ReturnType<typeof check>]> = [
		['all present', {region: 'Zürich', limits: {max: 42}, on: true}, {'mcp-param-region': '=?base64?WsO8cmljaA==?=', 'mcp-param-max': '42', 'mcp-param-on': 'true'}, undefined],
		['42.0 is 42', {limits: {max: 42}}, {'mcp-param-max': '42.0'}, undefined],
		['absent and null values expect nothing; an undeclared header is ignored', {region: null}, {'mcp-param-other': 'x'}, undefined],
		['no headers at all, nothing to mirror', {text: 'hi'}, undefined, undefined],
		['missing', {region: 'eu'}, undefined, refused('Mcp-Param-Region', 'eu')],
		['another value', {region: 'eu'}, {'mcp-param-region': 'us'}, refused('Mcp-Param-Region', 'eu')],
		['another number', {limits: {max: 42}}, {'mcp-param-max': '43'}, refused('Mcp-Param-Max', 42)],
		['an empty header is no number', {limits: {max: 0}}, {'mcp-param-max': ''}, refused('Mcp-Param-Max', 0)],
		['a boolean is its word', {on: true}, {'mcp-param-on': 'TRUE'}, refused('Mcp-Param-On', true)],
		['bad Base64 padding', {region: 'Hello'}, {'mcp-param-region': '=?base64?SGVsbG8?='}, refused('Mcp-Param-Region')],
		['bad Base64 characters', {region: 'Hello'}, {'mcp-param-region': '=?base64?SGVs!!!bG8=?='}, refused('Mcp-Param-Region')],
	];
	for (const [name, arguments_, headers, expected] of table) {
		t.deepEqual(check(arguments_, headers), expected, `${name}`);
	}

	t.is(check({region: 'eu'}, undefined, false), undefined, 'a tool whose declarations are not known yet is not checked');
});
