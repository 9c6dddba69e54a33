import process from 'node:process';
import {readFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
	lastValueFrom, map, of, toArray,
} from 'rxjs';
import {tapMessages, type TappedMessage} from '../../source/operators/tap-messages.js';
import {messageLog} from '../../source/operators/message-log.js';
import {createRedactor} from '../../source/redactor.js';
import type {Message, Transport} from '../../source/types.js';

const echo: Transport = outgoing$ => outgoing$.pipe(map(message => ({jsonrpc: '2.0', id: (message as {id: number}).id, result: {}})));

test('tapMessages shows each message with its direction and session, and changes nothing', async t => {
	const entries: TappedMessage[] = [];
	const request: Message = {jsonrpc: '2.0', id: 1, method: 'ping'};
	const received = await lastValueFrom(tapMessages(entry => {
		entries.push(entry);
	}, {session: 's1'})(echo)(of(request)).pipe(toArray()));
	t.deepEqual(received, [{jsonrpc: '2.0', id: 1, result: {}}]);
	t.deepEqual(entries.map(({direction, session, message}) => ({direction, session, message})), [
		{direction: 'client-to-server', session: 's1', message: request},
		{direction: 'server-to-client', session: 's1', message: {jsonrpc: '2.0', id: 1, result: {}}},
	]);
	t.regex(entries[0]!.time, /^\d{4}-\d\d-\d\dT/);
});

test('messageLog writes one JSON line per message to a file, with secrets redacted', async t => {
	const file = path.join(os.tmpdir(), `rx-mcp-proxy-log-${process.pid}-${Date.now()}.jsonl`);
	const redactor = createRedactor();
	redactor.add('sk-test-secret-value');
	const log = messageLog(file, {redactor});
	await lastValueFrom(tapMessages(log.write)(echo)(of({
		jsonrpc: '2.0', id: 1, method: 'x', params: {token: 'sk-test-secret-value'},
	} as Message)));
	await log.close();
	const text = await readFile(file, 'utf8');
	const lines = text.trim().split('\n').map(line => JSON.parse(line) as TappedMessage);
	t.is(lines.length, 2);
	t.deepEqual(lines.map(line => line.direction), ['client-to-server', 'server-to-client']);
	t.deepEqual((lines[0]!.message as {params: unknown}).params, {token: '***'});
});
