import test from 'ava';
import {
	firstValueFrom, of, toArray, type Observable,
} from 'rxjs';
import {redactErrors} from '../../source/operators/redact-errors.js';
import {createRedactor, noRedaction} from '../../source/redactor.js';
import type {Message, Transport} from '../../source/types.js';
import {testScheduler} from '../helpers/marbles.js';

const secret = 'sk-live-0123456789abcdef';
const leaked: Message = {jsonrpc: '2.0', id: 1, error: {code: -32_603, message: `The server said: bad key ${secret}`, data: {keep: true}}};
const clean: Message = {jsonrpc: '2.0', id: 2, error: {code: -32_603, message: 'Nothing to hide'}};
const result: Message = {jsonrpc: '2.0', id: 3, result: {text: secret}};

test('error texts lose the redactor\'s secrets; other fields, clean errors and other messages pass as they are', t => {
	const redactor = createRedactor();
	redactor.add(secret);
	testScheduler(t).run(({cold, expectObservable}) => {
		const transport: Transport = () => cold('a-b-c|', {a: leaked, b: clean, c: result});
		const redacted = redactErrors(redactor)(transport);
		expectObservable(redacted(cold('|') as Observable<Message>)).toBe('a-b-c|', {
			a: {jsonrpc: '2.0', id: 1, error: {code: -32_603, message: 'The server said: bad key ***', data: {keep: true}}},
			b: clean,
			// Results are the peer's data, forwarded raw: only the proxy's error texts are redacted.
			c: result,
		});
	});
	// The message the transport gave is not changed in place.
	t.true((leaked as {error: {message: string}}).error.message.includes(secret));
});

test('a clean error is the same object, not a copy', async t => {
	const redactor = createRedactor();
	redactor.add(secret);
	const transport: Transport = () => of(clean);
	const [message] = await firstValueFrom(redactErrors(redactor)(transport)(of()).pipe(toArray()));
	t.is(message, clean);
});

test('with no redaction the transport is returned unwrapped', t => {
	const transport: Transport = outgoing$ => outgoing$;
	t.is(redactErrors(noRedaction)(transport), transport);
});
