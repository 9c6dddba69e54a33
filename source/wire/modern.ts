/*
What a client needs to send a message of the modern era (MCP 2026-07-28) over HTTP, as pure functions: whether a message is modern (its `_meta` protocol-version envelope) and which version it claims; the headers its POST carries (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`), values that are not safe header text sent as the `=?base64?…?=` sentinel; and a tool's `x-mcp-header` declarations, checked as the spec requires of clients (a tool whose annotations are invalid is dropped from `tools/list`). The rules and the messages follow the SDK v2 client (2.4.0).
*/
import {Buffer} from 'node:buffer';
import type {Message} from '../types.js';

export const protocolVersionKey = 'io.modelcontextprotocol/protocolVersion';
/**
The other keys of the revision's `_meta`: the client's identity and capabilities and a request's log level (the request envelope), the server's identity on a result, and a subscription's id on what a `subscriptions/listen` stream carries.
*/
export const clientInfoKey = 'io.modelcontextprotocol/clientInfo';
export const clientCapabilitiesKey = 'io.modelcontextprotocol/clientCapabilities';
export const logLevelKey = 'io.modelcontextprotocol/logLevel';
export const serverInfoKey = 'io.modelcontextprotocol/serverInfo';
export const subscriptionIdKey = 'io.modelcontextprotocol/subscriptionId';

/**
The modern protocol versions the proxy speaks, newest first: what a -32022 for an unsupported modern version lists, and what the probe of an upstream looks for.
*/
export const modernProtocolVersions: readonly string[] = ['2026-07-28'];

/**
Whether a protocol version is of the modern era (2026-07-28 or later: date-shaped, compared as text).
*/
export function isModernVersion(version: string | undefined): boolean {
	return version !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= '2026-07-28';
}

/**
The JSON-RPC error of a modern server refusing a protocol version (its `data.supported` lists those it speaks).
*/
export const unsupportedVersionCode = -32_022;

/**
The JSON-RPC error of a modern server refusing a request whose headers disagree with its body (answered with HTTP 400).
*/
export const headerMismatchCode = -32_020;

/**
The version a message claims in its `_meta` envelope, when it claims one as a string: the message is of the modern era. One property read for a message without `_meta` (every 2025 message): cheap enough for the hot path.
*/
export function modernVersionOf(message: Message): string | undefined {
	const meta = (message as {params?: {_meta?: Record<string, unknown>}}).params?._meta;
	if (meta === undefined || meta === null || typeof meta !== 'object') {
		return undefined;
	}

	const version = meta[protocolVersionKey];
	return typeof version === 'string' ? version : undefined;
}

/**
Where a modern request that came in over HTTP carries the `Mcp-*` headers it arrived with that the proxy does not rebuild (the `Mcp-Param-*` and any it does not know), for the POST that forwards it to a remote: the spec asks an intermediary to forward them. A symbol-keyed property: a spread copy of the message (the multiplexer's, as it remaps the id) keeps it, and JSON leaves it out, so no wire ever sees it.
*/
export const forwardedHeadersKey: unique symbol = Symbol('Mcp-* headers to forward');

/**
The headers a message carries to forward (lower-case names), if any.
*/
export function forwardedHeadersOf(message: Message): Readonly<Record<string, string>> | undefined {
	return (message as {[forwardedHeadersKey]?: Record<string, string>})[forwardedHeadersKey];
}

/**
Give `message` the headers to forward with it (it is changed in place: it is the proxy's own parse of the POST's body).
*/
export function attachForwardedHeaders(message: Message, headers: Readonly<Record<string, string>>): void {
	(message as {[forwardedHeadersKey]?: Readonly<Record<string, string>>})[forwardedHeadersKey] = headers;
}

/**
The modern versions a refusal of `initialize` names (-32022 with `data.supported`, as a 2026-only server answers), if it names only those.
*/
export function modernOnly(error: {code: number; data?: unknown}): string[] | undefined {
	const supported = error.code === unsupportedVersionCode ? (error.data as {supported?: unknown} | undefined)?.supported : undefined;
	if (!Array.isArray(supported) || supported.length === 0 || !supported.every(version => typeof version === 'string' && isModernVersion(version))) {
		return undefined;
	}

	return supported as string[];
}

const sentinelPrefix = '=?base64?';
const sentinelSuffix = '?=';

/**
Whether a header value must travel as the Base64 sentinel: empty, shaped like the sentinel, with leading or trailing whitespace, or holding a character outside visible ASCII and space. A tab is encoded too, wherever it is (the spec allows one inside; the conformance suite expects it encoded, and the decoder reads both).
*/
export function needsBase64(value: string): boolean {
	if (value.length === 0 || (value.startsWith(sentinelPrefix) && value.endsWith(sentinelSuffix)) || value !== value.trim()) {
		return true;
	}

	for (let index = 0; index < value.length; index++) {
		const code = value.codePointAt(index)!;
		if (code < 0x20 || code > 0x7E) {
			return true;
		}
	}

	return false;
}

/**
A value as header text: itself when it is safe, else `=?base64?{Base64 of its UTF-8}?=` (standard alphabet, padded).
*/
export function encodeHeaderValue(value: string): string {
	return needsBase64(value) ? `${sentinelPrefix}${Buffer.from(value, 'utf8').toString('base64')}${sentinelSuffix}` : value;
}

/**
An argument as header text before encoding: a string as is, a boolean as `true`/`false`, a finite number in decimal (a safe integer only); anything else has no header.
*/
export function primitiveText(value: unknown): string | undefined {
	if (typeof value === 'string') {
		return value;
	}

	if (typeof value === 'boolean') {
		return value ? 'true' : 'false';
	}

	if (typeof value === 'number' && Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value))) {
		return String(value);
	}

	return undefined;
}

/**
The parameter each method that names something carries its name in: the tool's or prompt's name, the resource's URI, and the task's id for the tasks extension's `tasks/get`, `tasks/update` and `tasks/cancel` (its spec: routing by task, as the SDK does).
*/
const namedBy: ReadonlyMap<string, string> = new Map([
	['tools/call', 'name'],
	['prompts/get', 'name'],
	['resources/read', 'uri'],
	['tasks/get', 'taskId'],
	['tasks/update', 'taskId'],
	['tasks/cancel', 'taskId'],
]);

/**
The name a request's `Mcp-Name` carries (see `namedBy`); none for other methods.
*/
export function nameOf(method: string, parameters: Record<string, unknown> | undefined): string | undefined {
	const key = namedBy.get(method);
	const value = key === undefined ? undefined : parameters?.[key];
	return typeof value === 'string' ? value : undefined;
}

/**
One `x-mcp-header` declaration of a tool: the argument at `path` (a chain of `properties` keys) is mirrored as `Mcp-Param-{header}`.
*/
export type HeaderDeclaration = {
	readonly path: readonly string[];
	readonly header: string;
};

export type DeclarationScan = {valid: true; declarations: HeaderDeclaration[]} | {valid: false; reason: string};

const tokenPattern = /^[!#$%&'*+\-.^`|~\w]+$/;
const primitiveTypes = new Set(['string', 'integer', 'boolean']);
/**
Where the chain of `properties` keys cannot reach: an annotation under one of these makes the tool invalid.
*/
const unreachableKeywords = [
	'items',
	'prefixItems',
	'contains',
	'additionalProperties',
	'unevaluatedProperties',
	'unevaluatedItems',
	'propertyNames',
	'patternProperties',
	'dependentSchemas',
	'oneOf',
	'anyOf',
	'allOf',
	'not',
	'if',
	'then',
	'else',
	'$defs',
	'definitions',
];
const mapKeywords = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions']);
/**
How deep a schema is walked: deeper is invalid (a hostile schema must not exhaust the stack).
*/
export const maxSchemaDepth = 64;

type Walk = {declarations: HeaderDeclaration[]; seen: Map<string, string>};

/**
Where the walk stands: the chain of keys from the root, whether only `properties` led there, how deep it is.
*/
type Position = {path: string[]; reachable: boolean; depth: number};

function pathName(path: readonly string[]): string {
	return path.length === 0 ? '<root>' : path.join('.');
}

function checkAnnotation(schema: Record<string, unknown>, path: string[], reachable: boolean, walk: Walk): string | undefined {
	const where = pathName(path);
	if (!reachable || path.length === 0) {
		return `${where}: x-mcp-header is only permitted on properties statically reachable via a chain of 'properties' keys`
			+ ' (not under items, additionalProperties, oneOf/anyOf/allOf/not, if/then/else, or $ref)';
	}

	const header = schema['x-mcp-header'];
	if (typeof header !== 'string' || header.length === 0) {
		return `${where}: x-mcp-header MUST be a non-empty string`;
	}

	if (!tokenPattern.test(header)) {
		return `${where}: x-mcp-header '${header}' is not a valid RFC 9110 token (no spaces, control characters or HTTP delimiters)`;
	}

	const type = typeof schema['type'] === 'string' ? schema['type'] : undefined;
	if (type === undefined || !primitiveTypes.has(type)) {
		return `${where}: x-mcp-header is only permitted on primitive-typed properties (string, integer, boolean); got ${type ?? '<none>'}`;
	}

	const prior = walk.seen.get(header.toLowerCase());
	if (prior !== undefined) {
		return `x-mcp-header '${header}' is not case-insensitively unique (also declared as '${prior}')`;
	}

	walk.seen.set(header.toLowerCase(), header);
	walk.declarations.push({path, header});
	return undefined;
}

function visit(node: unknown, {path, reachable, depth}: Position, walk: Walk): string | undefined {
	if (node === null || typeof node !== 'object') {
		return undefined;
	}

	if (depth > maxSchemaDepth) {
		return `${pathName(path)}: the input schema is nested deeper than ${maxSchemaDepth} levels`;
	}

	const schema = node as Record<string, unknown>;
	if (Object.hasOwn(schema, 'x-mcp-header')) {
		const fault = checkAnnotation(schema, path, reachable, walk);
		if (fault !== undefined) {
			return fault;
		}
	}

	const {properties} = schema;
	if (properties !== null && typeof properties === 'object' && !Array.isArray(properties)) {
		for (const [key, child] of Object.entries(properties)) {
			const fault = visit(child, {path: [...path, key], reachable, depth: depth + 1}, walk);
			if (fault !== undefined) {
				return fault;
			}
		}
	}

	for (const keyword of unreachableKeywords) {
		const sub = schema[keyword];
		if (sub === undefined) {
			continue;
		}

		const isMap = mapKeywords.has(keyword) && sub !== null && typeof sub === 'object';
		const branches = Array.isArray(sub) ? sub : (isMap ? Object.values(sub) : [sub]);
		for (const branch of branches) {
			const fault = visit(branch, {path: [...path, `<${keyword}>`], reachable: false, depth: depth + 1}, walk);
			if (fault !== undefined) {
				return fault;
			}
		}
	}

	return undefined;
}

/**
A tool's `x-mcp-header` declarations, or the first rule of the spec they break (then the tool is invalid).
*/
export function scanDeclarations(inputSchema: unknown): DeclarationScan {
	const walk: Walk = {declarations: [], seen: new Map()};
	const reason = visit(inputSchema, {path: [], reachable: true, depth: 0}, walk);
	return reason === undefined ? {valid: true, declarations: walk.declarations} : {valid: false, reason};
}

/**
The `Mcp-Param-*` headers of a `tools/call` (lower-case names): one per declaration whose argument is present, not null and a primitive.
*/
export function addParameterHeaders(declarations: readonly HeaderDeclaration[], arguments_: unknown, headers: Record<string, string>): void {
	for (const {path, header} of declarations) {
		let value: unknown = arguments_;
		for (const key of path) {
			value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
		}

		const text = value === undefined || value === null ? undefined : primitiveText(value);
		if (text !== undefined) {
			headers[`mcp-param-${header.toLowerCase()}`] = encodeHeaderValue(text);
		}
	}
}

/**
The headers a modern message's POST carries besides the transport's own (lower-case names): `MCP-Protocol-Version` = `version`; for a request `Mcp-Method`, `Mcp-Name` for the methods that name something (`nameOf`), and for `tools/call` the `Mcp-Param-*` of the tool's declarations (`toolHeaders`, by tool name; none known, none sent). A notification carries only the version (as the SDK client sends it: the spec defines no more).
*/
export function modernHeaders(message: Message, version: string, toolHeaders: ReadonlyMap<string, readonly HeaderDeclaration[]>): Record<string, string> {
	const headers: Record<string, string> = {'mcp-protocol-version': version};
	if (!('id' in message) || !('method' in message)) {
		return headers;
	}

	const {method} = message;
	headers['mcp-method'] = method;
	const parameters = message.params;
	const name = nameOf(method, parameters);
	if (name !== undefined) {
		headers['mcp-name'] = encodeHeaderValue(name);
		const declarations = method === 'tools/call' ? toolHeaders.get(name) : undefined;
		if (declarations) {
			addParameterHeaders(declarations, parameters?.['arguments'], headers);
		}
	}

	return headers;
}

/**
A tool dropped from `tools/list` and why.
*/
export type DroppedTool = {name: string; reason: string};

/**
A `tools/list` result as a client of a modern HTTP server must see it: tools whose `x-mcp-header` annotations are invalid left out (reported in `dropped`), and each remaining tool's declarations, for the calls' `Mcp-Param-*`, in `declarations` (tools without any are not listed). The result is returned unchanged (the same object) when nothing is dropped.
*/
export function screenTools(result: unknown): {result: unknown; dropped: DroppedTool[]; declarations: Map<string, HeaderDeclaration[]>} {
	const dropped: DroppedTool[] = [];
	const declarations = new Map<string, HeaderDeclaration[]>();
	const tools = (result as {tools?: unknown} | undefined)?.tools;
	if (!Array.isArray(tools)) {
		return {result, dropped, declarations};
	}

	const kept = tools.filter((tool: unknown) => {
		const {name, inputSchema} = (tool ?? {}) as {name?: unknown; inputSchema?: unknown};
		const scan = scanDeclarations(inputSchema);
		if (!scan.valid) {
			dropped.push({name: String(name), reason: scan.reason});
			return false;
		}

		if (typeof name === 'string' && scan.declarations.length > 0) {
			declarations.set(name, scan.declarations);
		}

		return true;
	});
	return {result: dropped.length === 0 ? result : {...result as Record<string, unknown>, tools: kept}, dropped, declarations};
}

/**
The `x-mcp-header` declarations of a server's tools, by tool name (tools without any are not kept).
*/
export type ToolDeclarations = Map<string, readonly HeaderDeclaration[]>;

/**
Learn what a `tools/list` result declares into `store`, bounded to `max` tools (the oldest forgotten first): each listed tool's declarations replace what was known of it (a tool listed without any, or with invalid ones, has none). Returns the screening (`screenTools`), for a client to pass on.
*/
export function learnDeclarations(store: ToolDeclarations, result: unknown, max: number): ReturnType<typeof screenTools> {
	const screening = screenTools(result);
	const tools = (result as {tools?: unknown} | undefined)?.tools;
	for (const tool of Array.isArray(tools) ? tools as Array<{name?: unknown} | undefined> : []) {
		if (typeof tool?.name === 'string') {
			store.delete(tool.name);
		}
	}

	for (const [name, declarations] of screening.declarations) {
		if (store.size >= max) {
			store.delete(store.keys().next().value!);
		}

		store.set(name, declarations);
	}

	return screening;
}
