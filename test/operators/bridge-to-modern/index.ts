import test from 'ava';
import {
	EMPTY, finalize, mergeMap, of, Subject,
} from 'rxjs';
import {bridgeToModern} from '../../../source/operators/bridge-to-modern/index.js';
import type {Message, Transport} from '../../../source/types.js';

/*
The glue of `bridgeToModern` with scripted transports (synchronous, no sockets): the 2025 upstream refuses `initialize` for naming only modern versions, the modern one answers `server/discover` and asks for input once; a 2025 upstream that accepts is passed through; the pause before a state-only retry is a real timer; the options are checked.
*/

const initialize: Message = {
	jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-11-25', capabilities: {roots: {}}, clientInfo: {name: 'c', version: '1'}},
};
const call: Message = {
	jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name: 'roots'},
};

/**
A 2025-only upstream (accepts `initialize`, echoes each call's id) or a 2026-only one (refuses it with -32022); records what it was sent and whether its input ended.
*/
function legacyUpstream(accepts: boolean): {transport: Transport; sent: Message[]; ended: () => boolean} {
	const sent: Message[] = [];
	let ended = false;
	const transport: Transport = outgoing$ => outgoing$.pipe(
		mergeMap(message => {
			sent.push(message);
			if (!('id' in message) || !('method' in message)) {
				return EMPTY;
			}

			if (message.method === 'initialize') {
				const answer: Message = accepts
					? {jsonrpc: '2.0', id: message.id, result: {protocolVersion: '2025-11-25', capabilities: {}, serverInfo: {name: 'old', version: '1'}}}
					: {jsonrpc: '2.0', id: message.id, error: {code: -32_022, message: 'Unsupported protocol version', data: {supported: ['2026-07-28']}}};
				return of(answer);
			}

			return of({jsonrpc: '2.0', id: message.id, result: {from: 'legacy'}} as Message);
		}),
		finalize(() => {
			ended = true;
		}),
	);
	return {transport, sent, ended: () => ended};
}

/**
A 2026-only upstream: answers the probe, asks once for `roots/list` (or, with `stateOnly`, for nothing but a state) on the first call, and answers the retry with what it got.
*/
function modernUpstream({stateOnly = false} = {}): {transport: Transport; sent: Message[]} {
	const sent: Message[] = [];
	const transport: Transport = outgoing$ => outgoing$.pipe(mergeMap(message => {
		sent.push(message);
		if (!('id' in message) || !('method' in message)) {
			return EMPTY;
		}

		const parameters = message.params as Record<string, unknown>;
		if (message.method === 'server/discover') {
			return of({jsonrpc: '2.0', id: message.id, result: {supportedVersions: ['2026-07-28'], capabilities: {tools: {}}, _meta: {'io.modelcontextprotocol/serverInfo': {name: 'new', version: '2'}}}} as Message);
		}

		if (parameters['requestState'] === undefined) {
			const inputRequests = stateOnly ? undefined : {where: {method: 'roots/list', params: {}}};
			return of({jsonrpc: '2.0', id: message.id, result: {resultType: 'input_required', requestState: 'st', ...(inputRequests ? {inputRequests} : {})}} as Message);
		}

		return of({jsonrpc: '2.0', id: message.id, result: {content: [{type: 'text', text: JSON.stringify(parameters['inputResponses'] ?? null)}]}} as Message);
	}));
	return {transport, sent};
}

test('a modern-only refusal of initialize bridges the session: initialize answered from discover, input asked of the client, the retry answered', t => {
	const legacy = legacyUpstream(false);
	const modern = modernUpstream();
	const client = new Subject<Message>();
	const received: Message[] = [];
	bridgeToModern({modern: () => modern.transport})(legacy.transport)(client).subscribe(message => {
		received.push(message);
		if ('method' in message && message.method === 'roots/list' && 'id' in message) {
			client.next({jsonrpc: '2.0', id: message.id, result: {roots: [{uri: 'file:///r'}]}});
		}
	});
	client.next(initialize);
	t.like(received[0], {id: 0, result: {protocolVersion: '2025-11-25', serverInfo: {name: 'new', version: '2'}}});
	t.true(legacy.ended(), 'the 2025 upstream was left');
	client.next(call);
	t.deepEqual(received.slice(1).map(message => ('method' in message ? message.method : message.id)), ['roots/list', 1]);
	t.deepEqual(received.at(-1), {jsonrpc: '2.0', id: 1, result: {content: [{type: 'text', text: '{"where":{"roots":[{"uri":"file:///r"}]}}'}]}});
	t.deepEqual(legacy.sent, [initialize]);
});

test('a 2025 upstream that accepts initialize gets every message untouched, and the modern one is never made', t => {
	const legacy = legacyUpstream(true);
	const client = new Subject<Message>();
	const received: Message[] = [];
	let made = 0;
	bridgeToModern({
		modern() {
			made++;
			return modernUpstream().transport;
		},
	})(legacy.transport)(client).subscribe(message => {
		received.push(message);
	});
	client.next(initialize);
	client.next(call);
	t.deepEqual(legacy.sent, [initialize, call]);
	t.like(received, [{id: 0, result: {serverInfo: {name: 'old'}}}, {id: 1, result: {from: 'legacy'}}]);
	t.is(made, 0);
});

test('a 2026 client (no initialize) goes through to the upstream untouched', t => {
	const legacy = legacyUpstream(false);
	const client = new Subject<Message>();
	const received: Message[] = [];
	bridgeToModern({modern: () => modernUpstream().transport})(legacy.transport)(client).subscribe(message => {
		received.push(message);
	});
	const modernCall: Message = {...call, params: {name: 'echo', _meta: {'io.modelcontextprotocol/protocolVersion': '2026-07-28'}}};
	client.next(modernCall);
	t.deepEqual(legacy.sent, [modernCall]);
	t.deepEqual(received, [{jsonrpc: '2.0', id: 1, result: {from: 'legacy'}}]);
});

test('a requestState-only round is retried after the pause', async t => {
	t.timeout(10_000);
	const modern = modernUpstream({stateOnly: true});
	const client = new Subject<Message>();
	const answer = new Promise<Message>(resolve => {
		bridgeToModern({modern: () => modern.transport, retryPause: 5})(legacyUpstream(false).transport)(client).subscribe(message => {
			if ('id' in message && message.id === 1) {
				resolve(message);
			}
		});
	});
	client.next(initialize);
	client.next(call);
	t.like(await answer, {result: {content: [{text: 'null'}]}});
	t.is(modern.sent.filter(message => 'method' in message && message.method === 'tools/call').length, 2);
});

test('a listen that ends unasked is opened again after the pause', async t => {
	t.timeout(10_000);
	const listens: Message[] = [];
	const reopened = new Promise<void>(resolve => {
		const modern: Transport = outgoing$ => outgoing$.pipe(mergeMap(message => {
			if (!('id' in message) || !('method' in message)) {
				return EMPTY;
			}

			if (message.method === 'server/discover') {
				const answer: Message = {jsonrpc: '2.0', id: message.id, result: {supportedVersions: ['2026-07-28'], capabilities: {tools: {listChanged: true}}}};
				return of(answer);
			}

			listens.push(message);
			if (listens.length === 2) {
				resolve();
				return EMPTY;
			}

			const broken: Message = {jsonrpc: '2.0', id: message.id, error: {code: -32_000, message: 'The response stream broke'}};
			return of(broken);
		}));
		const client = new Subject<Message>();
		bridgeToModern({modern: () => modern, relistenDelay: 5})(legacyUpstream(false).transport)(client).subscribe();
		client.next(initialize);
	});
	await reopened;
	t.deepEqual(listens.map(message => 'method' in message && message.method), ['subscriptions/listen', 'subscriptions/listen']);
});

test('bad options are a TypeError naming the option', t => {
	t.throws(() => bridgeToModern({} as any), {instanceOf: TypeError, message: /`modern` must be a function/});
	t.throws(() => bridgeToModern({modern: () => modernUpstream().transport, retryPause: -1}), {instanceOf: TypeError, message: /`retryPause` must be a finite number/});
	t.throws(() => bridgeToModern({modern: () => modernUpstream().transport, relistenDelay: Number.NaN}), {instanceOf: TypeError, message: /`relistenDelay` must be a finite number/});
});
