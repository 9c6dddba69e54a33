/*
The named servers of a Claude-style config file (`mcpServers`): read, checked and expanded into the servers server mode runs (stdio commands) or reaches (remote URLs).
*/
import {Buffer} from 'node:buffer';
import {closeSync, openSync, readSync} from 'node:fs';
import path from 'node:path';
import {UsageError} from '../errors.js';

/**
A server run as a child process (stdio).
*/
export type StdioServerConfig = {
	kind: 'stdio';
	name: string;
	command: string;
	args: string[];
	env: Record<string, string>;
	cwd: string | undefined;
};

/**
A remote server reached over HTTP, re-served by the proxy (for example a legacy SSE server offered as Streamable HTTP).
*/
export type RemoteServerConfig = {
	kind: 'remote';
	name: string;
	url: string;
	transport: 'auto' | 'streamablehttp' | 'sse';
	headers: Array<[string, string]>;
};

export type ServerConfig = StdioServerConfig | RemoteServerConfig;

type Json = Record<string, unknown>;

const serverName = /^[\w.-]+$/;
const maxNameLength = 100;

/**
The largest configuration file read: a real one is a few kilobytes; this keeps `/dev/zero` or a runaway file from filling memory.
*/
const maxFileBytes = 1024 * 1024;

/**
Why `name` cannot name a server (it becomes the path segment of `/servers/NAME/`), or `undefined` when it can: letters, digits, `-`, `_` and `.`, at most 100 characters, and neither `.` nor `..` (which a URL would resolve away).
*/
export function serverNameProblem(name: string): string | undefined {
	if (!serverName.test(name)) {
		return 'may contain only letters, digits, -, _ and .';
	}

	if (name === '.' || name === '..') {
		return 'may not be . or ..: URL paths resolve them away';
	}

	if (name.length > maxNameLength) {
		return `may be at most ${maxNameLength} characters long`;
	}

	return undefined;
}

const knownKeys = new Set(['command', 'args', 'env', 'cwd', 'enabled', 'disabled', 'url', 'transport', 'transportType', 'type', 'headers', 'description', 'timeout', 'autoApprove', 'alwaysAllow']);

const transportNames = new Map<string, RemoteServerConfig['transport'] | 'stdio'>([
	['stdio', 'stdio'],
	['sse', 'sse'],
	['streamablehttp', 'streamablehttp'],
	['streamable-http', 'streamablehttp'],
	['http', 'streamablehttp'],
	['auto', 'auto'],
]);

/**
Expand `${VAR}` and `${VAR:-default}` from the environment, with shell semantics: `${VAR}` of a variable set to '' is '', and the default is used when the variable is unset or empty. A variable that is not set and has no default is an error naming it.
*/
export function expandVariables(value: string, environment: Readonly<Record<string, string | undefined>>, where: () => string): string {
	return value.replaceAll(/\${([A-Za-z_]\w*)(?::-([^}]*))?}/g, (_match, name: string, fallback: string | undefined) => {
		const found = environment[name];
		// As in a shell: `${VAR}` set but empty is '', `${VAR:-default}` takes the default when VAR is unset or empty.
		if (fallback !== undefined && (found === undefined || found === '')) {
			return fallback;
		}

		if (found !== undefined) {
			return found;
		}

		throw new UsageError(`${where()}: the variable \${${name}} is not set (give it a default with \${${name}:-value}).`);
	});
}

/**
Read a named-server configuration in the Claude Desktop format:

```json
{
	"mcpServers": {
		"fetch": {"command": "uvx", "args": ["mcp-server-fetch"], "env": {"KEY": "${KEY}"}},
		"remote": {"url": "https://example.com/sse", "transport": "sse", "headers": {"Authorization": "Bearer ${TOKEN}"}},
		"off": {"command": "x", "disabled": true}
	}
}
```

Entries with `enabled: false` or `disabled: true` are skipped. Strings may use `${VAR}` and `${VAR:-default}`. A relative `cwd` is relative to the file. Any error names the file, the server and the field.

Fields the proxy does not know (Claude's `disabledTools`, another client's settings…) are ignored, as by the Python tool: each is reported once, naming the server and the field, to `warn` (for example `message => logger.warning(message)`); without `warn` they are ignored silently.
*/
export function loadNamedServers(file: string, environment: Readonly<Record<string, string | undefined>>, warn?: (message: string) => void): ServerConfig[] {
	let text: string;
	try {
		text = readBounded(file, maxFileBytes);
	} catch (error) {
		throw error instanceof UsageError ? error : new UsageError(`Cannot read the server configuration ${file}: ${(error as Error).message}`);
	}

	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
	}

	return parseNamedServers(data, file, environment, warn);
}

/**
A file's text, read up to `limit` bytes: a longer one (or an endless device) is a usage error.
*/
function readBounded(file: string, limit: number): string {
	const descriptor = openSync(file, 'r');
	try {
		const buffer = Buffer.alloc(limit + 1);
		let length = 0;
		while (length < buffer.length) {
			const read = readSync(descriptor, buffer, length, buffer.length - length, null);
			if (read === 0) {
				break;
			}

			length += read;
		}

		if (length > limit) {
			throw new UsageError(`${file} is larger than ${limit / 1024 / 1024} MiB: that is not a server configuration.`);
		}

		return buffer.subarray(0, length).toString('utf8');
	} finally {
		closeSync(descriptor);
	}
}

/**
Reads the fields of one entry, every error naming the file, the server and the field.
*/
type EntryReader = {
	file: string;
	at: (field?: string) => string;
	/**
	A string field, `${VAR}` expanded; never one with a NUL (no program, argument, variable or header can carry it).
	*/
	string: (field: string, value: unknown) => string;
	stringMap: (field: string, value: unknown) => Array<[string, string]>;
};

function entryReader(file: string, name: string, environment: Readonly<Record<string, string | undefined>>): EntryReader {
	const at = (field?: string) => `${file}: server ${JSON.stringify(name)}${field ? `, field ${JSON.stringify(field)}` : ''}`;
	const string = (field: string, value: unknown): string => {
		if (typeof value !== 'string') {
			throw new UsageError(`${at(field)}: expected a string.`);
		}

		const expanded = expandVariables(value, environment, () => at(field));
		if (expanded.includes('\0')) {
			throw new UsageError(`${at(field)}: contains a NUL character.`);
		}

		return expanded;
	};

	const stringMap = (field: string, value: unknown): Array<[string, string]> => {
		if (value === undefined) {
			return [];
		}

		if (typeof value !== 'object' || value === null || Array.isArray(value)) {
			throw new UsageError(`${at(field)}: expected an object of strings.`);
		}

		return Object.entries(value as Json).map(([key, item]) => [key, string(`${field}.${key}`, item)]);
	};

	return {
		file, at, string, stringMap,
	};
}

type Transport = {field: string | undefined; kind: RemoteServerConfig['transport'] | 'stdio' | undefined};

function remoteEntry(name: string, server: Json, transport: Transport, read: EntryReader): RemoteServerConfig {
	const {at, string, stringMap} = read;
	if (server['command'] !== undefined) {
		throw new UsageError(`${at()}: give either "command" (a local server) or "url" (a remote one), not both.`);
	}

	const url = string('url', server['url']);
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new UsageError(`${at('url')}: not a valid URL: ${url}`);
	}

	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw new UsageError(`${at('url')}: expected an http:// or https:// URL.`);
	}

	if (parsed.username !== '' || parsed.password !== '') {
		throw new UsageError(`${at('url')}: a user name or password in the URL is never sent (and would show in logs); give credentials in "headers", for example "Authorization".`);
	}

	if (transport.kind === 'stdio') {
		throw new UsageError(`${at(transport.field)}: a "url" entry cannot use the stdio transport.`);
	}

	const headers = stringMap('headers', server['headers']);
	for (const [key, value] of headers) {
		if (!/^[!#$%&'*+.^`|~\w-]+$/.test(key) || /[\r\n\0]/.test(value)) {
			throw new UsageError(`${at(`headers.${key}`)}: invalid header name or value (line breaks are not allowed).`);
		}
	}

	return {
		kind: 'remote', name, url, transport: transport.kind ?? 'auto', headers,
	};
}

function stdioEntry(name: string, server: Json, transport: Transport, read: EntryReader): StdioServerConfig {
	const {
		file, at, string, stringMap,
	} = read;
	if (transport.kind !== undefined && transport.kind !== 'stdio') {
		throw new UsageError(`${at(transport.field)}: ${JSON.stringify(server[transport.field!])} needs a "url"; a "command" entry runs a local server over stdio.`);
	}

	const command = string('command', server['command']);
	if (command.trim() === '') {
		throw new UsageError(`${at('command')}: is empty.`);
	}

	const argsValue = server['args'] ?? [];
	if (!Array.isArray(argsValue)) {
		throw new UsageError(`${at('args')}: expected an array of strings.`);
	}

	const args = argsValue.map((item, index) => string(`args[${index}]`, item));
	const env = Object.fromEntries(stringMap('env', server['env']));
	for (const key of Object.keys(env)) {
		if (!/^[A-Za-z_]\w*$/.test(key)) {
			throw new UsageError(`${at(`env.${key}`)}: not a valid variable name.`);
		}
	}

	const cwdValue = server['cwd'] === undefined ? undefined : string('cwd', server['cwd']);
	const cwd = cwdValue === undefined ? undefined : path.resolve(path.dirname(path.resolve(file)), cwdValue);
	return {
		kind: 'stdio', name, command, args, env, cwd,
	};
}

/**
`loadNamedServers` for data already read; unknown fields are reported to `warn`.
*/
export function parseNamedServers(data: unknown, file: string, environment: Readonly<Record<string, string | undefined>>, warn?: (message: string) => void): ServerConfig[] {
	if (typeof data !== 'object' || data === null || Array.isArray(data)) {
		throw new UsageError(`${file}: expected a JSON object with an "mcpServers" object.`);
	}

	const servers = (data as Json)['mcpServers'];
	if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) {
		throw new UsageError(`${file}: "mcpServers" is missing or not an object.`);
	}

	const result: ServerConfig[] = [];
	for (const [name, entry] of Object.entries(servers as Json)) {
		const read = entryReader(file, name, environment);
		const {at} = read;
		const nameProblem = serverNameProblem(name);
		if (nameProblem !== undefined) {
			throw new UsageError(`${at()}: the name ${nameProblem} (it names the URL path /servers/NAME/).`);
		}

		if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
			throw new UsageError(`${at()}: expected an object.`);
		}

		const server = entry as Json;
		const unknownKeys = Object.keys(server).filter(key => !knownKeys.has(key));
		for (const field of ['enabled', 'disabled']) {
			if (server[field] !== undefined && typeof server[field] !== 'boolean') {
				throw new UsageError(`${at(field)}: expected true or false.`);
			}
		}

		if (server['enabled'] === false || server['disabled'] === true) {
			continue;
		}

		for (const key of unknownKeys) {
			warn?.(`${at(key)}: unknown field, ignored (known: command, args, env, cwd, url, transport, headers, enabled, disabled).`);
		}

		const transportField = ['transport', 'transportType', 'type'].find(field => server[field] !== undefined);
		const transport: Transport = {field: transportField, kind: undefined};
		if (transportField) {
			const value = server[transportField];
			transport.kind = typeof value === 'string' ? transportNames.get(value.toLowerCase()) : undefined;
			if (!transport.kind) {
				throw new UsageError(`${at(transportField)}: expected stdio, streamablehttp (or http), sse or auto, got ${JSON.stringify(value)}.`);
			}
		}

		if (server['url'] !== undefined) {
			result.push(remoteEntry(name, server, transport, read));
		} else if (server['command'] === undefined) {
			const ignored = unknownKeys.length > 0 ? ` (ignored unknown fields: ${unknownKeys.join(', ')})` : '';
			throw new UsageError(`${at()}: needs "command" (a local server) or "url" (a remote one)${ignored}.`);
		} else {
			result.push(stdioEntry(name, server, transport, read));
		}
	}

	return result;
}
