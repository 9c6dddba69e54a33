import test from 'ava';
import {
	createBridgeState, maxInputRounds, maxListenRestarts, type BridgeEffect, type BridgeEvent, type BridgeState,
} from '../../../source/operators/bridge-to-modern/state.js';
import {step} from '../../../source/operators/bridge-to-modern/step.js';
import type {Message} from '../../../source/types.js';

/*
Table tests of the bridge machine (step.ts with rounds.ts and listen.ts): the era decided from the 2025 upstream's answer to `initialize`, `initialize` answered from `server/discover`, requests enveloped under ids of the bridge's, input rounds, subscriptions. No transport, no timers.
*/

const clientInfo = {name: 'old-client', version: '1'};
const capabilities = {elicitation: {}, roots: {listChanged: true}};
const initialize: Message = {
	jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities, clientInfo},
};
const modernOnlyRefusal: Message = {
	jsonrpc: '2.0', id: 0, error: {code: -32_022, message: 'Unsupported protocol version: 2025-06-18', data: {supported: ['2026-07-28']}},
};
const envelope = {
	'io.modelcontextprotocol/protocolVersion': '2026-07-28',
	'io.modelcontextprotocol/clientInfo': clientInfo,
	'io.modelcontextprotocol/clientCapabilities': capabilities,
};
const discoverResult = {
	supportedVersions: ['2026-07-28'],
	capabilities: {tools: {listChanged: true}, resources: {subscribe: true}, logging: {}},
	instructions: 'Be kind.',
	resultType: 'complete',
	ttlMs: 0,
	cacheScope: 'private',
	_meta: {'io.modelcontextprotocol/serverInfo': {name: 'modern', version: '2'}},
};

const client = (message: Message): BridgeEvent => ({type: 'client', message});
const legacy = (message: Message): BridgeEvent => ({type: 'legacy', message});
const modern = (message: Message): BridgeEvent => ({type: 'modern', message});
const result = (id: number | string, value: Record<string, unknown> = {}): Message => ({jsonrpc: '2.0', id, result: value});
const call = (id: number | string, name = 'echo', meta?: Record<string, unknown>): Message => ({
	jsonrpc: '2.0', id, method: 'tools/call', params: {name, arguments: {}, ...(meta ? {_meta: meta} : {})},
});

function run(state: BridgeState, events: BridgeEvent[]): BridgeEffect[] {
	return events.flatMap(event => step(state, event));
}

/**
A session bridged to a modern upstream whose discover result is `discover`: the effects so far are dropped.
*/
function bridged(discover: Record<string, unknown> = discoverResult): BridgeState {
	const state = createBridgeState();
	run(state, [client(initialize), legacy(modernOnlyRefusal)]);
	run(state, [modern(result(state.discoverId!, discover))]);
	return state;
}

const sentUpstream = (effects: BridgeEffect[]) => effects.flatMap(effect => effect.type === 'to-modern' ? [effect.message as any] : []);
const toClient = (effects: BridgeEffect[]) => effects.flatMap(effect => effect.type === 'to-client' ? [effect.message as any] : []);

test('initialize goes to the 2025 upstream; any answer but a modern-only -32022 puts the bridge out of the way, the held messages after it', t => {
	const state = createBridgeState();
	t.deepEqual(run(state, [client(initialize)]), [{type: 'to-legacy', message: initialize}]);
	const early: Message = {jsonrpc: '2.0', method: 'notifications/initialized'};
	t.deepEqual(run(state, [client(early)]), [], 'held until the era is known');
	const answer = result(0, {protocolVersion: '2025-06-18', capabilities: {}, serverInfo: {name: 'old', version: '1'}});
	t.deepEqual(run(state, [legacy(answer)]), [{type: 'to-client', message: answer}, {type: 'to-legacy', message: early}]);
	t.is(state.phase, 'passthrough');
	t.deepEqual(run(state, [client(call(1)), legacy(result(1))]), [{type: 'to-legacy', message: call(1)}, {type: 'to-client', message: result(1)}]);
});

test('before any initialize (a 2026 client sends none), messages go to the 2025 upstream and back untouched', t => {
	const state = createBridgeState();
	const modernCall = call(1, 'echo', {'io.modelcontextprotocol/protocolVersion': '2026-07-28'});
	t.deepEqual(run(state, [client(modernCall), legacy(result(1))]), [{type: 'to-legacy', message: modernCall}, {type: 'to-client', message: result(1)}]);
	t.is(state.phase, 'deciding');
});

test('a -32022 that also names a 2025 version, or another error, is passed on: no bridge', t => {
	for (const refusal of [
		{...modernOnlyRefusal, error: {code: -32_022, message: 'no', data: {supported: ['2026-07-28', '2025-11-25']}}},
		{...modernOnlyRefusal, error: {code: -32_602, message: 'bad', data: {supported: ['2026-07-28']}}},
	] as Message[]) {
		const state = createBridgeState();
		t.deepEqual(run(state, [client(initialize), legacy(refusal)]), [{type: 'to-legacy', message: initialize}, {type: 'to-client', message: refusal}]);
		t.is(state.phase, 'passthrough');
	}
});

test('a modern-only -32022 leaves the 2025 upstream and probes the modern one; initialize is answered from server/discover', t => {
	const state = createBridgeState();
	const effects = run(state, [client(initialize), legacy(modernOnlyRefusal)]);
	t.deepEqual(effects.slice(1), [
		{type: 'end-legacy'},
		{type: 'open-modern'},
		{
			type: 'to-modern', message: {
				jsonrpc: '2.0', id: state.discoverId!, method: 'server/discover', params: {_meta: envelope},
			},
		},
	]);
	const answered = run(state, [modern(result(state.discoverId!, discoverResult))]);
	t.deepEqual(toClient(answered), [{
		jsonrpc: '2.0',
		id: 0,
		result: {
			protocolVersion: '2025-06-18', capabilities: discoverResult.capabilities, serverInfo: {name: 'modern', version: '2'}, instructions: 'Be kind.',
		},
	}]);
	t.is(state.phase, 'bridged');
	t.deepEqual(sentUpstream(answered).map(message => [message.method, message.params.notifications]), [['subscriptions/listen', {toolsListChanged: true}]], 'the advertised list-changed notifications are listened for at once');
});

test('an unknown protocol version is answered with the newest 2025 one; serverInfo at the top level is taken too', t => {
	const state = createBridgeState();
	run(state, [client({...initialize, params: {...initialize.params, protocolVersion: '2099-01-01'}}), legacy(modernOnlyRefusal)]);
	const [answer] = toClient(run(state, [modern(result(state.discoverId!, {supportedVersions: ['2026-07-28'], capabilities: {}, serverInfo: {name: 'top', version: '3'}}))]));
	t.like(answer.result, {protocolVersion: '2025-11-25', serverInfo: {name: 'top', version: '3'}});
});

test('when the probe fails too, the client gets the 2025 upstream\'s refusal, and so does every later request', t => {
	const state = createBridgeState();
	run(state, [client(initialize), legacy(modernOnlyRefusal)]);
	const effects = run(state, [modern({jsonrpc: '2.0', id: state.discoverId!, error: {code: -32_601, message: 'Method not found'}})]);
	t.deepEqual(effects, [{type: 'to-client', message: modernOnlyRefusal}, {type: 'end-modern'}]);
	t.deepEqual(toClient(run(state, [client(call(5))])), [{...modernOnlyRefusal, id: 5}]);
});

test('bridged: each request goes up enveloped (the client\'s _meta kept, the log level once set) under an id of the bridge\'s; its answer comes back under the client\'s id', t => {
	const state = bridged();
	const [first] = sentUpstream(run(state, [client(call(7, 'echo', {progressToken: 'p1'}))]));
	t.deepEqual(first.params, {name: 'echo', arguments: {}, _meta: {progressToken: 'p1', ...envelope}});
	t.not(first.id, 7);
	const answer = result(first.id, {content: [], resultType: 'complete'});
	t.deepEqual(run(state, [modern(answer)]), [{type: 'to-client', message: {jsonrpc: '2.0', id: 7, result: {content: [], resultType: 'complete'}}}]);

	t.deepEqual(toClient(run(state, [client({
		jsonrpc: '2.0', id: 8, method: 'logging/setLevel', params: {level: 'info'},
	})])), [result(8)]);
	const [second] = sentUpstream(run(state, [client(call(9))]));
	t.is(second.params._meta['io.modelcontextprotocol/logLevel'], 'info');
	t.deepEqual(toClient(run(state, [client({jsonrpc: '2.0', id: 10, method: 'ping'})])), [result(10)]);
	t.deepEqual(run(state, [client({jsonrpc: '2.0', method: 'notifications/initialized'})]), []);
	const progress: Message = {jsonrpc: '2.0', method: 'notifications/progress', params: {progressToken: 'p1', progress: 1}};
	t.deepEqual(run(state, [modern(progress)]), [{type: 'to-client', message: progress}]);
});

test('input_required: one real request to the client per entry; with every answer in, a retry under a new id with inputResponses and the exact requestState', t => {
	const state = bridged();
	const [first] = sentUpstream(run(state, [client(call(3, 'elicit'))]));
	const inputRequests = {
		confirm: {method: 'elicitation/create', params: {message: 'Proceed?', requestedSchema: {type: 'object', properties: {}}}},
		where: {method: 'roots/list', params: {}},
	};
	const asked = toClient(run(state, [modern(result(first.id, {resultType: 'input_required', inputRequests, requestState: ' opaque\u00E9 '}))]));
	t.deepEqual(asked.map(message => [message.method, message.params]), [['elicitation/create', inputRequests.confirm.params], ['roots/list', {}]]);
	t.true(asked.every(message => typeof message.id === 'string' && message.id !== first.id));
	t.deepEqual(run(state, [client(result(asked[1].id, {roots: []}))]), [], 'the round waits for every answer');
	const [retry] = sentUpstream(run(state, [client(result(asked[0].id, {action: 'accept', content: {ok: true}}))]));
	t.not(retry.id, first.id);
	t.deepEqual(retry.params, {
		...first.params, inputResponses: {confirm: {action: 'accept', content: {ok: true}}, where: {roots: []}}, requestState: ' opaque\u00E9 ',
	});
	t.deepEqual(toClient(run(state, [modern(result(retry.id, {content: [{type: 'text', text: 'done'}]}))])), [result(3, {content: [{type: 'text', text: 'done'}]})]);
	t.is(state.byClient.size + state.byUpstream.size + state.inputs.size, 0, 'nothing is left behind');
});

test('a requestState-only round pauses, then retries with the state alone', t => {
	const state = bridged();
	const [first] = sentUpstream(run(state, [client({
		jsonrpc: '2.0', id: 4, method: 'prompts/get', params: {name: 'p'},
	})]));
	t.deepEqual(run(state, [modern(result(first.id, {resultType: 'input_required', requestState: 's1'}))]), [{type: 'pause', clientId: 4}]);
	const [retry] = sentUpstream(run(state, [{type: 'retry', clientId: 4}]));
	t.deepEqual(retry.params, {...first.params, requestState: 's1'});
});

test(`after ${maxInputRounds} rounds a tools/call gets an isError result, anything else a JSON-RPC error; input_required on another method is passed on`, t => {
	for (const method of ['tools/call', 'resources/read']) {
		const state = bridged();
		let [sent] = sentUpstream(run(state, [client({
			jsonrpc: '2.0', id: 1, method, params: {},
		})]));
		let last: BridgeEffect[] = [];
		for (let round = 0; round <= maxInputRounds; round++) {
			last = run(state, [modern(result(sent.id, {resultType: 'input_required', requestState: 'again'}))]);
			[sent] = sentUpstream(run(state, [{type: 'retry', clientId: 1}]));
		}

		const [answer] = toClient(last);
		if (method === 'tools/call') {
			t.like(answer, {id: 1, result: {isError: true}});
			t.regex(answer.result.content[0].text, /after 8 rounds/);
		} else {
			t.like(answer, {id: 1, error: {code: -32_603}});
		}
	}

	const state = bridged();
	const [list] = sentUpstream(run(state, [client({jsonrpc: '2.0', id: 2, method: 'tools/list'})]));
	t.like(toClient(run(state, [modern(result(list.id, {resultType: 'input_required', requestState: 'x'}))]))[0], {id: 2, result: {resultType: 'input_required'}});
});

test('a client error answer to an input request fails the original request (its other input requests cancelled); an unknown input kind fails it too', t => {
	const state = bridged();
	const [first] = sentUpstream(run(state, [client({
		jsonrpc: '2.0', id: 6, method: 'prompts/get', params: {name: 'p'},
	})]));
	const asked = toClient(run(state, [modern(result(first.id, {resultType: 'input_required', inputRequests: {a: {method: 'sampling/createMessage', params: {}}, b: {method: 'roots/list'}}}))]));
	const effects = toClient(run(state, [client({jsonrpc: '2.0', id: asked[0].id, error: {code: -1, message: 'User rejected sampling request'}})]));
	t.deepEqual(effects.map(message => message.method ?? message.error), [
		'notifications/cancelled',
		{code: -1, message: 'The client refused the input `prompts/get` needs (key "a"): User rejected sampling request'},
	]);
	t.deepEqual(run(state, [client(result(asked[1].id, {roots: []}))]), [], 'a late answer is ignored');

	const [other] = sentUpstream(run(state, [client(call(11))]));
	t.like(toClient(run(state, [modern(result(other.id, {resultType: 'input_required', inputRequests: {x: {method: 'tasks/get', params: {}}}}))]))[0], {id: 11, result: {isError: true}});
});

test('the client\'s cancellation ends the round: the upstream request is cancelled, or the input requests to the client are; no answer follows', t => {
	const state = bridged();
	const [first] = sentUpstream(run(state, [client(call(12))]));
	const cancel = (requestId: number): Message => ({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId}});
	const [upstreamCancel] = sentUpstream(run(state, [client(cancel(12))]));
	t.like(upstreamCancel, {method: 'notifications/cancelled', params: {requestId: first.id}});
	t.deepEqual(run(state, [modern(result(first.id, {}))]), [], 'a late answer is dropped');

	const [second] = sentUpstream(run(state, [client(call(13))]));
	const [asked] = toClient(run(state, [modern(result(second.id, {resultType: 'input_required', inputRequests: {a: {method: 'roots/list'}}}))]));
	t.deepEqual(toClient(run(state, [client(cancel(13))])).map(message => message.params.requestId), [asked.id]);
	t.deepEqual(run(state, [client(result(asked.id, {roots: []}))]), []);
});

test('resources/subscribe reopens the listen with the union filter and is answered once it is acknowledged; its notifications reach the client without the subscription id', t => {
	const state = bridged();
	const [firstListen] = [...state.listens.keys()];
	const ack = (id: string): Message => ({jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: {_meta: {'io.modelcontextprotocol/subscriptionId': id}, notifications: {}}});
	t.deepEqual(run(state, [modern(ack(firstListen!))]), [], 'the acknowledgement is not the client\'s');
	const changed = (id: string): Message => ({jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: {_meta: {'io.modelcontextprotocol/subscriptionId': id}}});
	t.deepEqual(toClient(run(state, [modern(changed(firstListen!))])), [{jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: {}}]);

	const subscribe: Message = {
		jsonrpc: '2.0', id: 20, method: 'resources/subscribe', params: {uri: 'file:///a'},
	};
	const [listen] = sentUpstream(run(state, [client(subscribe)]));
	t.deepEqual(listen.params.notifications, {toolsListChanged: true, resourceSubscriptions: ['file:///a']});
	t.deepEqual(toClient(run(state, [modern(changed(listen.id))])), [], 'not before it is acknowledged (the old one still delivers)');
	const acked = run(state, [modern(ack(listen.id))]);
	t.deepEqual(sentUpstream(acked).map(message => [message.method, message.params.requestId]), [['notifications/cancelled', firstListen]], 'the old listen ends');
	t.deepEqual(toClient(acked), [result(20)]);
	const updated: Message = {jsonrpc: '2.0', method: 'notifications/resources/updated', params: {uri: 'file:///a', _meta: {'io.modelcontextprotocol/subscriptionId': listen.id, other: 1}}};
	t.deepEqual(toClient(run(state, [modern(updated), modern(changed(firstListen!))])), [{jsonrpc: '2.0', method: 'notifications/resources/updated', params: {uri: 'file:///a', _meta: {other: 1}}}]);
	t.deepEqual(toClient(run(state, [client({...subscribe, id: 21})])), [result(21)], 'already subscribed');
});

test('without resources.subscribe, resources/subscribe is refused; the client leaving ends the listens and answers what waits on it', t => {
	const state = bridged({supportedVersions: ['2026-07-28'], capabilities: {tools: {}}});
	t.is(state.listens.size, 0, 'nothing to listen for');
	t.like(toClient(run(state, [client({
		jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: {uri: 'x'},
	})]))[0], {error: {code: -32_601}});

	const other = bridged();
	const [sent] = sentUpstream(run(other, [client(call(30))]));
	run(other, [modern(result(sent.id, {resultType: 'input_required', inputRequests: {a: {method: 'roots/list'}}}))]);
	const effects = run(other, [{type: 'client-end'}]);
	t.like(toClient(effects).find(message => message.id === 30), {error: {code: -32_000}});
	t.is(sentUpstream(effects).filter(message => message.method === 'notifications/cancelled').length, 1, 'the listen is cancelled');
	t.deepEqual(effects.at(-1), {type: 'end-modern'});
});

test('a listen that ends unasked (its stream broke, or the server cancelled it) is opened again after a pause, a bounded number of times in a row', t => {
	const state = bridged();
	let [id] = [...state.listens.keys()];
	const broken = (listen: string): Message => ({jsonrpc: '2.0', id: listen, error: {code: -32_000, message: 'The response stream broke'}});
	for (let round = 0; round < maxListenRestarts; round++) {
		const cancelled: Message = {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId: id!}};
		const ended = round % 2 === 0 ? broken(id!) : cancelled;
		t.deepEqual(run(state, [modern(ended)]), [{type: 'relisten-later'}]);
		const [listen] = sentUpstream(run(state, [{type: 'relisten'}]));
		t.like(listen, {method: 'subscriptions/listen', params: {notifications: {toolsListChanged: true}}});
		id = listen.id;
	}

	t.deepEqual(run(state, [modern(broken(id!))]), [], 'not again');
	const again = bridged();
	[id] = [...again.listens.keys()];
	run(again, [modern(broken(id!))]);
	const [listen] = sentUpstream(run(again, [{type: 'relisten'}]));
	run(again, [modern({jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: {_meta: {'io.modelcontextprotocol/subscriptionId': listen.id}}})]);
	t.is(again.listenRestarts, 0, 'an acknowledgement starts the count again');
	t.deepEqual(run(again, [modern({jsonrpc: '2.0', id: 'bridge-listen-999', result: {}})]), [], 'an unknown listen changes nothing');
});

test('assume-modern (a stateless request of a server known to speak 2026 only): bridged at once, enveloped as a client that declared nothing; not after an initialize', t => {
	const state = createBridgeState();
	t.deepEqual(run(state, [{type: 'assume-modern'}]), [{type: 'end-legacy'}, {type: 'open-modern'}]);
	t.is(state.phase, 'bridged');
	const [sent] = sentUpstream(run(state, [client(call(5))]));
	t.deepEqual(sent.params._meta, {
		'io.modelcontextprotocol/protocolVersion': '2026-07-28',
		'io.modelcontextprotocol/clientInfo': {name: 'unknown', version: '0'},
		'io.modelcontextprotocol/clientCapabilities': {},
	});
	const deciding = createBridgeState();
	run(deciding, [client(initialize)]);
	t.deepEqual(run(deciding, [{type: 'assume-modern'}]), [], 'an initialize decides the usual way');
	t.is(deciding.phase, 'deciding');
});
