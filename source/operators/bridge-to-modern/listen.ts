/*
The bridged session's notifications from the modern upstream (subscriptions.mdx): one `subscriptions/listen` at a time with the union filter (the list-changed notifications the server advertises, and the resources the client subscribed to), opened again when the set of resources changes. Its notifications reach the client as unsolicited 2025 notifications (the subscription id taken out of `_meta`); its acknowledgement does not. `resources/subscribe` is answered once the listen that carries the resource is acknowledged, so an update right after it is not missed; the old listen ends only then too.
*/
import type {Message, Request} from '../../types.js';
import {errorCodes} from '../../errors.js';
import {errorResponse, isErrorResponse, isResponse} from '../../wire/message.js';
import {
	maxListenRestarts, maxResourceSubscriptions, ownId, subscriptionIdKey, withEnvelope,
	type BridgeEffect, type BridgeState,
} from './state.js';

const none: readonly BridgeEffect[] = [];

/**
Open a listen with the current filter, if there is anything to listen for.
*/
export function openListen(state: BridgeState, effects: BridgeEffect[]): void {
	const resourceSubscriptions = [...state.subscribed];
	if (Object.keys(state.listenFlags).length === 0 && resourceSubscriptions.length === 0) {
		return;
	}

	const id = ownId(state, 'listen');
	state.listens.set(id, {id, acked: false});
	const notifications = resourceSubscriptions.length > 0 ? {...state.listenFlags, resourceSubscriptions} : state.listenFlags;
	effects.push({
		type: 'to-modern', message: {
			jsonrpc: '2.0', id, method: 'subscriptions/listen', params: withEnvelope(state, {notifications}),
		},
	});
}

/**
`resources/subscribe` or `resources/unsubscribe` from the client.
*/
export function changeSubscription(state: BridgeState, request: Request): readonly BridgeEffect[] {
	const uri = (request.params as {uri?: unknown} | undefined)?.uri;
	if (typeof uri !== 'string') {
		return [{type: 'to-client', message: errorResponse(request.id, errorCodes.invalidParams, `\`${request.method}\` needs a \`uri\``)}];
	}

	if (!state.canSubscribe) {
		const why = 'The server does not support resource subscriptions (its capabilities have no `resources.subscribe`)';
		return [{type: 'to-client', message: errorResponse(request.id, errorCodes.methodNotFound, why)}];
	}

	const subscribe = request.method === 'resources/subscribe';
	if (subscribe === state.subscribed.has(uri)) {
		return [{type: 'to-client', message: {jsonrpc: '2.0', id: request.id, result: {}}}];
	}

	if (subscribe && state.subscribed.size >= maxResourceSubscriptions) {
		const why = `A bridged session may subscribe to at most ${maxResourceSubscriptions} resources at once (a fixed limit); unsubscribe from one first`;
		return [{type: 'to-client', message: errorResponse(request.id, errorCodes.internalError, why)}];
	}

	if (subscribe) {
		state.subscribed.add(uri);
	} else {
		state.subscribed.delete(uri);
	}

	const effects: BridgeEffect[] = [];
	openListen(state, effects);
	const newest = [...state.listens.keys()].at(-1);
	if (subscribe && newest !== undefined) {
		state.subscribesWaiting.push({id: request.id, listen: newest});
	} else {
		effects.push({type: 'to-client', message: {jsonrpc: '2.0', id: request.id, result: {}}});
		if (newest === undefined) {
			// Nothing is left to listen for.
			endListens(state, effects);
		}
	}

	return effects;
}

/**
Whether a message of the modern upstream belongs to a listen: a notification carrying a subscription id, or the answer that ends one.
*/
export function isListenMessage(message: Message): boolean {
	if (isResponse(message)) {
		return isListenId(message.id);
	}

	if ((message as {method?: unknown}).method === 'notifications/cancelled') {
		return isListenId((message as {params?: {requestId?: unknown}}).params?.requestId);
	}

	const meta = (message as {params?: {_meta?: Record<string, unknown>}}).params?._meta;
	return meta !== undefined && meta !== null && typeof meta === 'object' && subscriptionIdKey in meta;
}

export function fromListen(state: BridgeState, message: Message): readonly BridgeEffect[] {
	if (isResponse(message)) {
		return listenEnded(state, message.id as string, isErrorResponse(message) ? message.error.message : 'the server ended the subscription before acknowledging it');
	}

	if ((message as {method?: unknown}).method === 'notifications/cancelled') {
		return listenEnded(state, (message as {params?: {requestId?: unknown}}).params?.requestId as string, 'the server ended the subscription before acknowledging it');
	}

	const {method, params} = message as {method: string; params: {_meta: Record<string, unknown>}};
	const id = params._meta[subscriptionIdKey];
	const listen = typeof id === 'string' ? state.listens.get(id) : undefined;
	if (!listen) {
		return none;
	}

	if (method === 'notifications/subscriptions/acknowledged') {
		return acknowledged(state, listen.id);
	}

	if (state.live !== listen.id) {
		// An older listen, until the newest is acknowledged, or the newest before its acknowledgement: one of them only, never both.
		return none;
	}

	const {[subscriptionIdKey]: _, ...meta} = params._meta;
	const {_meta: _old, ...rest} = params;
	return [{type: 'to-client', message: {jsonrpc: '2.0', method, params: Object.keys(meta).length > 0 ? {...rest, _meta: meta} : rest}}];
}

const isListenId = (id: unknown) => typeof id === 'string' && id.startsWith('bridge-listen-');

/**
A listen ended without being asked to (its answer, or the server's cancellation): the \`resources/subscribe\` requests that waited for it fail; when it was the newest, it is opened again after a pause, a bounded number of times in a row.
*/
function listenEnded(state: BridgeState, id: string, failure: string): readonly BridgeEffect[] {
	const newest = [...state.listens.keys()].at(-1) === id;
	if (!state.listens.delete(id)) {
		return none;
	}

	if (state.live === id) {
		state.live = undefined;
	}

	const effects = answerSubscribes(state, id, failure);
	if (newest && state.phase === 'bridged' && state.listenRestarts < maxListenRestarts) {
		state.listenRestarts++;
		effects.push({type: 'relisten-later'});
	}

	return effects;
}

/**
The pause after a listen ended unasked is over: open it again, unless another one was opened meanwhile.
*/
export function relisten(state: BridgeState): readonly BridgeEffect[] {
	const effects: BridgeEffect[] = [];
	if (state.phase === 'bridged' && state.listens.size === 0) {
		openListen(state, effects);
	}

	return effects;
}

function acknowledged(state: BridgeState, id: string): readonly BridgeEffect[] {
	state.listens.get(id)!.acked = true;
	state.listenRestarts = 0;
	const newest = [...state.listens.keys()].at(-1);
	if (newest !== id) {
		return none;
	}

	state.live = id;
	const effects: BridgeEffect[] = [];
	for (const old of state.listens.keys()) {
		if (old !== id) {
			endListen(state, old, effects);
		}
	}

	effects.push(...answerSubscribes(state, id, undefined));
	return effects;
}

/**
Answer the `resources/subscribe` requests that waited for listen `id`: `{}`, or the error when it failed.
*/
function answerSubscribes(state: BridgeState, id: string, failure: string | undefined): BridgeEffect[] {
	const effects: BridgeEffect[] = [];
	state.subscribesWaiting = state.subscribesWaiting.filter(waiting => {
		if (waiting.listen !== id) {
			return true;
		}

		effects.push({
			type: 'to-client',
			message: failure === undefined
				? {jsonrpc: '2.0', id: waiting.id, result: {}}
				: errorResponse(waiting.id, errorCodes.internalError, `The server did not take the subscription: ${failure}`),
		});
		return false;
	});
	return effects;
}

function endListen(state: BridgeState, id: string, effects: BridgeEffect[]): void {
	state.listens.delete(id);
	effects.push({type: 'to-modern', message: {jsonrpc: '2.0', method: 'notifications/cancelled', params: withEnvelope(state, {requestId: id, reason: 'The subscription changed'})}});
}

/**
End every listen (the client left, or nothing is left to listen for).
*/
export function endListens(state: BridgeState, effects: BridgeEffect[]): void {
	for (const id of state.listens.keys()) {
		endListen(state, id, effects);
	}

	state.live = undefined;
	for (const waiting of state.subscribesWaiting.splice(0)) {
		effects.push({type: 'to-client', message: {jsonrpc: '2.0', id: waiting.id, result: {}}});
	}
}
