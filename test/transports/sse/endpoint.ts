/*
The legacy SSE server's `endpoint` event as a table (source/transports/sse/endpoint.ts): resolved against the SSE URL, and kept within its origin or its https form.
*/
import test from 'ava';
import {ProtocolError, TransportError} from '../../../source/errors.js';
import {resolveEndpoint} from '../../../source/transports/sse/endpoint.js';

const url = new URL('http://127.0.0.1:8080/sse');

test('the endpoint: resolved against the SSE URL, within its origin (or its https form) only', t => {
	t.is(String(resolveEndpoint('/messages?sessionId=1', url)), 'http://127.0.0.1:8080/messages?sessionId=1');
	t.is(String(resolveEndpoint('  messages\n', url)), 'http://127.0.0.1:8080/messages');
	t.is(String(resolveEndpoint('http://127.0.0.1:8080/other', url)), 'http://127.0.0.1:8080/other');
	t.is(String(resolveEndpoint('https://example.com/messages', new URL('http://example.com/sse'))), 'https://example.com/messages', 'the https form of the SSE URL\'s origin');
	const elsewhere = resolveEndpoint('http://203.0.113.9/messages', url);
	t.true(elsewhere instanceof TransportError);
	t.is((elsewhere as Error).message, 'The remote server asked us to POST to another origin (http://203.0.113.9); refusing. Only http://127.0.0.1:8080 is trusted.');
	for (const other of ['http://127.0.0.1:8081/messages', 'https://127.0.0.1:8080/messages', 'ftp://127.0.0.1:8080/messages']) {
		t.true(resolveEndpoint(other, url) instanceof TransportError, `${other}`);
	}

	t.true(resolveEndpoint('http://example.com/messages', new URL('https://example.com/sse')) instanceof TransportError, 'never from https down to http');
	const invalid = resolveEndpoint('http://[bad', url);
	t.true(invalid instanceof ProtocolError);
	t.is((invalid as Error).message, 'The remote server\'s endpoint event holds no valid URL: http://[bad');
});
