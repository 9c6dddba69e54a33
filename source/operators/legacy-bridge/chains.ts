/*
One chain of the bridge: a 2025 session on a multiplexer standing for one request of a 2026-07-28 client (and its retries), or for one `subscriptions/listen`. What the session says is turned here into what that client gets: the final result with the 2026 fields, `input_required` when the server asks something of the client, progress and logs while a request is in flight, a listen's notifications stamped with its id.
*/
import type {Subscription} from 'rxjs';
import type {Channel} from '../../channel.js';
import type {
	Message, Notification, Request, RequestId,
} from '../../types.js';
import {
	errorResponse, isErrorResponse, isNotification, isRequest,
} from '../../wire/message.js';
import {
	discoverResult, envelopeKeys, inputRequiredResult, interruptible, modernError, modernResult,
} from './shape.js';

/**
Where a chain's answers go: the client connection (one per POST in server mode, the one stdio client in client mode) and the requests of it that are in flight.
*/
export type Downstream = {
	open: Map<RequestId, Chain>;
	deliver(message: Message): void;
};

export type Chain = {
	number: number;
	kind: 'call' | 'discover' | 'listen';
	method: string;
	digest: string;
	input: Channel<Message>;
	subscription?: Subscription;
	/**
	The client request being served now, if any (none while the chain waits for the client's retry).
	*/
	downstream?: Downstream;
	requestId?: RequestId;
	progressToken?: string | number;
	logs: boolean;
	/**
	Each `input_required` starts a new round; only the state of the current one is honoured.
	*/
	round: number;
	/**
	The server's requests the client has yet to answer, by the key the client sees.
	*/
	pending: Map<string, Request>;
	nextKey: number;
	timer?: ReturnType<typeof setTimeout>;
	listen?: {notifications: Record<string, unknown>; subscribing: number};
};

/**
What a chain needs from its bridge: the server identity to stamp, a sealed state for a round, and ending a chain.
*/
export type ChainContext = {
	initResult: Record<string, unknown> | undefined;
	seal(chain: Chain): string;
	finish(chain: Chain): void;
	wait(chain: Chain): void;
};

const inputKinds = new Map<string, string>([
	['elicitation/create', 'elicitation'],
	['sampling/createMessage', 'sampling'],
	['roots/list', 'roots'],
]);

/**
The answer to the client's request: it leaves the chain (which then waits for nothing of it).
*/
export function answer(chain: Chain, message: Message): void {
	const {downstream, requestId} = chain;
	if (downstream && requestId !== undefined) {
		downstream.open.delete(requestId);
		chain.downstream = undefined;
		chain.requestId = undefined;
		downstream.deliver(message);
	}
}

/**
A message from the chain's 2025 session.
*/
export function sessionMessage(context: ChainContext, chain: Chain, message: Message): void {
	if (isRequest(message)) {
		serverRequest(context, chain, message);
	} else if (isNotification(message)) {
		sessionNotification(chain, message);
	} else if (message.id === 'init') {
		initialized(context, chain, message);
	} else if (message.id === 'call') {
		const serverInfo = context.initResult?.['serverInfo'];
		answer(chain, isErrorResponse(message) ? modernError(message, chain.requestId!) : {jsonrpc: '2.0', id: chain.requestId!, result: modernResult(chain.method, message.result, serverInfo)});
		context.finish(chain);
	} else if (typeof message.id === 'string' && message.id.startsWith('subscribe:') && chain.listen) {
		chain.listen.subscribing--;
		acknowledgeIfReady(chain);
	}
}

function initialized(context: ChainContext, chain: Chain, message: Message): void {
	if (isErrorResponse(message)) {
		answer(chain, modernError(message, chain.requestId!));
		context.finish(chain);
		return;
	}

	const {result} = message as {result: Record<string, unknown>};
	context.initResult = result;
	if (chain.kind === 'discover') {
		answer(chain, {jsonrpc: '2.0', id: chain.requestId!, result: discoverResult(result)});
		context.finish(chain);
	} else if (chain.kind === 'listen') {
		startListening(chain, result);
	}
}

/**
The server asked the client something: during a call that may end in `input_required`, it goes to the client that way; any other is refused to the server.
*/
function serverRequest(context: ChainContext, chain: Chain, request: Request): void {
	const kind = inputKinds.get(request.method);
	if (kind === undefined || !interruptible.has(chain.method)) {
		const why = 'the 2026 revision lets a server ask the client only during tools/call, prompts/get or resources/read, and only for elicitation, sampling or roots';
		chain.input.next(errorResponse(request.id, -32_601, `The proxy cannot pass \`${request.method}\` on to its 2026-07-28 client: ${why}`));
		return;
	}

	chain.pending.set(`${kind}-${chain.nextKey++}`, request);
	if (chain.downstream) {
		askForInput(context, chain);
	}
}

/**
End the client's request with `input_required` for every pending server request; the chain then waits for the retry.
*/
export function askForInput(context: ChainContext, chain: Chain): void {
	chain.round++;
	const state = context.seal(chain);
	answer(chain, {jsonrpc: '2.0', id: chain.requestId!, result: inputRequiredResult(chain.pending, state, context.initResult?.['serverInfo'])});
	context.wait(chain);
}

function sessionNotification(chain: Chain, notification: Notification): void {
	const parameters = (notification.params ?? {}) as Record<string, unknown>;
	switch (notification.method) {
		case 'notifications/progress': {
			if (chain.downstream && chain.progressToken !== undefined) {
				chain.downstream.deliver({...notification, params: {...parameters, progressToken: chain.progressToken}});
			}

			return;
		}

		case 'notifications/message': {
			if (chain.downstream && chain.logs && chain.kind !== 'listen') {
				chain.downstream.deliver(notification);
			}

			return;
		}

		case 'notifications/cancelled': {
			// The server stopped waiting for one of its requests: the client is not asked it again.
			for (const [key, request] of chain.pending) {
				if (request.id === parameters['requestId']) {
					chain.pending.delete(key);
				}
			}

			return;
		}

		default: {
			listenNotification(chain, notification, parameters);
		}
	}
}

const listChanged = new Map<string, [flag: string, capability: string]>([
	['notifications/tools/list_changed', ['toolsListChanged', 'tools']],
	['notifications/prompts/list_changed', ['promptsListChanged', 'prompts']],
	['notifications/resources/list_changed', ['resourcesListChanged', 'resources']],
]);

/**
The filter of a `subscriptions/listen` that the server can honour (as the SDK's server narrows it: list changes only where the capability says `listChanged`, resource subscriptions only with `resources.subscribe`); the server is asked to subscribe to each resource.
*/
function startListening(chain: Chain, initResult: Record<string, unknown>): void {
	const capabilities = (initResult['capabilities'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
	const asked = chain.listen!.notifications;
	const honoured: Record<string, unknown> = {};
	for (const [flag, capability] of listChanged.values()) {
		if (asked[flag] === true && capabilities[capability]?.['listChanged'] === true) {
			honoured[flag] = true;
		}
	}

	const uris = Array.isArray(asked['resourceSubscriptions']) ? asked['resourceSubscriptions'].filter(uri => typeof uri === 'string') : [];
	if (uris.length > 0 && capabilities['resources']?.['subscribe'] === true) {
		honoured['resourceSubscriptions'] = uris;
		for (const [index, uri] of uris.entries()) {
			chain.listen!.subscribing++;
			chain.input.next({
				jsonrpc: '2.0', id: `subscribe:${index}`, method: 'resources/subscribe', params: {uri},
			});
		}
	}

	chain.listen!.notifications = honoured;
	acknowledgeIfReady(chain);
}

/**
Once the server has taken every resource subscription, the client is told what its listen will get.
*/
function acknowledgeIfReady(chain: Chain): void {
	if (chain.listen!.subscribing > 0 || !chain.downstream) {
		return;
	}

	chain.downstream.deliver({
		jsonrpc: '2.0',
		method: 'notifications/subscriptions/acknowledged',
		params: {notifications: chain.listen!.notifications, _meta: {[envelopeKeys.subscriptionId]: chain.requestId}},
	});
}

function listenNotification(chain: Chain, notification: Notification, parameters: Record<string, unknown>): void {
	if (!chain.listen || !chain.downstream) {
		return;
	}

	const {notifications} = chain.listen;
	const flag = listChanged.get(notification.method)?.[0];
	const wanted = flag === undefined
		? notification.method === 'notifications/resources/updated' && Array.isArray(notifications['resourceSubscriptions']) && notifications['resourceSubscriptions'].includes(parameters['uri'])
		: notifications[flag] === true;
	if (wanted) {
		const meta = {...(parameters['_meta'] as Record<string, unknown> | undefined), [envelopeKeys.subscriptionId]: chain.requestId};
		chain.downstream.deliver({...notification, params: {...parameters, _meta: meta}});
	}
}
