/*
The bridge from a client of the 2026-07-28 revision to a server that speaks only 2025: each modern request (with its retries) becomes a chain, a 2025 session on a multiplexer whose `initialize` (answered by the multiplexer from the server's, so no round trip) declares that request's capabilities and client identity. `server/discover` is answered from the server's `initialize` result; the server's own requests during a call end the client's request with `input_required` and a sealed `requestState`, and are answered from the retry's `inputResponses`; `subscriptions/listen` is a session that subscribes and forwards. A chain the client does not come back to is ended (its call cancelled upstream) after `chainTimeout`, and at most `maxWaitingChains` wait at once.
*/
import {Observable, type Subscriber} from 'rxjs';
import {Channel} from '../../channel.js';
import {defaultLogger, type Logger} from '../../logger.js';
import type {
	Message, Request, RequestId, Transport,
} from '../../types.js';
import {
	errorResponse, isNotification, isRequest, progressTokenOf,
} from '../../wire/message.js';
import {sessionProtocolVersions} from '../multiplex/handshake.js';
import {
	answer, askForInput, sessionMessage, type Chain, type ChainContext, type Downstream,
} from './chains.js';
import {createSealer, parametersDigest, type Sealer} from './request-state.js';
import {
	envelopeKeys, initializeParameters, interruptible, legacyRequest, logLevelOf, removedMethods,
} from './shape.js';

export type LegacyBridgeOptions = {
	/**
	A new 2025 session on the multiplexer in front of the server: `multiplexer.session`.
	*/
	session: (id: string) => Transport;
	/**
	How long a chain waits for the client's retry after `input_required` before its call is cancelled upstream (the SDK's `requestState` lifetime).

	@default 600000
	*/
	chainTimeout?: number;
	/**
	How many chains may wait for a retry at once; past it the one waiting longest is ended.

	@default 1000
	*/
	maxWaitingChains?: number;
	/**
	Seals `requestState`; by default with a random key of this process.
	*/
	sealer?: Sealer;
	logger?: Logger;
	now?: () => number;
};

export type LegacyBridge = {
	/**
	The transport for a connection of modern clients: any number of requests, each answered once.
	*/
	transport: Transport;
	/**
	End every chain (their calls cancelled upstream).
	*/
	close(): void;
};

const invalidState = 'Invalid or expired requestState';

/**
The bridge's state: its settings, the live chains by number, and those waiting for a retry (insertion order is waiting order: the first waits longest).
*/
type Hub = Required<Omit<LegacyBridgeOptions, 'sealer'>> & {
	sealer: Sealer;
	chains: Map<number, Chain>;
	waiting: Set<Chain>;
	nextChain: number;
	context: ChainContext;
};

/**
Bridge modern clients to a 2025-only server behind a multiplexer.
*/
export function legacyBridge(options: LegacyBridgeOptions): LegacyBridge {
	const {maxWaitingChains = 1000} = options;
	if (!Number.isInteger(maxWaitingChains) || maxWaitingChains < 1) {
		throw new TypeError(`Expected \`maxWaitingChains\` to be an integer ≥ 1, got \`${maxWaitingChains}\``);
	}

	const hub: Hub = {
		session: options.session,
		chainTimeout: options.chainTimeout ?? 600_000,
		maxWaitingChains,
		sealer: options.sealer ?? createSealer(),
		logger: options.logger ?? defaultLogger,
		now: options.now ?? Date.now,
		chains: new Map(),
		waiting: new Set(),
		nextChain: 1,
		context: undefined as unknown as ChainContext,
	};
	hub.context = {
		initResult: undefined,
		seal: chain => hub.sealer.seal({
			chain: chain.number, round: chain.round, method: chain.method, digest: chain.digest, expires: hub.now() + hub.chainTimeout,
		}),
		finish(chain) {
			finish(hub, chain);
		},
		wait(chain) {
			wait(hub, chain);
		},
	};

	const transport: Transport = outgoing$ => new Observable<Message>(subscriber => {
		const downstream = connection(subscriber);
		const input = outgoing$.subscribe({
			next(message) {
				if (isRequest(message)) {
					request(hub, message, downstream);
				} else if (isNotification(message) && message.method === 'notifications/cancelled') {
					const chain = downstream.open.get(message.params?.['requestId'] as RequestId);
					if (chain) {
						finish(hub, chain);
					}
				}
			},
			error(error: unknown) {
				closeConnection(hub, downstream);
				subscriber.error(error);
			},
			complete() {
				closeConnection(hub, downstream);
				subscriber.complete();
			},
		});
		return () => {
			input.unsubscribe();
			closeConnection(hub, downstream);
		};
	});

	return {
		transport,
		close() {
			for (const chain of hub.chains.values()) {
				answer(chain, lastAnswer(chain, 'The proxy is shutting down'));
				finish(hub, chain);
			}
		},
	};
}

function request(hub: Hub, message: Request, downstream: Downstream): void {
	if (removedMethods.has(message.method)) {
		downstream.deliver(errorResponse(message.id, -32_601, `Method not found: \`${message.method}\` is not part of protocol 2026-07-28`));
		return;
	}

	const state = message.params?.['requestState'];
	if (typeof state === 'string') {
		resume(hub, message, state, downstream);
	} else if (message.method === 'server/discover') {
		open(hub, 'discover', message, downstream);
	} else if (message.method === 'subscriptions/listen') {
		open(hub, 'listen', message, downstream).input.next({jsonrpc: '2.0', method: 'notifications/initialized'});
	} else {
		call(hub, message, downstream);
	}
}

/**
A chain's 2025 session: its `initialize` declares the request's capabilities and client identity (the multiplexer answers it from the server's).
*/
function open(hub: Hub, kind: Chain['kind'], request: Request, downstream: Downstream): Chain {
	const chain: Chain = {
		number: hub.nextChain++,
		kind,
		method: request.method,
		// Only a call that may end in `input_required` is ever resumed, so only its parameters are digested.
		digest: interruptible.has(request.method) ? parametersDigest(request.params) : '',
		input: new Channel(),
		logs: logLevelOf(request) !== undefined,
		round: 0,
		pending: new Map(),
		nextKey: 1,
		...(kind === 'listen' ? {listen: {notifications: ((request.params?.['notifications'] ?? {}) as Record<string, unknown>), subscribing: 0}} : {}),
	};
	hub.chains.set(chain.number, chain);
	attach(chain, request, downstream);
	chain.input.next({
		jsonrpc: '2.0', id: 'init', method: 'initialize', params: initializeParameters(request, sessionProtocolVersions[0]!),
	});
	chain.subscription = hub.session(`2026-07-28 request ${chain.number}`)(chain.input.observable).subscribe({
		next(message) {
			sessionMessage(hub.context, chain, message);
		},
		error(error: unknown) {
			ended(hub, chain, error);
		},
		complete() {
			ended(hub, chain, undefined);
		},
	});
	return chain;
}

function call(hub: Hub, request: Request, downstream: Downstream): void {
	const chain = open(hub, 'call', request, downstream);
	chain.input.next({jsonrpc: '2.0', method: 'notifications/initialized'});
	const level = logLevelOf(request);
	if (level !== undefined) {
		chain.input.next({
			jsonrpc: '2.0', id: 'level', method: 'logging/setLevel', params: {level},
		});
	}

	chain.input.next(legacyRequest(request, 'call'));
}

function attach(chain: Chain, request: Request, downstream: Downstream): void {
	chain.downstream = downstream;
	chain.requestId = request.id;
	chain.progressToken = progressTokenOf(request);
	downstream.open.set(request.id, chain);
}

/**
A retry: its state must be one this bridge sealed for the current round of a live chain, for the same method and parameters; the pending server requests it answers are answered upstream.
*/
function resume(hub: Hub, request: Request, state: string, downstream: Downstream): void {
	const payload = hub.sealer.open(state, hub.now());
	const chain = payload ? hub.chains.get(payload.chain) : undefined;
	const current = payload !== undefined && chain?.downstream === undefined && payload.round === chain?.round;
	if (!current || payload.method !== request.method || payload.digest !== parametersDigest(request.params)) {
		downstream.deliver(errorResponse(request.id, -32_602, invalidState, {reason: 'invalid_request_state'}));
		return;
	}

	clearTimeout(chain.timer);
	hub.waiting.delete(chain);
	attach(chain, request, downstream);
	const responses = (request.params?.['inputResponses'] ?? {}) as Record<string, unknown>;
	for (const [key, serverRequest] of chain.pending) {
		const response = responses[key];
		if (response !== null && typeof response === 'object') {
			chain.pending.delete(key);
			chain.input.next({jsonrpc: '2.0', id: serverRequest.id, result: response as Record<string, unknown>});
		}
	}

	if (chain.pending.size > 0) {
		askForInput(hub.context, chain);
	}
}

/**
The chain answered `input_required`: it waits for the retry, at most `chainTimeout`, and the one waiting longest is ended past `maxWaitingChains`.
*/
function wait(hub: Hub, chain: Chain): void {
	const {chainTimeout, maxWaitingChains, logger} = hub;
	hub.waiting.add(chain);
	chain.timer = setTimeout(() => {
		logger.debug(`The 2026-07-28 client did not come back within ${chainTimeout} ms to answer what the 2025 server asked during its \`${chain.method}\`: the call is cancelled`);
		finish(hub, chain);
	}, chainTimeout);
	chain.timer.unref?.();
	if (hub.waiting.size > maxWaitingChains) {
		const [oldest] = hub.waiting;
		logger.warning(`More than ${maxWaitingChains} calls of 2026-07-28 clients wait for their client to answer the 2025 server's requests: the oldest is cancelled`);
		finish(hub, oldest!);
	}
}

/**
End a chain: its session closes, so the multiplexer cancels its call upstream if it is still in flight and refuses the server requests it had.
*/
function finish(hub: Hub, chain: Chain): void {
	if (!hub.chains.delete(chain.number)) {
		return;
	}

	clearTimeout(chain.timer);
	hub.waiting.delete(chain);
	chain.downstream?.open.delete(chain.requestId!);
	chain.downstream = undefined;
	chain.input.complete();
	chain.subscription?.unsubscribe();
}

/**
What a chain's client gets when the chain ends without the server's answer: an error, or for a listen the result that ends it gracefully.
*/
function lastAnswer(chain: Chain, why: string): Message {
	return chain.kind === 'listen'
		? {jsonrpc: '2.0', id: chain.requestId!, result: {resultType: 'complete', _meta: {[envelopeKeys.subscriptionId]: chain.requestId}}}
		: errorResponse(chain.requestId, -32_603, why);
}

/**
The chain's session ended by itself (the multiplexer closed): a request in flight gets an error, a listen the result that ends it gracefully.
*/
function ended(hub: Hub, chain: Chain, error: unknown): void {
	if (hub.chains.has(chain.number)) {
		answer(chain, lastAnswer(chain, `The 2025 server's session ended before it answered${error instanceof Error ? `: ${error.message}` : ''}`));
		finish(hub, chain);
	}
}

/**
The client's connection ended: its requests still in flight are cancelled (a chain waiting for a retry is not: the retry may come on another).
*/
function closeConnection(hub: Hub, downstream: Downstream): void {
	for (const chain of downstream.open.values()) {
		finish(hub, chain);
	}
}

function connection(subscriber: Subscriber<Message>): Downstream {
	return {
		open: new Map(),
		deliver(message) {
			subscriber.next(message);
		},
	};
}
