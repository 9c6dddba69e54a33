/*
Tests of the bridge's glue and its chains (chains.ts), against a scripted 2025 server behind a real multiplexer, with no process and no socket: server/discover and results in 2026 form, a server request during a call as input_required and the retry that answers it, refused states (tampered, replayed, another call's, expired), a chain abandoned or pushed out cancelled upstream, a server request outside a call refused upstream, a client's cancellation.
*/
import test, {type ExecutionContext} from 'ava';
import {Observable, Subject} from 'rxjs';
import {legacyBridge, type LegacyBridgeOptions} from '../../../source/operators/legacy-bridge/index.js';
import {createSealer} from '../../../source/operators/legacy-bridge/request-state.js';
import {multiplex} from '../../../source/operators/multiplex/index.js';
import {createLogger} from '../../../source/logger.js';
import type {Message, Transport} from '../../../source/types.js';

const envelope = {
	'io.modelcontextprotocol/protocolVersion': '2026-07-28',
	'io.modelcontextprotocol/clientCapabilities': {elicitation: {}},
	'io.modelcontextprotocol/clientInfo': {name: 'modern client', version: '1'},
};
const serverInfo = {name: 'scripted', version: '1'};

/**
A 2025 server: `change` says its tools, prompts and resource x://a changed, `log` logs at debug and warning, `hang` never answers, `ask` asks the client (elicitation) and answers with what it said; `echo` echoes; `tools/list` asks for roots first (a server request outside a call that may be interrupted); `resources/read` finds nothing. It records what it gets.
*/
function scriptedServer(seen: Message[]): Transport {
	return outgoing$ => new Observable<Message>(subscriber => {
		const calls = new Map<string, string | number>();
		let asked = 0;
		return outgoing$.subscribe(message => {
			seen.push(message);
			const reply = (result: Record<string, unknown>) => {
				subscriber.next({jsonrpc: '2.0', id: (message as {id: number}).id, result});
			};

			if ('id' in message && 'method' in message) {
				const parameters = (message.params ?? {}) as Record<string, any>;
				switch (message.method) {
					case 'initialize': {
						reply({protocolVersion: '2025-11-25', capabilities: {tools: {listChanged: true}, resources: {subscribe: true}}, serverInfo});
						break;
					}

					case 'tools/list': {
						subscriber.next({jsonrpc: '2.0', id: 'roots', method: 'roots/list'});
						reply({tools: []});
						break;
					}

					case 'resources/subscribe':
					case 'resources/unsubscribe': {
						reply({});
						break;
					}

					case 'resources/read': {
						subscriber.next({jsonrpc: '2.0', id: message.id, error: {code: -32_002, message: 'Resource not found'}});
						break;
					}

					default: {
						const tools: Record<string, () => void> = {
							log() {
								for (const level of ['debug', 'warning']) {
									subscriber.next({jsonrpc: '2.0', method: 'notifications/message', params: {level, data: level}});
								}

								reply({content: []});
							},
							change() {
								subscriber.next({jsonrpc: '2.0', method: 'notifications/tools/list_changed'});
								subscriber.next({jsonrpc: '2.0', method: 'notifications/prompts/list_changed'});
								subscriber.next({jsonrpc: '2.0', method: 'notifications/resources/updated', params: {uri: 'x://a'}});
								reply({content: []});
							},
							hang() {
								// Never answered.
							},
							ask() {
								const id = `ask-${++asked}`;
								calls.set(id, message.id);
								subscriber.next({
									jsonrpc: '2.0', id, method: 'elicitation/create', params: {message: 'ok?', requestedSchema: {type: 'object'}},
								});
							},
						};
						const tool = tools[String(parameters['name'])] ?? (() => {
							reply({content: [{type: 'text', text: String(parameters['arguments']?.text)}]});
						});
						tool();
					}
				}
			} else if ('id' in message && calls.has(message.id as string)) {
				const id = calls.get(message.id as string)!;
				calls.delete(message.id as string);
				const said = (message as {result?: unknown}).result ?? (message as {error?: unknown}).error;
				subscriber.next({jsonrpc: '2.0', id, result: {content: [{type: 'text', text: `answered ${JSON.stringify(said)}`}]}});
			}
		});
	});
}

type Harness = {
	seen: Message[];
	/**
	A client connection: what it got, and a way to send.
	*/
	connect(): {got: Message[]; send(message: Message): void; close(): void};
	call(id: number | string, name: string, extra?: Record<string, unknown>): Message;
};

/**
`serverPerChain`: each chain gets a server (and multiplexer) of its own, so that server requests of chains in flight at once are not ambiguous to the multiplexer.
*/
function harness(t: ExecutionContext, options: Partial<LegacyBridgeOptions> = {}, serverPerChain = false): Harness {
	const seen: Message[] = [];
	const newMux = () => {
		const mux = multiplex(scriptedServer(seen), {logger: createLogger({level: 'silent'})});
		const run = mux.run$.subscribe();
		t.teardown(() => {
			mux.close();
			run.unsubscribe();
		});
		return mux;
	};

	const shared = newMux();
	const bridge = legacyBridge({
		session: serverPerChain ? id => newMux().session(id) : shared.session, sealer: createSealer(new Uint8Array(32).fill(1)), logger: createLogger({level: 'silent'}), ...options,
	});
	t.teardown(() => {
		bridge.close();
	});
	return {
		seen,
		connect() {
			const input = new Subject<Message>();
			const got: Message[] = [];
			const subscription = bridge.transport(input).subscribe(message => {
				got.push(message);
			});
			t.teardown(() => {
				subscription.unsubscribe();
			});
			return {
				got,
				send(message) {
					input.next(message);
				},
				close() {
					input.complete();
				},
			};
		},
		call: (id, name, extra = {}) => ({
			jsonrpc: '2.0', id, method: 'tools/call', params: {
				name, arguments: {text: 'hi'}, _meta: envelope, ...extra,
			},
		}),
	};
}

const result = (message: Message | undefined) => (message as {result: Record<string, any>}).result;

test('server/discover is answered from the initialize result; a call\'s result gets the 2026 fields; -32002 is -32602; removed methods are -32601', t => {
	const bridge = harness(t);
	const client = bridge.connect();
	client.send({
		jsonrpc: '2.0', id: 1, method: 'server/discover', params: {_meta: envelope},
	});
	client.send(bridge.call(2, 'echo'));
	client.send({
		jsonrpc: '2.0', id: 3, method: 'resources/read', params: {uri: 'x://missing', _meta: envelope},
	});
	client.send({
		jsonrpc: '2.0', id: 4, method: 'ping', params: {_meta: envelope},
	});
	t.deepEqual(client.got, [
		{
			jsonrpc: '2.0',
			id: 1,
			result: {
				supportedVersions: ['2026-07-28'],
				capabilities: {tools: {listChanged: true}, resources: {subscribe: true}},
				resultType: 'complete', ttlMs: 0, cacheScope: 'private', _meta: {'io.modelcontextprotocol/serverInfo': serverInfo},
			},
		},
		{jsonrpc: '2.0', id: 2, result: {content: [{type: 'text', text: 'hi'}], resultType: 'complete', _meta: {'io.modelcontextprotocol/serverInfo': serverInfo}}},
		{jsonrpc: '2.0', id: 3, error: {code: -32_602, message: 'Resource not found'}},
		{jsonrpc: '2.0', id: 4, error: {code: -32_601, message: 'Method not found: `ping` is not part of protocol 2026-07-28'}},
	]);
	// The server saw the call without the envelope, and one initialize in all (its own; the sessions' were answered by the multiplexer).
	t.deepEqual(bridge.seen.filter(message => 'method' in message && message.method === 'tools/call').map(message => (message as {params: unknown}).params), [{name: 'echo', arguments: {text: 'hi'}}]);
	t.is(bridge.seen.filter(message => 'method' in message && message.method === 'initialize').length, 1);
});

test('a server request during a call ends it with input_required; the retry answers it and gets the result; the same state again, another call\'s or a tampered one is refused', t => {
	const bridge = harness(t);
	const client = bridge.connect();
	client.send(bridge.call(1, 'ask'));
	const asked = result(client.got[0]);
	t.like(asked, {resultType: 'input_required', inputRequests: {'elicitation-1': {method: 'elicitation/create', params: {message: 'ok?'}}}});
	const inputResponses = {'elicitation-1': {action: 'accept', content: {answer: 'yes'}}};
	const state = asked['requestState'] as string;
	client.send(bridge.call(2, 'ask', {arguments: {text: 'other'}, inputResponses, requestState: state}));
	client.send(bridge.call(3, 'echo', {inputResponses, requestState: state}));
	client.send(bridge.call(4, 'ask', {inputResponses, requestState: `${state}x`}));
	client.send(bridge.call(5, 'ask', {inputResponses, requestState: state}));
	client.send(bridge.call(6, 'ask', {inputResponses, requestState: state}));
	const refused = {code: -32_602, message: 'Invalid or expired requestState', data: {reason: 'invalid_request_state'}};
	t.deepEqual(client.got.slice(1), [
		{jsonrpc: '2.0', id: 2, error: refused},
		{jsonrpc: '2.0', id: 3, error: refused},
		{jsonrpc: '2.0', id: 4, error: refused},
		{
			jsonrpc: '2.0',
			id: 5,
			result: {content: [{type: 'text', text: 'answered {"action":"accept","content":{"answer":"yes"}}'}], resultType: 'complete', _meta: {'io.modelcontextprotocol/serverInfo': serverInfo}},
		},
		{jsonrpc: '2.0', id: 6, error: refused},
	]);
});

test('a retry without the answer asked for gets input_required again, with a new state', t => {
	const bridge = harness(t);
	const client = bridge.connect();
	client.send(bridge.call(1, 'ask'));
	const first = result(client.got[0]);
	client.send(bridge.call(2, 'ask', {inputResponses: {}, requestState: first['requestState']}));
	const second = result(client.got[1]);
	t.like(second, {resultType: 'input_required', inputRequests: {'elicitation-1': {method: 'elicitation/create'}}});
	t.not(second['requestState'], first['requestState']);
	client.send(bridge.call(3, 'ask', {inputResponses: {'elicitation-1': {action: 'decline'}}, requestState: second['requestState']}));
	t.like(result(client.got[2]), {resultType: 'complete', content: [{text: 'answered {"action":"decline"}'}]});
});

test('a chain whose client never comes back is cancelled upstream after chainTimeout; its state is then refused', async t => {
	const bridge = harness(t, {chainTimeout: 50});
	const client = bridge.connect();
	client.send(bridge.call(1, 'ask'));
	const state = result(client.got[0])['requestState'] as string;
	for (let attempt = 0; attempt < 100 && !bridge.seen.some(message => 'method' in message && message.method === 'notifications/cancelled'); attempt++) {
		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => {
			setTimeout(resolve, 20);
		});
	}

	t.true(bridge.seen.some(message => 'method' in message && message.method === 'notifications/cancelled'));
	client.send(bridge.call(2, 'ask', {inputResponses: {}, requestState: state}));
	t.like(client.got[1], {id: 2, error: {code: -32_602}});
});

test('past maxWaitingChains the chain waiting longest is cancelled upstream', t => {
	const bridge = harness(t, {maxWaitingChains: 1}, true);
	const client = bridge.connect();
	client.send(bridge.call(1, 'ask'));
	client.send(bridge.call(2, 'ask'));
	t.is(bridge.seen.filter(message => 'method' in message && message.method === 'notifications/cancelled').length, 1);
	client.send(bridge.call(3, 'ask', {inputResponses: {}, requestState: result(client.got[0])['requestState']}));
	t.like(client.got[2], {id: 3, error: {code: -32_602}});
	client.send(bridge.call(4, 'ask', {inputResponses: {'elicitation-1': {action: 'cancel'}}, requestState: result(client.got[1])['requestState']}));
	t.like(result(client.got[3]), {resultType: 'complete'});
	t.throws(() => legacyBridge({session: () => () => new Observable<Message>(), maxWaitingChains: 0}), {instanceOf: TypeError, message: 'Expected `maxWaitingChains` to be an integer ≥ 1, got `0`'});
});

test('a server request outside tools/call, prompts/get and resources/read is refused upstream; the request is answered', t => {
	const bridge = harness(t);
	const client = bridge.connect();
	client.send({
		jsonrpc: '2.0', id: 1, method: 'tools/list', params: {_meta: envelope},
	});
	t.like(bridge.seen.find(message => 'id' in message && message.id === 'roots' && !('method' in message)), {error: {code: -32_601}});
	t.like(result(client.got[0]), {tools: [], resultType: 'complete', ttlMs: 0});
});

test('a client that cancels a request, or whose connection ends with one in flight, has it cancelled upstream; a chain waiting for a retry outlives its connection', t => {
	const bridge = harness(t);
	const cancelled = () => bridge.seen.filter(message => 'method' in message && message.method === 'notifications/cancelled').length;
	const client = bridge.connect();
	client.send(bridge.call(1, 'ask'));
	const state = result(client.got[0])['requestState'] as string;
	client.send(bridge.call(2, 'hang'));
	client.send({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 2, _meta: envelope}});
	t.is(cancelled(), 1);
	client.send(bridge.call(3, 'hang'));
	client.close();
	t.is(cancelled(), 2);
	t.is(client.got.length, 1, 'a cancelled request is not answered');
	const next = bridge.connect();
	next.send(bridge.call(4, 'ask', {inputResponses: {'elicitation-1': {action: 'cancel'}}, requestState: state}));
	t.like(result(next.got[0]), {resultType: 'complete', content: [{text: 'answered {"action":"cancel"}'}]});
});

test('a request with a log level gets the logs at or above it while in flight, the server being told the level first; one without gets none', t => {
	const bridge = harness(t);
	const client = bridge.connect();
	client.send(bridge.call(1, 'log', {_meta: {...envelope, 'io.modelcontextprotocol/logLevel': 'warning'}}));
	client.send(bridge.call(2, 'log'));
	const shown = (message: Message) => 'method' in message ? `log ${String((message.params as {level: string}).level)}` : `answer ${String((message as {id: number}).id)}`;
	t.deepEqual(client.got.map(message => shown(message)), ['log warning', 'answer 1', 'answer 2']);
	t.like(bridge.seen.find(message => 'method' in message && message.method === 'logging/setLevel'), {params: {level: 'warning'}});
});

test('subscriptions/listen is acknowledged with what the server can honour, subscribes upstream, gets the changes stamped with its id; cancelling it unsubscribes', t => {
	const bridge = harness(t);
	const client = bridge.connect();
	client.send({
		jsonrpc: '2.0', id: 'listen:1', method: 'subscriptions/listen', params: {_meta: envelope, notifications: {toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: ['x://a']}},
	});
	const stamp = {'io.modelcontextprotocol/subscriptionId': 'listen:1'};
	t.deepEqual(client.got, [{
		jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: {notifications: {toolsListChanged: true, resourceSubscriptions: ['x://a']}, _meta: stamp},
	}]);
	t.like(bridge.seen.find(message => 'method' in message && message.method === 'resources/subscribe'), {params: {uri: 'x://a'}});
	const other = bridge.connect();
	other.send(bridge.call(1, 'change'));
	t.deepEqual(client.got.slice(1), [
		{jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: {_meta: stamp}},
		{jsonrpc: '2.0', method: 'notifications/resources/updated', params: {uri: 'x://a', _meta: stamp}},
	]);
	t.deepEqual(other.got.map(message => 'method' in message ? message.method : 'answer'), ['answer']);
	client.send({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: 'listen:1', _meta: envelope}});
	t.like(bridge.seen.find(message => 'method' in message && message.method === 'resources/unsubscribe'), {params: {uri: 'x://a'}});
	t.is(client.got.length, 3, 'a cancelled listen gets no result');
});

test('when the bridge closes, a listen ends with the result that closes it gracefully, a call in flight with an error', t => {
	const seen: Message[] = [];
	const mux = multiplex(scriptedServer(seen), {logger: createLogger({level: 'silent'})});
	const run = mux.run$.subscribe();
	const bridge = legacyBridge({session: mux.session, logger: createLogger({level: 'silent'})});
	t.teardown(() => {
		mux.close();
		run.unsubscribe();
	});
	const input = new Subject<Message>();
	const got: Message[] = [];
	bridge.transport(input).subscribe(message => {
		got.push(message);
	});
	input.next({
		jsonrpc: '2.0', id: 'listen:1', method: 'subscriptions/listen', params: {_meta: envelope, notifications: {toolsListChanged: true}},
	});
	input.next({
		jsonrpc: '2.0', id: 2, method: 'tools/call', params: {name: 'hang', _meta: envelope},
	});
	bridge.close();
	t.deepEqual(got.slice(1), [
		{jsonrpc: '2.0', id: 'listen:1', result: {resultType: 'complete', _meta: {'io.modelcontextprotocol/subscriptionId': 'listen:1'}}},
		{jsonrpc: '2.0', id: 2, error: {code: -32_603, message: 'The proxy is shutting down'}},
	]);
});
