import type {IncomingMessage} from 'node:http';
import test from 'ava';
import {createSecurity, parameterHeaders} from '../../source/listeners/security.js';
import {isLoopbackHost} from '../../source/loopback.js';

/*
The listener's security settings: Host (DNS rebinding) on loopback binds, Origin, CORS headers and the API key.
*/

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

test('a preflight allows the Mcp-Param-* headers it asks for, and only valid ones, at most 64', t => {
	const security = createSecurity({host: '0.0.0.0', allowOrigins: ['https://app.example'], exposeHeaders: []});
	const allowed = (requested?: string) => String(security.preflightHeaders('https://app.example', requested)['Access-Control-Allow-Headers']).split(', ');
	t.deepEqual(allowed('content-type, Mcp-Param-Region,mcp-param-x_y').slice(-2), ['Mcp-Param-Region', 'mcp-param-x_y']);
	t.false(allowed('content-type, mcp-param-region').includes('content-type'), 'only the Mcp-Param-* names are added to the fixed list');
	t.deepEqual(parameterHeaders('mcp-param-, mcp-param-a b, x-mcp-param-a, mcp-param-é, mcp-param-ok'), ['mcp-param-ok']);
	t.deepEqual(parameterHeaders(undefined), []);
	t.is(parameterHeaders(Array.from({length: 100}, (_, index) => `mcp-param-p${index}`).join(',')).length, 64);
	t.is(security.preflightHeaders('https://app.example').vary, 'Origin, Access-Control-Request-Headers');
	t.is(security.preflightHeaders(undefined, 'mcp-param-region')['Access-Control-Allow-Headers'], undefined, 'no CORS headers without an Origin');
});

test('allowHosts: a reverse proxy\'s public name passes the Host check of a loopback bind; `*` turns the check off', t => {
	const behindProxy = createSecurity({host: '127.0.0.1', allowHosts: ['MCP.example.com'], exposeHeaders: []});
	t.true(behindProxy.hostAllowed(fakeRequest({host: 'mcp.example.com'})));
	t.true(behindProxy.hostAllowed(fakeRequest({host: 'mcp.example.com:443'})));
	t.true(behindProxy.hostAllowed(fakeRequest({host: 'localhost:8080'})), 'this machine\'s names still pass');
	t.false(behindProxy.hostAllowed(fakeRequest({host: 'evil.example'})));
	t.false(behindProxy.hostAllowed(fakeRequest({host: 'mcp.example.com.evil.example'})));
	const anyHost = createSecurity({host: '127.0.0.1', allowHosts: ['*'], exposeHeaders: []});
	t.true(anyHost.hostAllowed(fakeRequest({host: 'evil.example'})));
});

test('allowHeaders: a preflight is allowed the names given; with `*`, every valid name it asks for (echoed: a literal * would not cover Authorization)', t => {
	const preflight = (allowHeaders: string[], requested: string) => String(createSecurity({
		host: '0.0.0.0', allowOrigins: ['*'], allowHeaders, exposeHeaders: [],
	}).preflightHeaders('https://app.example', requested)['Access-Control-Allow-Headers']).split(', ');
	t.deepEqual(preflight(['X-Trace-Id'], 'x-other').slice(-1), ['X-Trace-Id']);
	t.false(preflight(['X-Trace-Id'], 'x-other').includes('x-other'));
	const any = preflight(['*'], 'x-other, Authorization, bad name, mcp-param-a');
	t.deepEqual(any.slice(-3), ['x-other', 'Authorization', 'mcp-param-a']);
	t.false(any.includes('*'));
});
