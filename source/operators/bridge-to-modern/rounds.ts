/*
The bridge's input rounds (MRTR, mrtr.mdx, across the wire the way the SDK's legacy shim does it in a server): a modern server's `input_required` answer to `tools/call`, `prompts/get` or `resources/read` becomes one real 2025 request to the client per `inputRequests` entry; with every answer in, the request is sent upstream again under a new id with the original params, `inputResponses` (same keys, the bare results) and the `requestState` echoed byte for byte. A round with only `requestState` is retried after a pause. At most `maxInputRounds` rounds; a client error answer fails the request; the client's cancellation ends the round and the upstream request.
*/
import type {Message, RequestId, Response} from '../../types.js';
import {errorCodes} from '../../errors.js';
import {errorResponse, isErrorResponse} from '../../wire/message.js';
import {
	inputMethods, inputRequiredMethods, maxInputRounds, ownId, sendUpstream, withEnvelope,
	type BridgeEffect, type BridgeState, type Pending,
} from './state.js';

const none: readonly BridgeEffect[] = [];

/**
The modern upstream answered `pending`: a final answer goes to the client under its own id; `input_required` starts a round.
*/
export function modernAnswered(state: BridgeState, pending: Pending, message: Response): readonly BridgeEffect[] {
	state.byUpstream.delete(pending.upstreamId!);
	pending.upstreamId = undefined;
	const result = isErrorResponse(message) ? undefined : message.result;
	if (result?.['resultType'] !== 'input_required' || !inputRequiredMethods.has(pending.method)) {
		// Complete, or an error: the answer as it is (its `resultType`, `ttlMs`, `cacheScope` are fields a 2025 client ignores; copying the result to drop them would cost every answer).
		forget(state, pending);
		return [{type: 'to-client', message: {...message, id: pending.clientId}}];
	}

	pending.rounds++;
	if (pending.rounds > maxInputRounds) {
		return fail(state, pending, `The server still asked for input after ${maxInputRounds} rounds of \`${pending.method}\` (the bridge's fixed limit, as in the SDK)`);
	}

	const {requestState, inputRequests} = result as {requestState?: unknown; inputRequests?: unknown};
	pending.requestState = typeof requestState === 'string' ? requestState : undefined;
	pending.answers = {};
	const entries = inputRequests && typeof inputRequests === 'object' ? Object.entries(inputRequests as Record<string, unknown>) : [];
	if (entries.length === 0) {
		return [{type: 'pause', clientId: pending.clientId}];
	}

	const effects: BridgeEffect[] = [];
	for (const [key, entry] of entries) {
		const {method, params} = (entry ?? {}) as {method?: unknown; params?: unknown};
		if (typeof method !== 'string' || !inputMethods.has(method)) {
			const why = `The server asked for input \`${String(method)}\` (key ${JSON.stringify(key)}), which is not an elicitation, sampling or roots request`;
			return [...cancelInputs(state, pending), ...fail(state, pending, why)];
		}

		const id = ownId(state, 'input');
		state.inputs.set(id, {pending, key});
		pending.inputIds.push(id);
		pending.waiting++;
		effects.push({
			type: 'to-client', message: {
				jsonrpc: '2.0', id, method, ...(params && typeof params === 'object' ? {params: params as Record<string, unknown>} : {}),
			},
		});
	}

	return effects;
}

/**
The client answered an input request of the bridge's: with every answer of the round in, the request goes upstream again; an error fails it.
*/
export function inputAnswered(state: BridgeState, message: Response): readonly BridgeEffect[] {
	const input = state.inputs.get(message.id as string);
	if (!input) {
		return none;
	}

	state.inputs.delete(message.id as string);
	const {pending, key} = input;
	if (isErrorResponse(message)) {
		const {method} = pending;
		const why = `The client refused the input \`${method}\` needs (key ${JSON.stringify(key)}): ${message.error.message}`;
		return [...cancelInputs(state, pending), ...fail(state, pending, why, message.error.code)];
	}

	pending.answers[key] = message.result;
	pending.waiting--;
	return pending.waiting === 0 ? retry(state, pending) : none;
}

/**
The pause before a `requestState`-only retry is over.
*/
export function retryNow(state: BridgeState, clientId: RequestId): readonly BridgeEffect[] {
	const pending = state.byClient.get(clientId);
	return pending && pending.upstreamId === undefined && pending.waiting === 0 ? retry(state, pending) : none;
}

function retry(state: BridgeState, pending: Pending): readonly BridgeEffect[] {
	pending.inputIds = [];
	const parameters: Record<string, unknown> = {...pending.params};
	if (Object.keys(pending.answers).length > 0) {
		parameters['inputResponses'] = pending.answers;
	}

	if (pending.requestState !== undefined) {
		parameters['requestState'] = pending.requestState;
	}

	return [sendUpstream(state, pending, parameters)];
}

/**
End `pending` without an answer (the client cancelled it, or left): its upstream request is cancelled, its input requests to the client too.
*/
export function cancelPending(state: BridgeState, pending: Pending, reason: string): readonly BridgeEffect[] {
	const effects: BridgeEffect[] = [...cancelInputs(state, pending)];
	if (pending.upstreamId !== undefined) {
		state.byUpstream.delete(pending.upstreamId);
		effects.push({type: 'to-modern', message: {jsonrpc: '2.0', method: 'notifications/cancelled', params: withEnvelope(state, {requestId: pending.upstreamId, reason})}});
		pending.upstreamId = undefined;
	}

	forget(state, pending);
	return effects;
}

function cancelInputs(state: BridgeState, pending: Pending): BridgeEffect[] {
	const effects: BridgeEffect[] = [];
	for (const id of pending.inputIds) {
		if (state.inputs.delete(id)) {
			effects.push({type: 'to-client', message: {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: id, reason: `\`${pending.method}\` no longer needs this input`}}});
		}
	}

	pending.inputIds = [];
	pending.waiting = 0;
	return effects;
}

/**
Answer `pending` with a failure: an `isError` result for `tools/call` (a tool's failure, as the SDK's shim answers), a JSON-RPC error otherwise.
*/
function fail(state: BridgeState, pending: Pending, text: string, code: number = errorCodes.internalError): readonly BridgeEffect[] {
	forget(state, pending);
	const message: Message = pending.method === 'tools/call'
		? {jsonrpc: '2.0', id: pending.clientId, result: {content: [{type: 'text', text}], isError: true}}
		: errorResponse(pending.clientId, code, text);
	return [{type: 'to-client', message}];
}

function forget(state: BridgeState, pending: Pending): void {
	state.byClient.delete(pending.clientId);
}
