/*
The upstream's handshake: the first exchange of every attempt, before any client request is forwarded. Today it is the 2025 one (`initialize`, then `notifications/initialized`); it is its own piece so that another kind can take its place (a `server/discover` probe first, a modern upstream that needs no handshake) without touching the rest of the lifecycle: a kind, the request that starts it, what an answer leads to.
*/
import type {Message, Request, Response} from '../../types.js';
import {isErrorResponse} from '../../wire/message.js';
import {proxyCapabilities, proxyClientInfo} from '../protocol-versions.js';

/**
The handshake in progress: its kind, and the id of the proxy's request whose answer it waits for.
*/
export type Handshake = {
	kind: 'initialize';
	requestId: string;
};

/**
What an answer to the handshake's request leads to: the upstream runs (its result, and what to send it to finish), or the attempt failed.
*/
export type HandshakeOutcome
	= | {type: 'ready'; result: Record<string, unknown>; send: Message[]}
		| {type: 'refused'; reason: string};

/**
Start a handshake whose request has id `requestId`: the state to wait in, and the request to send. The proxy declares every client capability, so the upstream may use any; each server→client request is then checked against the capabilities of the client it goes to.
*/
export function beginHandshake(requestId: string): {handshake: Handshake; request: Request} {
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
export function answerHandshake(_handshake: Handshake, response: Response): HandshakeOutcome {
	if (isErrorResponse(response)) {
		return {type: 'refused', reason: `it refused \`initialize\`: ${response.error.message}`};
	}

	return {type: 'ready', result: response.result, send: [{jsonrpc: '2.0', method: 'notifications/initialized'}]};
}

/**
Why the attempt failed when the upstream did not answer the handshake within `timeout` ms.
*/
export function handshakeTimedOut(_handshake: Handshake, timeout: number): string {
	return `it did not answer \`initialize\` within ${timeout} ms`;
}
