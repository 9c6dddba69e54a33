import {Buffer} from 'node:buffer';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {Ledger, StdioPeer} from '../helpers/accounting.js';
import {eventually} from '../helpers/remote.js';
import {startServerMode} from '../helpers/server-mode.js';
import {serveOnLoopback} from '../helpers/loopback-server.js';

/*
Secrets never show: not in the log (debug level), not in the --log-messages file, not in /status, not in the errors the proxy sends its clients, even when a peer quotes them back. The remote here is a naive one that echoes every credential it gets into its error bodies (as some do: "invalid token abc…"), and a child prints the token it was given.
*/

type Leaky = {url: string; echoed: string[]};

async function read(request: IncomingMessage): Promise<string> {
	const chunks: Uint8Array[] = [];
	for await (const chunk of request) {
		chunks.push(chunk as Uint8Array);
	}

	return Buffer.concat(chunks).toString('utf8');
}

/**
A server whose every answer is a refusal that quotes the credentials and the body it got.
*/
async function startLeaky(t: ExecutionContext): Promise<Leaky> {
	const echoed: string[] = [];
	let count = 0;
	const server = createServer((request, response) => {
		void read(request).then(body => {
			answer(request, response, body);
		});
	});
	const answer = (request: IncomingMessage, response: ServerResponse, body: string) => {
		const echo = `authorization=${request.headers.authorization ?? ''} x-api-key=${String(request.headers['x-api-key'] ?? '')} body=${body}`;
		echoed.push(echo);
		if (request.url?.startsWith('/token')) {
			response.writeHead(401, {'content-type': 'application/json'});
			response.end(JSON.stringify({error: 'invalid_client', error_description: `rejected: ${echo}`}));
			return;
		}

		// Alternately a JSON-RPC error body and plain text, the two ways the proxy quotes a refusal.
		if (count++ % 2 === 0) {
			response.writeHead(401, {'content-type': 'application/json', 'www-authenticate': 'Bearer'});
			response.end(JSON.stringify({jsonrpc: '2.0', id: null, error: {code: -32_001, message: `invalid credentials: ${echo}`}}));
		} else {
			response.writeHead(401, {'content-type': 'text/plain', 'www-authenticate': 'Bearer'});
			response.end(`Unauthorized: ${echo}`);
		}
	};

	return {url: await serveOnLoopback(t, server), echoed};
}

const temporary = () => mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-secrets-'));

/**
Every output, and every secret in every spelling a peer might quote.
*/
function assertNoSecret(t: ExecutionContext, outputs: Record<string, string>, secrets: string[]): void {
	for (const [where, text] of Object.entries(outputs)) {
		t.true(text.length > 0, `${where} is not empty`);
		for (const secret of secrets) {
			t.false(text.includes(secret), `${where} shows ${secret}`);
		}
	}
}

async function runClientMode(t: ExecutionContext, leaky: Leaky, args: string[], env: Record<string, string> = {}) {
	const log = path.join(temporary(), 'messages.jsonl');
	const ledger = new Ledger();
	const peer = new StdioPeer(['--debug', '--log-messages', log, '--reconnect-delay', '100ms', ...args, `${leaky.url}/mcp`], ledger, {env, deadline: 15_000});
	t.teardown(() => {
		peer.kill();
	});
	const initialize = await peer.initialize();
	t.is(initialize?.kind, 'error');
	t.regex(initialize?.message ?? '', /401|refused/);
	const list = await peer.call('tools/list');
	t.not(list, undefined, 'a later request is answered too');
	peer.child.stdin.end();
	await peer.child;
	return {
		stderr: peer.stderr,
		stdout: peer.stdout.join('\n'),
		'message log': readFileSync(log, 'utf8'),
	};
}

test.serial('client mode: API_ACCESS_TOKEN, an X-Api-Key header and an Authorization header never show, though the remote quotes them', async t => {
	const leaky = await startLeaky(t);
	const token = 'tok-Access-0123456789';
	const key = 'key-Header-9876543210';
	const outputs = await runClientMode(t, leaky, ['--transport', 'streamablehttp', '-H', 'X-Api-Key', key], {API_ACCESS_TOKEN: token});
	t.true(leaky.echoed.some(echo => echo.includes(token) && echo.includes(key)), 'the remote received and quoted both');
	assertNoSecret(t, outputs, [token, key]);
	t.regex(outputs.stderr, /HTTP 401/);

	const bearer = 'tok-Bearer-5555555555';
	const second = await runClientMode(t, leaky, ['--transport', 'streamablehttp', '-H', 'Authorization', `Bearer ${bearer}`]);
	t.true(leaky.echoed.some(echo => echo.includes(bearer)));
	assertNoSecret(t, second, [bearer]);
});

test.serial('client mode: an OAuth client secret never shows, as sent in Basic or in a form, though the token endpoint quotes it', async t => {
	const leaky = await startLeaky(t);
	const secret = 'oauth+Secret/77 abc';
	const formEncoded = new URLSearchParams([['s', secret]]).toString().slice(2);
	const basic = Buffer.from(`proxy-client:${formEncoded}`).toString('base64');
	const outputs = await runClientMode(t, leaky, ['--client-id', 'proxy-client', '--client-secret', secret, '--token-url', `${leaky.url}/token`]);
	t.true(leaky.echoed.some(echo => echo.includes(basic)), 'the endpoint quoted the Basic credentials');
	t.true(leaky.echoed.some(echo => echo.includes(formEncoded)), 'the endpoint quoted the form body');
	assertNoSecret(t, outputs, [secret, formEncoded, basic]);
	t.regex(outputs.stdout, /token endpoint .* refused the client credentials \(HTTP 401, invalid_client/);
});

test.serial('server mode: the API key, remote headers and a child\'s token never show in the log, the message log, /status or error bodies', async t => {
	const leaky = await startLeaky(t);
	const directory = temporary();
	const log = path.join(directory, 'messages.jsonl');
	const config = path.join(directory, 'servers.json');
	const apiKey = 'api-Key-Server-24680';
	const childToken = 'tok-Child-13579';
	const remoteToken = 'tok-Remote-112233';
	const remoteKey = 'key-Remote-445566';
	writeFileSync(config, JSON.stringify({mcpServers: {leaky: {url: `${leaky.url}/mcp`, transport: 'streamablehttp', headers: {Authorization: `Bearer ${remoteToken}`, 'X-Api-Key': remoteKey}}}}));
	const child = String.raw`process.stderr.write("starting with token " + process.env.SERVICE_TOKEN + "\n"); process.exit(1)`;
	const proxy = await startServerMode(t, [
		'--api-key', apiKey, '--debug', '--log-messages', log, '--restart-delay', '5s', '--named-server-config', config, '-e', 'SERVICE_TOKEN', childToken, '--', process.execPath, '-e', child,
	]);
	const headers = {'content-type': 'application/json', accept: 'application/json, text/event-stream'};
	const bodies: string[] = [];
	const send = async (url: string, init: RequestInit = {}) => {
		const response = await fetch(url, init);
		const text = await response.text();
		bodies.push(`${response.status} ${text}`);
		return {status: response.status, text};
	};

	const initialize = JSON.stringify({
		jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'secrets', version: '1'}},
	});
	// Refused: no key, a wrong one.
	const noKey = await send(`${proxy.base}/mcp`, {method: 'POST', headers, body: initialize});
	t.is(noKey.status, 401);
	const wrongKey = await send(`${proxy.base}/status`, {headers: {authorization: 'Bearer wrong-key'}});
	t.is(wrongKey.status, 401);
	const authorized = {...headers, authorization: `Bearer ${apiKey}`};
	// The default server died printing its token; the remote refused its credentials, quoting them.
	t.true(await eventually(async () => {
		const {text} = await send(`${proxy.base}/status`, {headers: {'x-api-key': apiKey}});
		const {servers} = JSON.parse(text) as {servers: Record<string, {state: string; lastError?: string}>};
		return servers['default']?.lastError !== undefined && servers['leaky']?.lastError !== undefined;
	}, 15_000));
	const toDefault = await send(`${proxy.base}/mcp`, {method: 'POST', headers: authorized, body: initialize});
	t.regex(toDefault.text, /not available: The child .* exited with code 1; its last output on standard error:\\nstarting with token \*\*\*/);
	const toLeaky = await send(`${proxy.base}/servers/leaky/mcp`, {method: 'POST', headers: authorized, body: initialize});
	t.regex(toLeaky.text, /not available: .*HTTP 401/);
	t.true(leaky.echoed.some(echo => echo.includes(remoteToken) && echo.includes(remoteKey)), 'the remote received and quoted both');
	t.true(await proxy.logged(/starting with token \*{3}/), `${proxy.stderr()}`);

	const status = await send(`${proxy.base}/status`, {headers: {'x-api-key': apiKey}});
	t.regex(status.text, /\*{3}/);
	assertNoSecret(t, {
		stderr: proxy.stderr(), 'message log': readFileSync(log, 'utf8'), 'HTTP bodies': bodies.join('\n'), '/status': status.text,
	}, [apiKey, childToken, remoteToken, remoteKey]);
});

test.serial('server mode: a child\'s command line is never sent to clients, and its secret-looking values never show in the log or /status', async t => {
	const secrets = ['argv-Key-1001', 'argv-Token-1002', 'argv-Env-1003', 'argv-Bearer-1004', 'argv-Url-1005', 'argv-Query-1006'];
	const [key, token, environmentToken, bearer, password, query] = secrets as [string, string, string, string, string, string];
	const child = 'setTimeout(() => process.exit(1), 300)';
	const proxy = await startServerMode(t, [
		'--debug',
		'--restart-delay',
		'5s',
		'--',
		process.execPath,
		'-e',
		child,
		'--',
		'--api-key',
		key,
		`--token=${token}`,
		`GITHUB_TOKEN=${environmentToken}`,
		`Authorization: Bearer ${bearer}`,
		`https://user:${password}@example.com/sse?access_token=${query}`,
	]);
	const failed = async () => {
		const {body} = await proxy.status();
		return body.servers.default.lastError !== undefined;
	};

	t.true(await eventually(failed, 15_000), 'the child failed');
	const response = await fetch(`${proxy.base}/mcp`, {
		method: 'POST',
		headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream'},
		body: JSON.stringify({
			jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'secrets', version: '1'}},
		}),
	});
	const body = await response.text();
	t.regex(body, /The server is not available: The child `.*node` exited with code 1/);
	t.false(body.includes('--api-key'), 'the error names the program, not its arguments');
	t.false(body.includes('setTimeout'), 'the error names the program, not its arguments');
	const {body: statusBody} = await proxy.status();
	const status = JSON.stringify(statusBody);
	t.true(await proxy.logged(/started, pid/), `${proxy.stderr()}`);
	t.regex(proxy.stderr(), /--api-key \*\*\* --token=\*\*\*/, 'the log shows where the secrets were');
	assertNoSecret(t, {stderr: proxy.stderr(), 'HTTP body': body, '/status': status}, secrets);
});
