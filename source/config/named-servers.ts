import {readFileSync} from 'node:fs';
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
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new UsageError(`Cannot read the server configuration ${file}: ${(error as Error).message}`);
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
		const at = (field?: string) => `${file}: server "${name}"${field ? `, field "${field}"` : ''}`;
		if (!serverName.test(name)) {
			throw new UsageError(`${at()}: the name may contain only letters, digits, -, _ and . (it becomes the URL path /servers/${name}/).`);
		}

		if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
			throw new UsageError(`${at()}: expected an object.`);
		}

		const server = entry as Json;
		const unknownKeys = Object.keys(server).filter(key => !knownKeys.has(key));
		if (server['enabled'] !== undefined && typeof server['enabled'] !== 'boolean') {
			throw new UsageError(`${at('enabled')}: expected true or false.`);
		}

		if (server['disabled'] !== undefined && typeof server['disabled'] !== 'boolean') {
			throw new UsageError(`${at('disabled')}: expected true or false.`);
		}

		if (server['enabled'] === false || server['disabled'] === true) {
			continue;
		}

		for (const key of unknownKeys) {
			warn?.(`${at(key)}: unknown field, ignored (known: command, args, env, cwd, url, transport, headers, enabled, disabled).`);
		}

		const string = (field: string, value: unknown): string => {
			if (typeof value !== 'string') {
				throw new UsageError(`${at(field)}: expected a string.`);
			}

			return expandVariables(value, environment, () => at(field));
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

		const transportField = ['transport', 'transportType', 'type'].find(field => server[field] !== undefined);
		let transport: RemoteServerConfig['transport'] | 'stdio' | undefined;
		if (transportField) {
			const value = server[transportField];
			transport = typeof value === 'string' ? transportNames.get(value.toLowerCase()) : undefined;
			if (!transport) {
				throw new UsageError(`${at(transportField)}: expected stdio, streamablehttp (or http), sse or auto, got ${JSON.stringify(value)}.`);
			}
		}

		if (server['url'] !== undefined) {
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

			if (transport === 'stdio') {
				throw new UsageError(`${at(transportField)}: a "url" entry cannot use the stdio transport.`);
			}

			const headers = stringMap('headers', server['headers']);
			for (const [key, value] of headers) {
				if (!/^[!#$%&'*+.^`|~\w-]+$/.test(key) || /[\r\n\0]/.test(value)) {
					throw new UsageError(`${at(`headers.${key}`)}: invalid header name or value (line breaks are not allowed).`);
				}
			}

			result.push({
				kind: 'remote', name, url, transport: transport ?? 'auto', headers,
			});
			continue;
		}

		if (server['command'] === undefined) {
			const ignored = unknownKeys.length > 0 ? ` (ignored unknown fields: ${unknownKeys.join(', ')})` : '';
			throw new UsageError(`${at()}: needs "command" (a local server) or "url" (a remote one)${ignored}.`);
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
		result.push({
			kind: 'stdio', name, command, args, env, cwd,
		});
	}

	return result;
}
