import {Buffer} from 'node:buffer';
import test from 'ava';
import fc from 'fast-check';
import {
	encodeHeaderValue, maxSchemaDepth, modernHeaders, modernOnly, modernVersionOf, needsBase64, scanDeclarations, screenTools,
} from '../../source/wire/modern.js';
import type {Message} from '../../source/types.js';

const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};

test('a message is modern when its _meta claims a protocol version as a string', t => {
	const rows: Array<[Message, string | undefined]> = [
		[{
			jsonrpc: '2.0', id: 1, method: 'tools/list', params: {_meta: envelope},
		}, '2026-07-28'],
		[{jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, _meta: envelope}}, '2026-07-28'],
		[{jsonrpc: '2.0', id: 1, method: 'tools/list'}, undefined],
		[{
			jsonrpc: '2.0', id: 1, method: 'tools/list', params: {},
		}, undefined],
		[{
			jsonrpc: '2.0', id: 1, method: 'tools/list', params: {_meta: {progressToken: 1}},
		}, undefined],
		[{
			jsonrpc: '2.0', id: 1, method: 'tools/list', params: {_meta: {'io.modelcontextprotocol/protocolVersion': 20_260_728}},
		}, undefined],
		[{
			jsonrpc: '2.0', id: 1, method: 'tools/list', params: {_meta: null},
		} as unknown as Message, undefined],
		[{jsonrpc: '2.0', id: 1, result: {_meta: envelope}}, undefined],
	];
	for (const [message, version] of rows) {
		t.is(modernVersionOf(message), version, `${JSON.stringify(message)}`);
	}
});

test('a refusal names only modern versions when it is -32022 whose data.supported lists 2026-07-28 or later dates only', t => {
	t.deepEqual(modernOnly({code: -32_022, data: {supported: ['2026-07-28']}}), ['2026-07-28']);
	for (const error of [
		{code: -32_022, data: {supported: ['2026-07-28', '2025-11-25']}},
		{code: -32_022, data: {supported: []}},
		{code: -32_022, data: {supported: ['later']}},
		{code: -32_022},
		{code: -32_602, data: {supported: ['2026-07-28']}},
	] as const) {
		t.is(modernOnly(error), undefined, `${error.code}: ${JSON.stringify((error as {data?: unknown}).data)}`);
	}
});

test('header values that are not safe header text travel as the Base64 sentinel', t => {
	const rows: Array<[string, string]> = [
		['get_weather', 'get_weather'],
		['file:///tmp/a b.txt', 'file:///tmp/a b.txt'],
		['Zürich', '=?base64?WsO8cmljaA==?='],
		['', '=?base64??='],
		[' padded', '=?base64?IHBhZGRlZA==?='],
		['padded ', '=?base64?cGFkZGVkIA==?='],
		['a\tb', '=?base64?YQli?='],
		['line\nbreak', '=?base64?bGluZQpicmVhaw==?='],
		['=?base64?abc?=', '=?base64?PT9iYXNlNjQ/YWJjPz0=?='],
		['=?base64?not closed', '=?base64?not closed'],
		['日本', '=?base64?5pel5pys?='],
	];
	for (const [value, encoded] of rows) {
		t.is(encodeHeaderValue(value), encoded, `${JSON.stringify(value)}`);
	}
});

test('every encoded value is visible ASCII or space, and decodes back to the value', t => {
	t.notThrows(() => {
		fc.assert(fc.property(fc.string({unit: 'binary', maxLength: 40}), value => {
			const encoded = encodeHeaderValue(value);
			if (!/^[\u0020-\u007E]*$/.test(encoded)) {
				return false;
			}

			if (!needsBase64(value)) {
				return encoded === value;
			}

			const match = /^=\?base64\?([A-Za-z\d+/]*={0,2})\?=$/.exec(encoded);
			return match !== null && match[1]!.length % 4 === 0 && Buffer.from(match[1]!, 'base64').toString('utf8') === value;
		}), {numRuns: 500});
	});
});

const region = {type: 'string', 'x-mcp-header': 'Region'};

test('x-mcp-header declarations: where they may stand and what they may be', t => {
	const valid: Array<[unknown, Array<{path: string[]; header: string}>]> = [
		[{type: 'object', properties: {text: {type: 'string'}}}, []],
		[undefined, []],
		[{type: 'object', properties: {region, priority: {type: 'integer', 'x-mcp-header': 'Priority'}}}, [{path: ['region'], header: 'Region'}, {path: ['priority'], header: 'Priority'}]],
		[{type: 'object', properties: {where: {type: 'object', properties: {flag: {type: 'boolean', 'x-mcp-header': 'X_Flag.1'}}}}}, [{path: ['where', 'flag'], header: 'X_Flag.1'}]],
	];
	for (const [schema, declarations] of valid) {
		t.deepEqual(scanDeclarations(schema), {valid: true, declarations}, `${JSON.stringify(schema)}`);
	}

	const invalid: Array<[unknown, RegExp]> = [
		[{type: 'object', properties: {region: {type: 'string', 'x-mcp-header': ''}}}, /region: x-mcp-header MUST be a non-empty string/],
		[{type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 7}}}, /MUST be a non-empty string/],
		[{type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 'Re gion'}}}, /'Re gion' is not a valid RFC 9110 token/],
		[{type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 'Region\r\nX-Evil'}}}, /not a valid RFC 9110 token/],
		[{type: 'object', properties: {region: {type: 'string', 'x-mcp-header': 'Région'}}}, /not a valid RFC 9110 token/],
		[{type: 'object', properties: {region, other: {type: 'string', 'x-mcp-header': 'REGION'}}}, /'REGION' is not case-insensitively unique \(also declared as 'Region'\)/],
		[{type: 'object', properties: {amount: {type: 'number', 'x-mcp-header': 'Amount'}}}, /amount: .*primitive-typed properties .*got number/],
		[{type: 'object', properties: {tags: {type: 'array', 'x-mcp-header': 'Tags'}}}, /got array/],
		[{type: 'object', properties: {any: {'x-mcp-header': 'Any'}}}, /got <none>/],
		[{type: 'object', properties: {either: {type: ['string', 'null'], 'x-mcp-header': 'Either'}}}, /got <none>/],
		[{type: 'object', 'x-mcp-header': 'Root'}, /<root>: x-mcp-header is only permitted on properties statically reachable/],
		[{type: 'object', properties: {list: {type: 'array', items: region}}}, /list.<items>: .*statically reachable/],
		[{type: 'object', oneOf: [{properties: {region}}]}, /<oneOf>.region: .*statically reachable/],
		[{type: 'object', additionalProperties: region}, /statically reachable/],
		[{type: 'object', $defs: {r: region}}, /<\$defs>: .*statically reachable/],
		[{type: 'object', if: {properties: {region}}}, /statically reachable/],
	];
	for (const [schema, reason] of invalid) {
		const scan = scanDeclarations(schema);
		t.false(scan.valid, `${JSON.stringify(schema)}`);
		t.regex(scan.valid ? '' : scan.reason, reason);
	}
});

test('a schema nested deeper than the bound is invalid, not a stack overflow', t => {
	let schema: Record<string, unknown> = {type: 'string'};
	for (let depth = 0; depth < 100_000; depth++) {
		schema = {type: 'object', properties: {a: schema}};
	}

	const scan = scanDeclarations(schema);
	t.false(scan.valid);
	t.regex(scan.valid ? '' : scan.reason, new RegExp(`nested deeper than ${maxSchemaDepth} levels`));
});

test('the headers of a modern POST are built from the message and the tool\'s declarations', t => {
	const declarations = new Map([['headers', [{path: ['region'], header: 'Region'}, {path: ['priority'], header: 'Priority'}, {path: ['nested', 'on'], header: 'On'}]]]);
	const rows: Array<[Message, Record<string, string>]> = [
		[{
			jsonrpc: '2.0', id: 1, method: 'server/discover', params: {_meta: envelope},
		}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover'}],
		[{jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 1, _meta: envelope}}, {'mcp-protocol-version': '2026-07-28'}],
		[{
			jsonrpc: '2.0', id: 2, method: 'prompts/get', params: {name: 'greeting', _meta: envelope},
		}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'prompts/get', 'mcp-name': 'greeting'}],
		[{
			jsonrpc: '2.0', id: 3, method: 'resources/read', params: {uri: 'echo://ü', _meta: envelope},
		}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'resources/read', 'mcp-name': '=?base64?ZWNobzovL8O8?='}],
		[{
			jsonrpc: '2.0', id: 4, method: 'tools/call', params: {name: 'echo', arguments: {region: 'x'}, _meta: envelope},
		}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo'}],
		[
			{
				jsonrpc: '2.0', id: 5, method: 'tools/call', params: {name: 'headers', arguments: {region: 'Zürich', priority: 3, nested: {on: true}}, _meta: envelope},
			},
			{
				'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'headers',
				'mcp-param-region': '=?base64?WsO8cmljaA==?=', 'mcp-param-priority': '3', 'mcp-param-on': 'true',
			},
		],
		[
			{
				jsonrpc: '2.0', id: 6, method: 'tools/call', params: {name: 'headers', arguments: {region: null, priority: 2 ** 60, nested: 'flat'}, _meta: envelope},
			},
			{'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'headers'},
		],
		[{
			jsonrpc: '2.0', id: 7, method: 'tools/call', params: {name: 'headers', _meta: envelope},
		}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'headers'}],
		// The tasks extension routes by task: Mcp-Name is the task's id.
		...['tasks/get', 'tasks/update', 'tasks/cancel'].map((method): [Message, Record<string, string>] => [{
			jsonrpc: '2.0', id: 8, method, params: {taskId: 'task-1', _meta: envelope},
		}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': method, 'mcp-name': 'task-1'}]),
		[{
			jsonrpc: '2.0', id: 9, method: 'tasks/list', params: {_meta: envelope},
		}, {'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tasks/list'}],
	];
	for (const [message, headers] of rows) {
		t.deepEqual(modernHeaders(message, '2026-07-28', declarations), headers, `${JSON.stringify(message)}`);
	}
});

test('tools/list is screened: tools with invalid annotations are dropped with the reason, the others keep their declarations', t => {
	const good = {name: 'headers', inputSchema: {type: 'object', properties: {region}}};
	const plain = {name: 'echo', inputSchema: {type: 'object', properties: {text: {type: 'string'}}}};
	const bad = {name: 'bad', inputSchema: {type: 'object', properties: {amount: {type: 'number', 'x-mcp-header': 'Amount'}}}};
	const result = {tools: [good, bad, plain], nextCursor: 'c'};
	const screened = screenTools(result);
	t.deepEqual(screened.result, {tools: [good, plain], nextCursor: 'c'});
	t.deepEqual(screened.dropped, [{name: 'bad', reason: 'amount: x-mcp-header is only permitted on primitive-typed properties (string, integer, boolean); got number'}]);
	t.deepEqual([...screened.declarations], [['headers', [{path: ['region'], header: 'Region'}]]]);

	const clean = {tools: [good, plain]};
	t.is(screenTools(clean).result, clean, 'nothing dropped: the same object');
	t.deepEqual(screenTools({}).dropped, []);
});
