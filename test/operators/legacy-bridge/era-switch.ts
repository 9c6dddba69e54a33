/*
Tests of where the bridge engages: which error answers show a 2025-only server (the SDK client's table, less the proxy's own failures), and the operator: a modern request refused that way goes to the bridge (and every modern message after it, on every connection sharing the verdict), a result keeps the server modern with no bridge, 2025 messages always go straight on.
*/
import test from 'ava';
import {Observable, Subject} from 'rxjs';
import {bridgeWhenLegacy, showsLegacy, type EraVerdict} from '../../../source/operators/legacy-bridge/era-switch.js';
import type {LegacyBridge} from '../../../source/operators/legacy-bridge/index.js';
import {createLogger} from '../../../source/logger.js';
import type {Message, Transport} from '../../../source/types.js';

const envelope = {'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}};

test('an error to server/discover shows a 2025-only server unless it is a modern server\'s or the proxy\'s own; to another request only a 2025 server\'s session errors do', t => {
	// [error, to server/discover, to tools/call]
	const cases: Array<[{code: number; message: string; data?: unknown}, boolean, boolean]> = [
		[{code: -32_000, message: 'Bad Request: Server not initialized'}, true, true],
		[{code: -32_600, message: 'Invalid Request'}, true, true],
		[{code: -32_601, message: 'Method not found'}, true, false],
		[{code: -32_602, message: 'Unknown tool'}, true, false],
		[{code: -32_603, message: 'The remote server answered `tools/list` with HTTP 405'}, true, true],
		[{code: -32_022, message: 'no', data: {supported: ['2025-11-25']}}, true, true],
		[{code: -32_022, message: 'no'}, true, true],
		[{code: -32_022, message: 'no', data: {supported: ['2026-07-28']}}, false, false],
		[{code: -32_020, message: 'Header mismatch'}, false, false],
		[{code: -32_021, message: 'Missing capability', data: {requiredCapabilities: {}}}, false, false],
		[{code: -32_001, message: 'timed out'}, false, false],
		[{code: -32_002, message: 'unavailable'}, false, false],
		[{code: -32_003, message: 'too large'}, false, false],
		[{code: -32_004, message: 'overloaded'}, false, false],
	];
	for (const [error, discover, call] of cases) {
		t.is(showsLegacy(error, 'server/discover'), discover, `discover: ${JSON.stringify(error)}`);
		t.is(showsLegacy(error, 'tools/call'), call, `tools/call: ${JSON.stringify(error)}`);
	}
});

/**
An upstream that answers every request with `answer(request)`, and records what it got.
*/
function upstream(answer: (message: Message & {id: number}) => Message, got: Message[]): Transport {
	return outgoing$ => new Observable<Message>(subscriber => outgoing$.subscribe({
		next(message) {
			got.push(message);
			if ('id' in message && 'method' in message) {
				subscriber.next(answer(message as Message & {id: number}));
			}
		},
		complete() {
			subscriber.complete();
		},
	}));
}

function fakeBridge(got: Message[]): LegacyBridge {
	return {
		transport: outgoing$ => new Observable<Message>(subscriber => outgoing$.subscribe({
			next(message) {
				got.push(message);
				if ('id' in message && message.id !== undefined) {
					subscriber.next({jsonrpc: '2.0', id: message.id, result: {bridged: true}});
				}
			},
			complete() {
				subscriber.complete();
			},
		})),
		close() {
			// Nothing to close.
		},
	};
}

function run(transport: Transport, messages: Message[]): Message[] {
	const input = new Subject<Message>();
	const out: Message[] = [];
	transport(input).subscribe(message => {
		out.push(message);
	});
	for (const message of messages) {
		input.next(message);
	}

	input.complete();
	return out;
}

const modern = (id: number, method = 'server/discover'): Message => ({
	jsonrpc: '2.0', id, method, params: {_meta: envelope},
});
const logger = createLogger({level: 'silent'});

test('a modern request refused by a 2025 server goes to the bridge, and so does every modern message after it, on every connection; 2025 messages go on as they are', t => {
	const direct: Message[] = [];
	const bridged: Message[] = [];
	let bridges = 0;
	const verdict: EraVerdict = {era: 'unknown'};
	const operator = bridgeWhenLegacy({
		verdict,
		bridge() {
			bridges++;
			return fakeBridge(bridged);
		},
		name: 'The server',
		logger,
	});
	const transport = operator(upstream(message => ({jsonrpc: '2.0', id: message.id, error: {code: -32_000, message: 'Bad Request: Server not initialized'}}), direct));
	const legacyPing: Message = {jsonrpc: '2.0', id: 9, method: 'ping'};
	t.deepEqual(run(transport, [modern(1), modern(2, 'tools/list'), legacyPing]), [
		{jsonrpc: '2.0', id: 1, result: {bridged: true}},
		{jsonrpc: '2.0', id: 2, result: {bridged: true}},
		{jsonrpc: '2.0', id: 9, error: {code: -32_000, message: 'Bad Request: Server not initialized'}},
	]);
	t.is(verdict.era, 'legacy');
	t.deepEqual(direct, [modern(1), legacyPing]);
	t.deepEqual(bridged, [modern(1), modern(2, 'tools/list')]);
	t.deepEqual(run(transport, [modern(3)]), [{jsonrpc: '2.0', id: 3, result: {bridged: true}}]);
	t.is(bridges, 2, 'the factory is the caller\'s to share');
});

test('a result shows a modern server: nothing goes to the bridge, errors after it are answers; the proxy\'s own failures decide nothing', t => {
	const direct: Message[] = [];
	const verdict: EraVerdict = {era: 'unknown'};
	let answer: 'result' | 'timeout' | 'refused' = 'timeout';
	const transport = bridgeWhenLegacy({
		verdict,
		bridge() {
			throw new Error('not to be bridged');
		},
		name: 'The server',
		logger,
	})(upstream(message => {
		if (answer === 'result') {
			return {jsonrpc: '2.0', id: message.id, result: {}};
		}

		return {jsonrpc: '2.0', id: message.id, error: answer === 'timeout' ? {code: -32_001, message: 'timed out'} : {code: -32_601, message: 'Method not found'}};
	}, direct));
	t.like(run(transport, [modern(1)])[0], {error: {code: -32_001}});
	t.is(verdict.era, 'unknown');
	answer = 'result';
	t.like(run(transport, [modern(2)])[0], {result: {}});
	t.is(verdict.era, 'modern');
	answer = 'refused';
	t.like(run(transport, [modern(3, 'tools/call')])[0], {error: {code: -32_601}});
	t.is(verdict.era, 'modern');
	t.is(direct.length, 3);
});
