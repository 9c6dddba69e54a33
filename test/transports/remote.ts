import test from 'ava';
import {
	concat, firstValueFrom, NEVER, of,
} from 'rxjs';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {startRemoteServer} from '../../fixtures/remote-server.js';
import {remote} from '../../source/transports/remote.js';
import {toSdkTransport} from '../../source/transports/sdk-transport.js';
import {UnsupportedTransportError} from '../../source/errors.js';
import {createLogger} from '../../source/logger.js';

for (const [face, path, expected] of [
	['both', 'mcp', /over Streamable HTTP \(auto-detected\)/],
	['sse', 'sse', /answered the Streamable HTTP initialize with HTTP 405; trying legacy SSE[\s\S]*over legacy SSE \(auto-detected: Streamable HTTP was refused with HTTP 405\)/],
] as const) {
	test(`auto-detection against a ${face} server at /${path}`, async t => {
		const server = await startRemoteServer({transport: face});
		t.teardown(async () => server.close());
		const logged: string[] = [];
		const logger = createLogger({
			write(line) {
				logged.push(line);
			},
		});
		const client = new Client({name: 'test', version: '1.0.0'});
		t.teardown(async () => client.close());
		await client.connect(toSdkTransport(remote({url: path === 'mcp' ? server.urls.mcp : server.urls.sse, logger})));
		const {tools} = await client.listTools();
		t.true(tools.length > 0);
		t.regex(logged.join(''), expected);
		t.true(logged.some(line => line.startsWith('[I')));
	});
}

test('auto-detection against a URL that serves neither transport fails clearly', async t => {
	// Nothing at /mcp on an SSE-only server.
	const server = await startRemoteServer({transport: 'sse'});
	t.teardown(async () => server.close());
	const initialize = {
		jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
	} as const;
	const error = await t.throwsAsync(firstValueFrom(remote({url: server.urls.mcp, logger: createLogger({level: 'silent'})})(concat(of(initialize), NEVER))));
	t.true(error instanceof UnsupportedTransportError);
	t.regex(error.message, /speaks neither Streamable HTTP \(POST initialize: HTTP 404: Not Found\) nor legacy SSE \(.*HTTP 404.*\)\. Check the URL\./);
});

test('a forced transport is used as configured', async t => {
	const server = await startRemoteServer();
	t.teardown(async () => server.close());
	const logged: string[] = [];
	const logger = createLogger({
		write(line) {
			logged.push(line);
		},
	});
	const client = new Client({name: 'test', version: '1.0.0'});
	t.teardown(async () => client.close());
	await client.connect(toSdkTransport(remote({url: server.urls.sse, transport: 'sse', logger})));
	const {tools} = await client.listTools();
	t.true(tools.length > 0);
	t.regex(logged.join(''), /Using legacy SSE to reach http:\/\/127\.0\.0\.1:\d+\/sse \(as configured\)/);
	t.throws(() => remote({url: server.urls.sse, transport: 'websocket' as 'sse'}), {instanceOf: TypeError});
});
