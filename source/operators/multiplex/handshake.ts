/*
The upstream's handshake: the first exchange of every attempt, before any client request is forwarded. For 2025 sessions it is `initialize`, then `notifications/initialized`; for modern (2026-07-28) requests, the `server/discover` probe, after which nothing is sent but the clients' enveloped requests. A kind, the request that starts it, what an answer leads to: the upstream runs, it failed, or it speaks the other era (a verdict, not a failure: no restart).
*/
import {errorCodes} from '../../errors.js';
import type {Message, Request, Response} from '../../types.js';
import {isErrorResponse} from '../../wire/message.js';
import {
	clientCapabilitiesKey, clientInfoKey, modernOnly, modernProtocolVersions, protocolVersionKey,
} from '../../wire/modern.js';
import {knownProtocolVersions, proxyCapabilities, proxyClientInfo} from '../protocol-versions.js';

/**
The handshake in progress: its kind, and the id of the proxy's request whose answer it waits for.
*/
export type Handshake = {
	kind: 'initialize' | 'discover';
	requestId: string;
};

/**
The 2025-era protocol versions the proxy serves, newest first (what a 2025-only upstream's modern clients are told it speaks).
*/
export const sessionProtocolVersions: readonly string[] = knownProtocolVersions.toReversed();

/**
The `_meta` envelope of the proxy's own modern requests (the probe, and its cancellations).
*/
export const proxyEnvelope = Object.freeze({
	[protocolVersionKey]: modernProtocolVersions[0],
	[clientCapabilitiesKey]: {},
	[clientInfoKey]: {name: proxyClientInfo.name, version: proxyClientInfo.version},
});

/**
What an answer to the handshake's request leads to: the upstream runs (its result, and what to send it to finish), or the attempt failed.
*/
export type HandshakeOutcome
	= | {type: 'ready'; result: Record<string, unknown>; send: Message[]}
		| {type: 'refused'; reason: string}
		/**
		It speaks the other era only: its clients of this era get -32022 with the versions in `supported`.
		*/
		| {type: 'other-era'; reason: string; supported: readonly string[]};

/**
Start a handshake whose request has id `requestId`: the state to wait in, and the request to send. The proxy declares every client capability, so the upstream may use any; each server→client request is then checked against the capabilities of the client it goes to.
*/
export function beginHandshake(requestId: string, era: '2025' | 'modern' = '2025'): {handshake: Handshake; request: Request} {
	if (era === 'modern') {
		return {
			handshake: {kind: 'discover', requestId},
			request: {
				jsonrpc: '2.0', id: requestId, method: 'server/discover', params: {_meta: proxyEnvelope},
			},
		};
	}

	return {
		handshake: {kind: 'initialize', requestId},
		request: {
			jsonrpc: '2.0',
			id: requestId,
			method: 'initialize',
			params: {protocolVersion: proxyClientInfo.protocolVersion, capabilities: proxyCapabilities, clientInfo: {name: proxyClientInfo.name, version: proxyClientInfo.version}},
		},
	};
}

/**
The upstream answered the handshake's request.
*/
export function answerHandshake(handshake: Handshake, response: Response): HandshakeOutcome {
	if (handshake.kind === 'discover') {
		return answerDiscover(response);
	}

	if (isErrorResponse(response)) {
		const supported = modernOnly(response.error);
		return supported
			? {type: 'other-era', reason: `speaks protocol ${supported.join(', ')} only (it refused \`initialize\`: ${response.error.message})`, supported}
			: {type: 'refused', reason: `it refused \`initialize\`: ${response.error.message}`};
	}

	return {type: 'ready', result: response.result, send: [{jsonrpc: '2.0', method: 'notifications/initialized'}]};
}

/**
The verdict of the probe (the SDK client's table, for a child): a result naming a version the proxy serves is modern; any error, or a result without one, is a 2025-only server. But a remote's gateway that could not reach it (HTTP 502, 503 or 504: -32002, made up by the proxy's HTTP client) says nothing of its era: the attempt failed, and is tried again.
*/
function answerDiscover(response: Response): HandshakeOutcome {
	if (isErrorResponse(response) && response.error.code === errorCodes.upstreamUnavailable) {
		return {type: 'refused', reason: `it could not be reached to answer \`server/discover\`: ${response.error.message}`};
	}

	if (!isErrorResponse(response)) {
		const versions = response.result['supportedVersions'];
		if (Array.isArray(versions) && versions.some(version => modernProtocolVersions.includes(version as string))) {
			return {type: 'ready', result: response.result, send: []};
		}
	}

	const why = isErrorResponse(response) ? `it answered \`server/discover\` with an error: ${response.error.message}` : 'its `server/discover` result names no version the proxy serves';
	return {type: 'other-era', reason: `speaks the 2025 revisions only (${why})`, supported: sessionProtocolVersions};
}

/**
Why the attempt failed when the upstream did not answer the handshake within `timeout` ms.
*/
export function handshakeTimedOut(handshake: Handshake, timeout: number): string {
	return `it did not answer \`${handshake.kind === 'discover' ? 'server/discover' : 'initialize'}\` within ${timeout} ms`;
}
