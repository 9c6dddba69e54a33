import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {loadNamedServers, parseNamedServers} from '../../source/config/named-servers.js';
import {UsageError} from '../../source/errors.js';

const parse = (data: unknown, environment: Record<string, string> = {}) => parseNamedServers(data, 'servers.json', environment);

test('reads the Claude Desktop format, skipping disabled entries', t => {
	const servers = parse({
		mcpServers: {
			fetch: {command: 'uvx', args: ['mcp-server-fetch'], env: {TOKEN: '${TOKEN}'}},
			off: {command: 'x', enabled: false},
			alsoOff: {command: 'y', disabled: true},
			remote: {url: 'https://example.com/sse', transport: 'sse', headers: {Authorization: 'Bearer ${TOKEN:-none}'}},
			typed: {type: 'http', url: 'http://127.0.0.1:9/mcp'},
		},
	}, {TOKEN: 'abc'});
	t.deepEqual(servers, [
		{
			kind: 'stdio', name: 'fetch', command: 'uvx', args: ['mcp-server-fetch'], env: {TOKEN: 'abc'}, cwd: undefined,
		},
		{
			kind: 'remote', name: 'remote', url: 'https://example.com/sse', transport: 'sse', headers: [['Authorization', 'Bearer abc']],
		},
		{
			kind: 'remote', name: 'typed', url: 'http://127.0.0.1:9/mcp', transport: 'streamablehttp', headers: [],
		},
	]);
});

test('${VAR:-default} falls back; a relative cwd is relative to the file', t => {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-config-'));
	const file = path.join(directory, 'servers.json');
	writeFileSync(file, JSON.stringify({mcpServers: {a: {command: 'node', args: ['${SCRIPT:-server.js}'], cwd: 'work'}}}));
	t.deepEqual(loadNamedServers(file, {}), [{
		kind: 'stdio', name: 'a', command: 'node', args: ['server.js'], env: {}, cwd: path.join(directory, 'work'),
	}]);
});

const invalid: Array<[unknown, RegExp]> = [
	[[], /expected a JSON object with an "mcpServers" object/],
	[{servers: {}}, /"mcpServers" is missing/],
	[{mcpServers: {'bad/name': {command: 'x'}}}, /server "bad\/name": the name may contain only/],
	[{mcpServers: {a: 'node'}}, /server "a": expected an object/],
	[{mcpServers: {a: {args: []}}}, /server "a": needs "command"/],
	[{mcpServers: {a: {command: 5}}}, /server "a", field "command": expected a string/],
	[{mcpServers: {a: {command: 'x', args: 'y'}}}, /server "a", field "args": expected an array/],
	[{mcpServers: {a: {command: 'x', args: [1]}}}, /field "args\[0]": expected a string/],
	[{mcpServers: {a: {command: 'x', env: {K: 1}}}}, /field "env.K": expected a string/],
	[{mcpServers: {a: {command: 'x', comand: 'y'}}}, /field "comand": unknown field/],
	[{mcpServers: {a: {command: 'x', enabled: 'yes'}}}, /field "enabled": expected true or false/],
	[{mcpServers: {a: {command: 'x', url: 'http://h'}}}, /either "command".*or "url"/],
	[{mcpServers: {a: {url: 'ftp://h'}}}, /field "url": expected an http/],
	[{mcpServers: {a: {url: 'http://h', transport: 'websocket'}}}, /field "transport": expected stdio/],
	[{mcpServers: {a: {url: 'http://h', headers: {'X-A': 'a\nb'}}}}, /invalid header/],
	[{mcpServers: {a: {command: '${MISSING}'}}}, /server "a", field "command": the variable \${MISSING} is not set/],
];

for (const [data, message] of invalid) {
	test(`invalid: ${JSON.stringify(data)}`, t => {
		const error = t.throws(() => parse(data), {instanceOf: UsageError});
		t.regex(error.message, message);
		t.true(error.message.startsWith('servers.json'));
	});
}

test('a file that is not JSON names the file', t => {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-config-'));
	const file = path.join(directory, 'broken.json');
	writeFileSync(file, '{"mcpServers": {');
	t.throws(() => loadNamedServers(file, {}), {instanceOf: UsageError, message: /broken\.json is not valid JSON/});
	t.throws(() => loadNamedServers(path.join(directory, 'missing.json'), {}), {instanceOf: UsageError, message: /Cannot read the server configuration .*missing\.json/});
});
