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

test('unknown fields are ignored with one warning each, naming the server and the field (a Claude Desktop file loads)', t => {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-config-'));
	const file = path.join(directory, 'claude_desktop_config.json');
	writeFileSync(file, JSON.stringify({
		mcpServers: {
			github: {
				command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], disabledTools: ['create_issue'], autoApprove: [],
			},
			remote: {url: 'https://example.com/mcp', oauth: {clientId: 'x'}, disabledTools: []},
			off: {command: 'x', disabled: true, somethingElse: 1},
		},
	}));
	const warnings: string[] = [];
	const servers = loadNamedServers(file, {}, message => {
		warnings.push(message);
	});
	t.deepEqual(servers.map(server => server.name), ['github', 'remote']);
	t.deepEqual(warnings, [
		`${file}: server "github", field "disabledTools": unknown field, ignored (known: command, args, env, cwd, url, transport, headers, enabled, disabled).`,
		`${file}: server "remote", field "oauth": unknown field, ignored (known: command, args, env, cwd, url, transport, headers, enabled, disabled).`,
		`${file}: server "remote", field "disabledTools": unknown field, ignored (known: command, args, env, cwd, url, transport, headers, enabled, disabled).`,
	]);
	// Without a callback they are ignored silently.
	t.is(loadNamedServers(file, {}).length, 2);
});

test('${VAR} set but empty is empty; ${VAR:-default} takes the default when VAR is unset or empty', t => {
	const [server] = parse({mcpServers: {a: {command: 'x', args: ['[${EMPTY}]', '${EMPTY:-fallback}', '${UNSET:-other}', '${SET:-unused}']}}}, {EMPTY: '', SET: 'value'});
	t.deepEqual(server, {
		kind: 'stdio', name: 'a', command: 'x', args: ['[]', 'fallback', 'other', 'value'], env: {}, cwd: undefined,
	});
	t.throws(() => parse({mcpServers: {a: {command: '${UNSET}'}}}, {EMPTY: ''}), {instanceOf: UsageError, message: /the variable \${UNSET} is not set/});
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
	[{mcpServers: {a: {comand: 'x'}}}, /server "a": needs "command" \(a local server\) or "url" \(a remote one\) \(ignored unknown fields: comand\)/],
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

test('__proto__ and constructor are plain names: as a server or a variable they are read as given, and nothing else changes', t => {
	const data = JSON.parse('{"mcpServers": {"__proto__": {"command": "node", "env": {"__proto__": "x", "constructor": "y"}}, "constructor": {"url": "http://127.0.0.1:9/mcp", "headers": {"__proto__": "z"}}}}') as unknown;
	const servers = parse(data);
	t.deepEqual(servers.map(server => server.name), ['__proto__', 'constructor']);
	const [stdio, remote] = servers as unknown as [{env: Record<string, string>}, {headers: Array<[string, string]>}];
	t.true(Object.hasOwn(stdio.env, '__proto__'));
	t.deepEqual(Object.entries(stdio.env), [['__proto__', 'x'], ['constructor', 'y']]);
	t.deepEqual(remote.headers, [['__proto__', 'z']]);
	t.is(Object.getPrototypeOf(stdio.env), Object.prototype, 'the variables\' object keeps its prototype');
});
