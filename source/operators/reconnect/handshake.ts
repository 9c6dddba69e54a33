/*
What a new session must be told again, and how: the replaceable piece of reconnection. Plain data and pure functions, changed in place.

Today there is one kind, `initialize` (protocol revisions up to 2025-11-25): the client's `initialize` is replayed with an id of the proxy's own (its answer swallowed), then `notifications/initialized`, the log level and the resource subscriptions; the client hears `list_changed` so it refreshes its lists.

A modern upstream (2026-07-28, issue 18) has no session: a kind for it would replay nothing (`replayedOpening` gives `undefined`: a new connection opens at once, so reconnecting is only retrying the transport), and what it must repeat on a new connection (its `subscriptions/listen` requests) would come from `restore`, called when such a connection opens. Add the kind to `Handshake` and a case to each function here; the machine in `step.ts` only gains that call.
*/
import type {
	Message, Notification, Request, RequestId, Response,
} from '../../types.js';
import {isNotification, isRequest} from '../../wire/message.js';

export type InitializeHandshake = {
	kind: 'initialize';
	/**
	The client's last `initialize`.
	*/
	initializeRequest: Request | undefined;
	/**
	Its id, until the remote answers it.
	*/
	clientInitializeId: RequestId | undefined;
	/**
	The remote accepted the client's `initialize`: a new session must replay it.
	*/
	initialized: boolean;
	initializedNotification: Notification | undefined;
	/**
	Resource URIs the client subscribed to.
	*/
	subscriptions: Set<string>;
	/**
	The client's last `logging/setLevel`.
	*/
	logLevel: Request | undefined;
};

export type Handshake = InitializeHandshake;

export function createHandshake(): Handshake {
	return {
		kind: 'initialize',
		initializeRequest: undefined,
		clientInitializeId: undefined,
		initialized: false,
		initializedNotification: undefined,
		subscriptions: new Set(),
		logLevel: undefined,
	};
}

/**
Remember what a message of the client's tells a future session (on the hot path: one check per message).
*/
export function rememberClientMessage(handshake: Handshake, message: Message): void {
	if (isRequest(message)) {
		switch (message.method) {
			case 'initialize': {
				handshake.initializeRequest = message;
				handshake.clientInitializeId = message.id;
				handshake.initialized = false;
				break;
			}

			case 'resources/subscribe':
			case 'resources/unsubscribe': {
				const uri = (message.params as {uri?: unknown} | undefined)?.uri;
				if (typeof uri === 'string') {
					if (message.method === 'resources/subscribe') {
						handshake.subscriptions.add(uri);
					} else {
						handshake.subscriptions.delete(uri);
					}
				}

				break;
			}

			case 'logging/setLevel': {
				handshake.logLevel = message;
				break;
			}

			default: {
				break;
			}
		}
	} else if (isNotification(message) && message.method === 'notifications/initialized') {
		handshake.initializedNotification = message;
	}
}

/**
Remember the remote's answer to a request of the client's (`id` is not null).
*/
export function rememberAnswer(handshake: Handshake, id: RequestId, message: Response): void {
	if (id === handshake.clientInitializeId) {
		handshake.clientInitializeId = undefined;
		handshake.initialized = 'result' in message;
	}
}

/**
The request that opens a new session, as the client sent it (the step sends it with an id of its own); `undefined` when a new connection needs no handshake (nothing to replay yet, or none at all), so it opens at once.
*/
export function replayedOpening(handshake: Handshake): Request | undefined {
	return handshake.initialized ? handshake.initializeRequest : undefined;
}

export type Restoration = {
	/**
	Notifications for the remote, first.
	*/
	notifications: Message[];
	/**
	Requests for the remote on the client's behalf (the step gives them ids of its own and swallows their answers).
	*/
	requests: Array<{method: string; params: Record<string, unknown> | undefined}>;
	/**
	Notifications for the client.
	*/
	toClient: Message[];
};

const listKinds = ['tools', 'prompts', 'resources'] as const;

/**
What follows a successful replay, given the remote's answer to it.
*/
export function restore(handshake: Handshake, result: Record<string, unknown>): Restoration {
	const restoration: Restoration = {notifications: [], requests: [], toClient: []};
	if (handshake.initializedNotification) {
		restoration.notifications.push(handshake.initializedNotification);
	}

	if (handshake.logLevel) {
		restoration.requests.push({method: 'logging/setLevel', params: handshake.logLevel.params});
	}

	for (const uri of handshake.subscriptions) {
		restoration.requests.push({method: 'resources/subscribe', params: {uri}});
	}

	// The lists may have changed while we were away.
	const capabilities = (result['capabilities'] ?? {}) as Record<string, {listChanged?: unknown} | undefined>;
	for (const kind of listKinds) {
		if (capabilities[kind]?.listChanged === true) {
			restoration.toClient.push({jsonrpc: '2.0', method: `notifications/${kind}/list_changed`});
		}
	}

	return restoration;
}
