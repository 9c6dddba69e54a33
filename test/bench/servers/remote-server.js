#!/usr/bin/env node
// The B4 remote: the fixture server (fixtures/echo-tools.js) served over Streamable HTTP by the official SDK,
// stateful, one McpServer per session. Prints its URL (`http://127.0.0.1:PORT/mcp`) on stdout.
// Stand-in until fixtures/remote-server.js lands; `remoteServer` in ../profiles.js names the script to run.
import {Buffer} from 'node:buffer';
import {randomUUID} from 'node:crypto';
import http from 'node:http';
import process from 'node:process';
import {StreamableHTTPServerTransport} from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {createEchoServer} from '../../../fixtures/echo-tools.js';

const transports = new Map();

async function readJson(request) {
	const chunks = [];
	for await (const chunk of request) {
		chunks.push(chunk);
	}

	return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function handle(request, response) {
	if (!request.url.startsWith('/mcp')) {
		response.writeHead(404).end();
		return;
	}

	const sessionId = request.headers['mcp-session-id'];
	const body = request.method === 'POST' ? await readJson(request) : undefined;
	let transport = sessionId === undefined ? undefined : transports.get(sessionId);
	if (transport === undefined) {
		if (sessionId !== undefined) {
			response.writeHead(404, {'content-type': 'application/json'}).end(JSON.stringify({jsonrpc: '2.0', id: null, error: {code: -32_001, message: 'Session not found'}}));
			return;
		}

		if (body?.method !== 'initialize') {
			response.writeHead(400, {'content-type': 'application/json'}).end(JSON.stringify({jsonrpc: '2.0', id: null, error: {code: -32_000, message: 'Missing Mcp-Session-Id'}}));
			return;
		}

		transport = new StreamableHTTPServerTransport({
			sessionIdGenerator: () => randomUUID(),
			onsessioninitialized(id) {
				transports.set(id, transport);
			},
		});
		// An SDK transport is no EventTarget: `onclose` is its interface (the server chains onto it on connect).
		// eslint-disable-next-line unicorn/prefer-add-event-listener
		transport.onclose = () => {
			if (transport.sessionId !== undefined) {
				transports.delete(transport.sessionId);
			}
		};

		await createEchoServer({name: 'bench-remote'}).connect(transport);
	}

	await transport.handleRequest(request, response, body);
}

const server = http.createServer((request, response) => {
	handle(request, response).catch(error => {
		if (!response.headersSent) {
			response.writeHead(500).end(String(error));
		}
	});
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
	process.stdout.write(`http://127.0.0.1:${server.address().port}/mcp\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => {
		server.closeAllConnections();
		server.close();
		process.exit(0);
	});
}
