import {Buffer} from 'node:buffer';
import type {IncomingHttpHeaders} from 'node:http';
import type {Message} from '../../types.js';
import {isNotification, isRequest, isResponse} from '../../wire/message.js';
import {
	clientCapabilitiesKey, headerMismatchCode, isModernVersion, logLevelKey, modernProtocolVersions, nameOf, protocolVersionKey, unsupportedVersionCode, type HeaderDeclaration,
} from '../../wire/modern.js';
import {accepts} from '../http-io.js';
import type {Check, Refusal} from '../refusal.js';
import {shuttingDown} from './common.js';

/*
The 2026-07-28 revision at the HTTP edge: which era a POST belongs to (`classify`, the rule of the spec's versioning page and of the SDK v2 server: a `_meta` protocol-version claim, or a modern `MCP-Protocol-Version` header, is modern; `initialize`, a batch, a response, a claim-less message are 2025), and the pure checks of a modern POST's headers against its body (`Mcp-Param-*` against the tool's declarations, once a `tools/list` taught them), in the SDK server's order, each refusal a JSON-RPC error with the request's id and the HTTP status the spec gives its code.
*/

const logLevels = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);

export {headerMismatchCode} from '../../wire/modern.js';
export const missingCapabilityCode = -32_021;

/**
The era of a POST: `modern` (2026-07-28: no session, headers checked against the body) or `2025` (today's sessions).
*/
export type RequestEra = '2025' | 'modern';

function metaOf(message: Message): Record<string, unknown> | undefined {
	const parameters = (message as {params?: unknown}).params;
	if (typeof parameters !== 'object' || parameters === null) {
		return undefined;
	}

	const meta = (parameters as {_meta?: unknown})._meta;
	return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? meta as Record<string, unknown> : undefined;
}

/**
Whether a message claims a protocol version in its `_meta` (any value: a bad one is refused by the checks, not taken for 2025).
*/
export function hasClaim(message: Message): boolean {
	const meta = metaOf(message);
	return meta !== undefined && Object.hasOwn(meta, protocolVersionKey);
}

/**
The era of a POST's messages, from its body first and its `MCP-Protocol-Version` header second. A POST naming a session is 2025 whatever it carries.
*/
export function classify(messages: readonly Message[], batch: boolean, versionHeader: string | undefined, sessionId: string | undefined): RequestEra {
	if (sessionId !== undefined || messages.length === 0) {
		return '2025';
	}

	if (batch) {
		// Refused below: batches do not exist in the modern era.
		return messages.some(message => hasClaim(message)) ? 'modern' : '2025';
	}

	const message = messages[0]!;
	if (isResponse(message)) {
		return '2025';
	}

	if (hasClaim(message)) {
		return 'modern';
	}

	return isModernVersion(versionHeader) ? 'modern' : '2025';
}

/**
What the checks of a modern POST look at: its one message (or a batch), and its headers.
*/
export type ModernFacts = {
	readonly messages: readonly Message[];
	readonly batch: boolean;
	readonly versionHeader: string | undefined;
	readonly methodHeader: string | undefined;
	readonly nameHeader: string | undefined;
	readonly accept: string | undefined;
	/**
	The listener is shutting down.
	*/
	readonly closing: boolean;
	/**
	For a `tools/call`, the `x-mcp-header` declarations of its tool, when known (learnt from a `tools/list` that passed); and the request's `Mcp-*` headers to forward, which hold its `Mcp-Param-*` (`forwardableHeaders`).
	*/
	readonly declarations?: readonly HeaderDeclaration[] | undefined;
	readonly parameterHeaders?: Readonly<Record<string, string>> | undefined;
};

type Answer = {status: number; code: number; message: string; data?: unknown};

function refusal(facts: ModernFacts, {status, code, message, data}: Answer): Refusal {
	const first = facts.messages[0];
	const id = !facts.batch && first !== undefined && isRequest(first) ? first.id : undefined;
	return {
		status, code, message, id, data,
	};
}

function mismatch(facts: ModernFacts, header: string, problem: string, body?: unknown): Refusal {
	return refusal(facts, {
		status: 400, code: headerMismatchCode, message: `Header mismatch: ${problem}`, data: {mismatch: {header, ...(body === undefined ? {} : {body})}},
	});
}

function claimOf(facts: ModernFacts): unknown {
	const meta = metaOf(facts.messages[0]!);
	return meta?.[protocolVersionKey];
}

function methodOf(facts: ModernFacts): string {
	return (facts.messages[0] as {method: string}).method;
}

/**
The envelope's problem, if it has one: a claim that is not a string, capabilities that are not an object, a log level that is not one.
*/
function envelopeProblem(facts: ModernFacts): Refusal | undefined {
	const message = facts.messages[0]!;
	const meta = metaOf(message);
	if (meta === undefined || !Object.hasOwn(meta, protocolVersionKey)) {
		if (isNotification(message)) {
			return undefined;
		}

		const missing = [protocolVersionKey, ...(meta && Object.hasOwn(meta, clientCapabilitiesKey) ? [] : [clientCapabilitiesKey])];
		return refusal(facts, {
			status: 400, code: -32_602, message: `Invalid params: the request's _meta lacks ${missing.join(', ')}`, data: {envelope: {missing}},
		});
	}

	const invalid = (key: string, problem: string) => refusal(facts, {
		status: 400, code: -32_602, message: `Invalid params: _meta["${key}"] ${problem}`, data: {envelope: {key, problem}},
	});
	if (typeof meta[protocolVersionKey] !== 'string') {
		return invalid(protocolVersionKey, 'must be a string');
	}

	if (isRequest(message)) {
		const capabilities = meta[clientCapabilitiesKey];
		if (typeof capabilities !== 'object' || capabilities === null || Array.isArray(capabilities)) {
			return invalid(clientCapabilitiesKey, capabilities === undefined ? 'is required' : 'must be an object');
		}
	}

	const level = meta[logLevelKey];
	return level === undefined || (typeof level === 'string' && logLevels.has(level)) ? undefined : invalid(logLevelKey, 'must be a log level');
}

/**
The name a request's `Mcp-Name` header must carry (`nameOf`: the tool's or prompt's name, the resource's URI, the task's id); `undefined` for other methods.
*/
export function bodyName(message: Message): string | undefined {
	return nameOf((message as {method: string}).method, (message as {params?: Record<string, unknown>}).params);
}

const sentinel = /^=\?base64\?([A-Za-z\d+/]*={0,2})\?=$/;

/**
A header value as its sender meant it: the `=?base64?…?=` form decoded (UTF-8), else the value itself (one with the prefix and not the suffix too: it is not the sentinel's shape, as the conformance suite reads the spec); `undefined` for a malformed sentinel.
*/
export function decodeHeaderValue(value: string): string | undefined {
	if (!value.startsWith('=?base64?') || !value.endsWith('?=')) {
		return value;
	}

	const match = sentinel.exec(value);
	if (!match || match[1]!.length % 4 !== 0) {
		return undefined;
	}

	const bytes = Buffer.from(match[1]!, 'base64');
	const text = new TextDecoder('utf-8', {fatal: false}).decode(bytes);
	return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}

function nameRefusal(facts: ModernFacts): Refusal | undefined {
	const name = bodyName(facts.messages[0]!);
	if (name === undefined) {
		return undefined;
	}

	if (facts.nameHeader === undefined) {
		return mismatch(facts, 'Mcp-Name', 'the Mcp-Name header is required', name);
	}

	const decoded = decodeHeaderValue(facts.nameHeader);
	if (decoded === undefined) {
		return mismatch(facts, 'Mcp-Name', 'the Mcp-Name header is not valid Base64');
	}

	return decoded === name ? undefined : mismatch(facts, 'Mcp-Name', 'the Mcp-Name header does not match the body', name);
}

function valueAt(arguments_: unknown, path: readonly string[]): unknown {
	let value = arguments_;
	for (const key of path) {
		value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
	}

	return value;
}

/**
Whether a header's text stands for a body value: the same text, or for a number the same number (`42.0` is `42`).
*/
function sameValue(text: string, value: string | number | boolean): boolean {
	return typeof value === 'number' ? text.trim() !== '' && Number(text) === value : text === String(value);
}

/**
A `tools/call`'s `Mcp-Param-*` headers against its arguments, for each parameter its tool declares (the spec's table): a value present and not null must have its header, which must decode to it; an absent or null value expects none; headers nobody declared are not looked at.
*/
function parameterRefusal(facts: ModernFacts): Refusal | undefined {
	const {declarations} = facts;
	if (declarations === undefined) {
		return undefined;
	}

	const arguments_ = (facts.messages[0] as {params?: {arguments?: unknown}}).params?.arguments;
	for (const {path, header} of declarations) {
		const value = valueAt(arguments_, path);
		if (value === undefined || value === null || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) {
			continue;
		}

		const name = `Mcp-Param-${header}`;
		const text = facts.parameterHeaders?.[`mcp-param-${header.toLowerCase()}`];
		if (text === undefined) {
			return mismatch(facts, name, `the ${name} header is required`, value);
		}

		const decoded = decodeHeaderValue(text);
		if (decoded === undefined) {
			return mismatch(facts, name, `the ${name} header is not valid Base64`);
		}

		if (!sameValue(decoded, value)) {
			return mismatch(facts, name, `the ${name} header does not match the body`, value);
		}
	}

	return undefined;
}

/**
POST `/mcp` of the modern era, once its body is read: the first refusal wins. A POST that passes is one request (or notification) with a served version and headers that agree with it.
*/
export const modernChecks: ReadonlyArray<Check<ModernFacts>> = [
	facts => facts.batch ? refusal(facts, {status: 400, code: -32_600, message: 'Invalid Request: batches are not part of protocol version 2026-07-28'}) : undefined,
	facts => methodOf(facts) === 'initialize' && !hasClaim(facts.messages[0]!)
		? mismatch(facts, 'MCP-Protocol-Version', `initialize is not part of protocol version ${facts.versionHeader!}`)
		: undefined,
	facts => {
		const claim = claimOf(facts);
		return facts.versionHeader !== undefined && typeof claim === 'string' && claim !== facts.versionHeader
			? mismatch(facts, 'MCP-Protocol-Version', 'the MCP-Protocol-Version header does not match _meta', claim)
			: undefined;
	},
	facts => facts.methodHeader !== undefined && facts.methodHeader !== methodOf(facts) ? mismatch(facts, 'Mcp-Method', 'the Mcp-Method header does not match the body', methodOf(facts)) : undefined,
	envelopeProblem,
	facts => {
		const claim = claimOf(facts);
		// Only the modern versions, as the SDK's server does (the conformance suite checks they are a subset of what `server/discover` says; a 2025 client never sends a claim).
		return typeof claim === 'string' && !modernProtocolVersions.includes(claim)
			? refusal(facts, {
				status: 400, code: unsupportedVersionCode, message: `Unsupported protocol version: ${claim.slice(0, 50)}`, data: {supported: modernProtocolVersions, requested: claim},
			})
			: undefined;
	},
	facts => isRequest(facts.messages[0]!) && facts.versionHeader === undefined ? mismatch(facts, 'MCP-Protocol-Version', 'the MCP-Protocol-Version header is required') : undefined,
	facts => isRequest(facts.messages[0]!) && facts.methodHeader === undefined ? mismatch(facts, 'Mcp-Method', 'the Mcp-Method header is required', methodOf(facts)) : undefined,
	facts => isRequest(facts.messages[0]!) ? nameRefusal(facts) : undefined,
	parameterRefusal,
	facts => !isRequest(facts.messages[0]!) || (accepts(facts.accept, 'application/json') && accepts(facts.accept, 'text/event-stream'))
		? undefined
		: refusal(facts, {status: 406, code: -32_000, message: 'Not Acceptable: Client must accept both application/json and text/event-stream'}),
	facts => facts.closing ? shuttingDown : undefined,
];

/**
The `Mcp-*` headers the proxy rebuilds for a forwarded modern request (from its id-remapped body), or does not forward at all (a modern request names no session).
*/
const rebuiltHeaders = new Set(['mcp-protocol-version', 'mcp-method', 'mcp-name', 'mcp-session-id']);

/**
The `Mcp-*` headers of a modern request to forward as they came (lower-case names): every `Mcp-Param-*` and every one the proxy does not know, as the spec asks of an intermediary; `undefined` when there is none. Bounded by the listener's limit on the size of a request's headers.
*/
export function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string> | undefined {
	let forwarded: Record<string, string> | undefined;
	for (const name in headers) {
		if (name.startsWith('mcp-') && !rebuiltHeaders.has(name)) {
			const value = headers[name];
			forwarded ??= {};
			forwarded[name] = Array.isArray(value) ? value.join(', ') : value ?? '';
		}
	}

	return forwarded;
}

/**
The HTTP status of the answer to a modern request, by its JSON-RPC error code (the spec's mapping): 404 for an unknown method, 400 for the protocol's own errors and a malformed envelope, 200 otherwise (errors of the call itself travel in the body).
*/
export function modernStatus(message: Message): number {
	const {error} = message as {error?: {code?: unknown; data?: unknown}};
	if (error === undefined) {
		return 200;
	}

	switch (error.code) {
		case -32_601: {
			return 404;
		}

		case headerMismatchCode:
		case missingCapabilityCode:
		case unsupportedVersionCode:
		case -32_600:
		case -32_700: {
			return 400;
		}

		case -32_602: {
			const {data} = error;
			return typeof data === 'object' && data !== null && 'envelope' in data ? 400 : 200;
		}

		default: {
			return 200;
		}
	}
}
