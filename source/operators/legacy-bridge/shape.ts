/*
What the bridge changes in the messages between a 2026-07-28 client and a 2025 server, pure: the `initialize` a request's envelope stands for, the request as the 2025 server sees it, `server/discover` from the server's `initialize` result, and the fields a 2026 result must have.
*/
import type {ErrorResponse, Request, RequestId} from '../../types.js';
import {errorResponse} from '../../wire/message.js';
import {
	clientCapabilitiesKey, clientInfoKey, logLevelKey, modernProtocolVersions, protocolVersionKey, serverInfoKey, subscriptionIdKey,
} from '../../wire/modern.js';
import {proxyClientInfo} from '../protocol-versions.js';

export const envelopeKeys = {
	capabilities: clientCapabilitiesKey,
	clientInfo: clientInfoKey,
	logLevel: logLevelKey,
	serverInfo: serverInfoKey,
	subscriptionId: subscriptionIdKey,
} as const;

/**
The results the 2026 revision makes cacheable: a complete one carries `ttlMs` and `cacheScope`.
*/
const cacheable = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

/**
The calls that may end in `input_required` (so the only ones during which a server's own request can be passed on to the client).
*/
export const interruptible = new Set(['tools/call', 'prompts/get', 'resources/read']);

/**
The methods of 2025 that the 2026 revision removed: a modern client that sends one gets -32601, as from a 2026 server.
*/
export const removedMethods = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

function metaOf(parameters: Request['params']): Record<string, unknown> {
	return (parameters?._meta ?? {});
}

/**
The `initialize` parameters of the 2025 session a modern request stands for: its envelope's capabilities (all of them: sampling, elicitation, roots, experimental, extensions) and client identity.
*/
export function initializeParameters(request: Request, protocolVersion: string): Record<string, unknown> {
	const meta = metaOf(request.params);
	const capabilities = meta[envelopeKeys.capabilities];
	const clientInfo = meta[envelopeKeys.clientInfo];
	return {
		protocolVersion,
		capabilities: capabilities !== null && typeof capabilities === 'object' ? capabilities : {},
		clientInfo: clientInfo !== null && typeof clientInfo === 'object' ? clientInfo : {name: `${proxyClientInfo.name} (for a 2026-07-28 client)`, version: proxyClientInfo.version},
	};
}

/**
The log level a modern request asked for, if any.
*/
export function logLevelOf(request: Request): string | undefined {
	const level = metaOf(request.params)[envelopeKeys.logLevel];
	return typeof level === 'string' ? level : undefined;
}

/**
The request as a 2025 server takes it: `id` given, the `io.modelcontextprotocol/` envelope keys and the round's `inputResponses`/`requestState` removed (other `_meta`, such as `progressToken`, kept).
*/
export function legacyRequest(request: Request, id: RequestId): Request {
	const {inputResponses: _responses, requestState: _state, _meta, ...rest} = (request.params ?? {}) as Record<string, unknown>;
	const meta: Record<string, unknown> = {};
	for (const [key, value] of Object.entries((_meta ?? {}) as Record<string, unknown>)) {
		if (!key.startsWith('io.modelcontextprotocol/')) {
			meta[key] = value;
		}
	}

	const parameters = Object.keys(meta).length > 0 ? {...rest, _meta: meta} : rest;
	return {
		jsonrpc: '2.0', id, method: request.method, params: parameters,
	};
}

/**
`server/discover` answered from a 2025 server's `initialize` result.
*/
export function discoverResult(initResult: Record<string, unknown>): Record<string, unknown> {
	return {
		supportedVersions: [...modernProtocolVersions],
		capabilities: initResult['capabilities'] ?? {},
		...(typeof initResult['instructions'] === 'string' ? {instructions: initResult['instructions']} : {}),
		resultType: 'complete',
		ttlMs: 0,
		cacheScope: 'private',
		_meta: {[envelopeKeys.serverInfo]: initResult['serverInfo']},
	};
}

/**
A 2025 result as a 2026 client must get it: `resultType` "complete", cache hints on the cacheable ones (none given: not to be cached, for this client only), the server's identity in `_meta`.
*/
export function modernResult(method: string, result: Record<string, unknown>, serverInfo: unknown): Record<string, unknown> {
	const meta = {...(result['_meta'] as Record<string, unknown> | undefined), [envelopeKeys.serverInfo]: serverInfo};
	const hints = cacheable.has(method) ? {ttlMs: result['ttlMs'] ?? 0, cacheScope: result['cacheScope'] ?? 'private'} : {};
	return {
		...result, resultType: 'complete', ...hints, _meta: meta,
	};
}

/**
A 2025 error as a 2026 client must get it: the 2025 "resource not found" (-32002) is -32602 in 2026.
*/
export function modernError(response: ErrorResponse, id: RequestId): ErrorResponse {
	const {code, message, data} = response.error;
	return errorResponse(id, code === -32_002 ? -32_602 : code, message, data);
}

/**
The `input_required` result that ends a round: the server's pending requests by key (their parameters without the 2025 `_meta` and `elicitationId`), and the sealed state to come back with.
*/
export function inputRequiredResult(requests: ReadonlyMap<string, Request>, requestState: string, serverInfo: unknown): Record<string, unknown> {
	const inputRequests: Record<string, unknown> = {};
	for (const [key, request] of requests) {
		// 2026 has no `elicitationId` (nor the notification that completed a URL elicitation by it).
		const {_meta: _, elicitationId: _id, ...parameters} = (request.params ?? {}) as Record<string, unknown>;
		inputRequests[key] = {method: request.method, params: parameters};
	}

	return {
		resultType: 'input_required', inputRequests, requestState, _meta: {[envelopeKeys.serverInfo]: serverInfo},
	};
}

/**
Whether a request carries the 2026 envelope (any version: the envelope makes it modern).
*/
export function isEnveloped(request: Request): boolean {
	return metaOf(request.params)[protocolVersionKey] !== undefined;
}
