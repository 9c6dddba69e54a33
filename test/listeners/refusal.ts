/*
How a table of checks is run and a refusal sent (source/listeners/refusal.ts): the first refusal wins, and it reaches the client as its status, headers and a JSON-RPC error with id null, over real HTTP on 127.0.0.1.
*/
import {createServer} from 'node:http';
import test from 'ava';
import {createLogger} from '../../source/logger.js';
import {
	firstRefusal, sendRefusal, type Check, type Refusal,
} from '../../source/listeners/refusal.js';
import {serveOnLoopback} from '../helpers/loopback-server.js';

test('the first refusal of an ordered table wins, and the checks after it are not run', t => {
	const ran: string[] = [];
	const check = (name: string, refusal?: Refusal): Check<number> => input => {
		ran.push(`${name}(${input})`);
		return refusal;
	};

	const teapot: Refusal = {status: 418, message: 'teapot'};
	t.is(firstRefusal([check('a'), check('b', teapot), check('c', {status: 400, message: 'late'})], 1), teapot);
	t.deepEqual(ran, ['a(1)', 'b(1)']);
	t.is(firstRefusal([check('d'), check('e')], 2), undefined);
	t.is(firstRefusal([], 3), undefined);
	t.deepEqual(ran, ['a(1)', 'b(1)', 'd(2)', 'e(2)']);
});

test('a refusal is sent as its status and headers with a JSON-RPC error (id null, code -32000 unless it says), and its log line goes to debug', async t => {
	t.timeout(10_000);
	const lines: string[] = [];
	const logger = createLogger({
		level: 'debug',
		write(line) {
			lines.push(line);
		},
	});
	const refusals: Record<string, Refusal> = {
		'/coded': {
			status: 404, code: -32_001, message: 'Session not found', headers: {'retry-after': '1'}, log: 'refused: no session',
		},
		'/plain': {status: 503, message: 'The server is shutting down'},
	};
	const base = await serveOnLoopback(t, createServer((request, response) => {
		sendRefusal(response, refusals[request.url!]!, logger);
	}));

	const coded = await fetch(`${base}/coded`);
	t.is(coded.status, 404);
	t.is(coded.headers.get('retry-after'), '1');
	t.regex(coded.headers.get('content-type') ?? '', /^application\/json/);
	t.deepEqual(await coded.json(), {jsonrpc: '2.0', id: null, error: {code: -32_001, message: 'Session not found'}});

	const plain = await fetch(`${base}/plain`);
	t.is(plain.status, 503);
	t.deepEqual(await plain.json(), {jsonrpc: '2.0', id: null, error: {code: -32_000, message: 'The server is shutting down'}});

	t.is(lines.length, 1);
	t.regex(lines[0]!, /refused: no session/);
});
