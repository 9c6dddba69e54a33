import test from 'ava';
import {parseRoute, isServerName} from '../../source/listeners/routes.js';

/*
Routes: which paths reach which face of which server, and which never reach anything.
*/

const served = new Set(['', 'github', 'my server']);

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
