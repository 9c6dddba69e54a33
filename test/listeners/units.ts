import type {IncomingMessage} from 'node:http';
import test from 'ava';
import {parseRoute, isServerName} from '../../source/listeners/routes.js';
import {EventStore, parseEventId, formatEventId} from '../../source/listeners/event-store.js';
import {Payload} from '../../source/listeners/payload.js';
import {createSecurity} from '../../source/listeners/security.js';
import {isLoopbackHost} from '../../source/loopback.js';
import {isAcceptableVersion} from '../../source/listeners/checks/streamable.js';
import {accepts, isJsonContentType} from '../../source/listeners/http-io.js';

const served = new Set(['', 'github', 'my server']);

const payload = (text: string) => new Payload(text, 'notification');

test('parseRoute: the served routes', t => {
	t.deepEqual(parseRoute('/mcp', served), {kind: 'mcp', server: ''});
	t.deepEqual(parseRoute('/mcp?x=1', served), {kind: 'mcp', server: ''});
	t.deepEqual(parseRoute('/sse', served), {kind: 'sse', server: ''});
	t.deepEqual(parseRoute('/messages/?session_id=abc', served), {kind: 'messages', server: ''});
	t.deepEqual(parseRoute('/messages?session_id=abc', served), {kind: 'messages', server: ''});
	t.deepEqual(parseRoute('/status', served), {kind: 'status'});
	t.deepEqual(parseRoute('/servers/github/mcp', served), {kind: 'mcp', server: 'github'});
	t.deepEqual(parseRoute('/servers/my%20server/messages/', served), {kind: 'messages', server: 'my server'});
	t.is(parseRoute('/mcp', new Set(['github'])), undefined, 'no default server, no /mcp');
});

test('parseRoute: traversal, odd encodings and strangers never match', t => {
	for (const target of ['/servers/../mcp', '/servers/%2e%2e/mcp', '/servers/a%2Fb/mcp', '/servers/github%2fmcp', '/servers/%zz/mcp', '/servers//mcp', '/servers/github/mcp/x', '/servers/GITHUB/mcp', '/mcp//', '//mcp', '', 'mcp', '*', '/servers/github/status', `/servers/${'a'.repeat(3000)}/mcp`, undefined]) {
		t.is(parseRoute(target, served), undefined, `${String(target)}`);
	}
});

test('isServerName', t => {
	t.true(isServerName(''));
	t.true(isServerName('a-b_c.d'));
	t.true(isServerName('with space'));
	for (const name of ['.', '..', 'a/b', String.raw`a\b`, 'a?b', 'a#b', 'a%2F', 'a\u0000']) {
		t.false(isServerName(name), `${name}`);
	}
});

test('EventStore: ids name their stream, replay is per stream, bounds drop the oldest', t => {
	const store = new EventStore({maxEvents: 3, maxBytes: 100});
	const a1 = store.append('p', 1, payload('a1'));
	const b1 = store.append('g', 2, payload('b1'));
	const a2Payload = payload('a2');
	const a2 = store.append('p', 1, a2Payload);
	t.deepEqual(parseEventId(a1), {kind: 'p', stream: 1, sequence: 1});
	t.is(formatEventId('g', 2, 2), b1);
	t.deepEqual(store.after(parseEventId(a1)!), [{id: a2, payload: a2Payload, sequence: 3}]);
	t.deepEqual(store.after(parseEventId(b1)!), []);
	store.append('p', 1, payload('a3'));
	t.is(store.size, 3);
	t.deepEqual(store.after({kind: 'p', stream: 1, sequence: 0}).map(event => event.payload.text), ['a2', 'a3'], 'the oldest went');
	store.append('g', 2, payload('x'.repeat(150)));
	t.is(store.size, 3, 'an event larger than the byte bound is not kept');
	store.append('g', 2, payload('y'.repeat(90)));
	t.deepEqual(store.after({kind: 'g', stream: 2, sequence: 0}).map(event => event.payload.size), [90], 'the byte bound drops the oldest');
	t.true(store.issued(6));
	t.false(store.issued(7));
	for (const id of ['', 'x1-1', 'p-1', 'p1-', 'p1-1-1', 'g1_1']) {
		t.is(parseEventId(id), undefined, `${id}`);
	}

	const big = new EventStore({maxEvents: 1000, maxBytes: 1_000_000});
	for (let index = 0; index < 5000; index++) {
		big.append('p', index % 7, payload(String(index)));
	}

	t.is(big.size, 1000);
	t.deepEqual(big.after({kind: 'p', stream: 3, sequence: 4990}).map(event => event.payload.text), ['4994']);
});

test('EventStore: it knows when a replay from an event can be incomplete', t => {
	const store = new EventStore({maxEvents: 2, maxBytes: 100});
	store.append('p', 1, payload('a'));
	t.false(store.droppedAfter(1));
	store.append('p', 1, payload('b'));
	store.append('p', 1, payload('c'));
	// Event 1 went: a client resuming after event 0 misses it, one resuming after event 1 misses nothing.
	t.true(store.droppedAfter(0));
	t.false(store.droppedAfter(1));
	store.append('g', 2, payload('x'.repeat(150)));
	t.true(store.droppedAfter(3), 'an event too large to keep counts as dropped');
});

const fakeRequest = (headers: Record<string, string>) => ({headers}) as unknown as IncomingMessage;

test('security: Host, Origin, CORS and the API key', t => {
	const security = createSecurity({host: '127.0.0.1', exposeHeaders: ['Mcp-Session-Id'], apiKey: 'k3y-value'});
	t.true(security.hostAllowed(fakeRequest({host: 'localhost:8080'})));
	t.true(security.hostAllowed(fakeRequest({host: '[::1]:80'})));
	t.true(security.hostAllowed(fakeRequest({})));
	t.false(security.hostAllowed(fakeRequest({host: 'localhost.evil.example'})));
	t.false(security.hostAllowed(fakeRequest({host: '127.0.0.1.nip.io'})));
	t.true(security.originAllowed(undefined));
	t.true(security.originAllowed('http://localhost:5173'));
	t.false(security.originAllowed('http://localhost.evil.example'));
	t.false(security.originAllowed('file://'));
	t.false(security.originAllowed('null'));
	t.is(security.corsHeaders('http://localhost:5173'), undefined, 'CORS only with allowOrigins');
	t.true(security.authorized(fakeRequest({authorization: 'Bearer k3y-value'})));
	t.true(security.authorized(fakeRequest({'x-api-key': 'k3y-value'})));
	t.false(security.authorized(fakeRequest({authorization: 'Bearer k3y-valuE'})));
	t.false(security.authorized(fakeRequest({})));

	const open = createSecurity({host: '0.0.0.0', allowOrigins: ['https://app.example/'], exposeHeaders: ['Mcp-Session-Id']});
	t.true(open.hostAllowed(fakeRequest({host: 'anything.example'})), 'no Host check off loopback');
	t.true(open.originAllowed('https://APP.example'));
	t.false(open.originAllowed('https://app.example.evil'));
	t.like(open.corsHeaders('https://app.example'), {'Access-Control-Allow-Origin': 'https://app.example'});
	t.true(open.authorized(fakeRequest({})));
	t.true(isLoopbackHost('::1'));
	t.true(isLoopbackHost('127.0.0.2'));
	t.false(isLoopbackHost('0.0.0.0'));
	for (const host of ['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::ffff:127.1.2.3]']) {
		t.true(isLoopbackHost(host), `not loopback: ${host}`);
	}

	for (const host of ['127.0.0.1.evil.example', 'localhost.evil.example', '::', '128.0.0.1', '::ffff:10.0.0.1', '']) {
		t.false(isLoopbackHost(host), `loopback: ${host}`);
	}
});

test('protocol versions, Accept and Content-Type', t => {
	for (const version of ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28']) {
		t.true(isAcceptableVersion(version), `${version}`);
	}

	for (const version of ['', 'latest', '2025-1-1', '2023-01-01', '2025-11-25; drop table']) {
		t.false(isAcceptableVersion(version), `${version}`);
	}

	t.true(accepts('application/json, text/event-stream', 'text/event-stream'));
	t.true(accepts('*/*', 'application/json'));
	t.true(accepts('text/*', 'text/event-stream'));
	t.false(accepts('application/json', 'text/event-stream'));
	t.false(accepts(undefined, 'application/json'));
	t.true(isJsonContentType('application/json; charset=utf-8'));
	t.true(isJsonContentType(undefined));
	t.true(isJsonContentType('application/vnd.api+json'));
	t.false(isJsonContentType('text/plain'));
});
