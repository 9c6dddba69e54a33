import test from 'ava';
import {requestChecks, type RequestFacts} from '../../../source/listeners/checks/request.js';
import {firstRefusal, type Refusal} from '../../../source/listeners/refusal.js';
import {parseRoute} from '../../../source/listeners/routes.js';
import {createSecurity} from '../../../source/listeners/security.js';

/*
The request-wide checks as tables: a request's facts in, the refusal out (or none), in the listener's order. No sockets.
*/

const served = new Set(['', 'alpha']);
const checks = requestChecks(createSecurity({
	host: '127.0.0.1', exposeHeaders: ['Mcp-Session-Id'], apiKey: 'the-key',
}));
const open = requestChecks(createSecurity({host: '127.0.0.1', exposeHeaders: []}));

function facts(overrides: Partial<RequestFacts> & {rawHeaders?: string[]} = {}): RequestFacts {
	const url = overrides.url ?? '/mcp';
	const headers = {host: 'localhost:3000', 'x-api-key': 'the-key', ...overrides.headers};
	return {
		method: 'POST',
		url,
		headers,
		rawHeaders: overrides.rawHeaders ?? Object.entries(headers).flat() as string[],
		route: parseRoute(url, served),
		closing: false,
		stateless: false,
		...overrides,
	};
}

const brief = (refusal: Refusal | undefined) => refusal && {
	status: refusal.status, message: refusal.message, headers: refusal.headers, log: refusal.log,
};

test('the gate: shutting down, then repeated headers, Host, Origin; the first refusal wins', t => {
	const rows: Array<[string, RequestFacts, ReturnType<typeof brief>]> = [
		['a plain request', facts(), undefined],
		['closing', facts({closing: true, headers: {host: 'evil.example'}}), {
			status: 503, message: 'The server is shutting down', headers: {connection: 'close'}, log: undefined,
		}],
		['two Host headers', facts({rawHeaders: ['Host', 'localhost', 'Host', 'evil.example']}), {
			status: 400, message: 'Bad Request: more than one Host header', headers: {connection: 'close'}, log: 'Refused a request with more than one Host header',
		}],
		['a foreign Host', facts({headers: {host: 'evil.example', origin: 'https://evil.example'}}), {
			status: 403,
			message: 'Forbidden: invalid Host header (DNS rebinding protection). Behind a reverse proxy, allow the host name it forwards with the `allowHosts` option',
			headers: undefined,
			log: 'Refused a request with a foreign Host header (DNS rebinding protection; the `allowHosts` option allows a name)',
		}],
		['a foreign Origin', facts({headers: {origin: 'https://evil.example'}}), {
			status: 403, message: 'Forbidden: invalid Origin header', headers: undefined, log: 'Refused a request from a foreign Origin',
		}],
		['a localhost page', facts({headers: {origin: 'http://localhost:5173'}}), undefined],
	];
	for (const [label, input, expected] of rows) {
		t.deepEqual(brief(firstRefusal(checks.gate, input)), expected, `${label}`);
	}
});

test('access: the API key, then the route, then the method (405 with Allow, stateless GET and DELETE say why)', t => {
	const rows: Array<[string, RequestFacts, ReturnType<typeof brief>]> = [
		['no key', facts({headers: {'x-api-key': 'wrong'}, url: '/nowhere'}), {
			status: 401, message: 'Unauthorized: a valid API key is required', headers: {'WWW-Authenticate': 'Bearer'}, log: undefined,
		}],
		['no route', facts({url: '/servers/beta/mcp'}), {
			status: 404, message: 'Not Found', headers: undefined, log: undefined,
		}],
		['PUT /mcp', facts({method: 'PUT'}), {
			status: 405, message: 'Method not allowed', headers: {allow: 'GET, POST, DELETE, OPTIONS'}, log: undefined,
		}],
		['GET /mcp, stateless', facts({method: 'GET', stateless: true}), {
			status: 405, message: 'Method not allowed: this server is stateless', headers: {allow: 'POST, OPTIONS'}, log: undefined,
		}],
		['PUT /mcp, stateless', facts({method: 'PUT', stateless: true}), {
			status: 405, message: 'Method not allowed', headers: {allow: 'GET, POST, DELETE, OPTIONS'}, log: undefined,
		}],
		['POST /sse', facts({url: '/sse'}), {
			status: 405, message: 'Method not allowed', headers: {allow: 'GET, OPTIONS'}, log: undefined,
		}],
		['GET /messages/', facts({method: 'GET', url: '/messages/?session_id=x'}), {
			status: 405, message: 'Method not allowed', headers: {allow: 'POST, OPTIONS'}, log: undefined,
		}],
		['POST /status', facts({url: '/status'}), {
			status: 405, message: 'Method not allowed', headers: {allow: 'GET, OPTIONS'}, log: undefined,
		}],
		['HEAD /status', facts({method: 'HEAD', url: '/status'}), undefined],
		['DELETE /servers/alpha/mcp', facts({method: 'DELETE', url: '/servers/alpha/mcp'}), undefined],
		['GET /sse', facts({method: 'GET', url: '/sse'}), undefined],
	];
	for (const [label, input, expected] of rows) {
		t.deepEqual(brief(firstRefusal(checks.access, input)), expected, `${label}`);
	}
});

test('a preflight: a served route passes; without the key, any path shaped like a server\'s passes too; others are not found', t => {
	const preflight = (url: string, key = false) => firstRefusal(checks.preflight, facts({method: 'OPTIONS', url, headers: key ? {} : {'x-api-key': ''}}))?.status;
	t.is(preflight('/servers/alpha/mcp'), undefined);
	t.is(preflight('/servers/beta/mcp'), undefined, 'unknown to a client without the key: answered alike');
	t.is(firstRefusal(checks.preflight, facts({method: 'OPTIONS', url: '/servers/beta/mcp'}))?.status, 404, 'with the key: the truth');
	t.is(preflight('/servers/alpha/nothing'), 404);
	t.is(firstRefusal(open.preflight, facts({method: 'OPTIONS', url: '/nowhere'}))?.status, 404);
});
