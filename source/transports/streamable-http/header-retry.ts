/*
The Streamable HTTP client's answer to a modern server refusing a `tools/call` for its headers (-32020, a header mismatch): the `Mcp-Param-*` came from `x-mcp-header` declarations that may be stale, so, as the spec advises and the SDK client does, the tools are listed once more (a `tools/list` of the transport's own, its answer never delivered) and the call is sent once more with the declarations it brought. One refresh and one retry per call, never more: the second answer is the call's, whatever it is. Pure functions on the session's state; session-state.ts calls them.
*/
import type {Message, Request, RequestId} from '../../types.js';
import {isErrorResponse} from '../../wire/message.js';
import {
	clientCapabilitiesKey, clientInfoKey, headerMismatchCode, protocolVersionKey,
} from '../../wire/modern.js';

export type HeaderRetryState = {
	/**
	The modern `tools/call` requests in flight that were not retried yet, kept (by reference) to be sent once more.
	*/
	readonly retryableCalls: Map<RequestId, Request>;
	/**
	The transport's own `tools/list` requests under way, by id, with the call each one refreshes the declarations for.
	*/
	readonly refreshes: Map<string, Request>;
	/**
	How many refreshes were started: the next one's id.
	*/
	refreshCount: number;
};

/**
The envelope keys a refresh takes from the call: who the client is and what it can do, at the call's version (not its progress token or log level).
*/
const envelopeKeys = [protocolVersionKey, clientCapabilitiesKey, clientInfoKey];

/**
A modern request is sent: a first `tools/call` is kept, for one retry.
*/
export function keepForRetry(state: HeaderRetryState, request: Request): void {
	if (request.method === 'tools/call') {
		state.retryableCalls.set(request.id, request);
	}
}

/**
A modern request is answered or cancelled: it is not retried (any more).
*/
export function forgetRetry(state: HeaderRetryState, id: RequestId): void {
	if (state.retryableCalls.size > 0) {
		state.retryableCalls.delete(id);
	}
}

/**
The answer to a call the server refused for its headers, the first time: the `tools/list` request to send instead of delivering it (the call stays in flight). `undefined`: deliver the answer.
*/
export function refreshFor(state: HeaderRetryState, answer: Message & {id: RequestId}): Request | undefined {
	const call = state.retryableCalls.get(answer.id);
	if (call === undefined) {
		return undefined;
	}

	state.retryableCalls.delete(answer.id);
	if (!isErrorResponse(answer) || answer.error.code !== headerMismatchCode) {
		return undefined;
	}

	const meta = call.params?._meta ?? {};
	const envelope = Object.fromEntries(envelopeKeys.filter(key => meta[key] !== undefined).map(key => [key, meta[key]]));
	const id = `rx-mcp-proxy/tools-refresh/${++state.refreshCount}`;
	state.refreshes.set(id, call);
	return {
		jsonrpc: '2.0', id, method: 'tools/list', params: {_meta: envelope},
	};
}

/**
The call a `tools/list` answer of the transport's own refreshed the declarations for, if `answer` is one (it is then not delivered).
*/
export function refreshed(state: HeaderRetryState, answer: Message & {id: RequestId}): Request | undefined {
	if (state.refreshes.size === 0 || typeof answer.id !== 'string') {
		return undefined;
	}

	const call = state.refreshes.get(answer.id);
	state.refreshes.delete(answer.id);
	return call;
}
