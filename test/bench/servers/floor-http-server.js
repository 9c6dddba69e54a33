#!/usr/bin/env node
// The direct-http floor: a minimal MCP server on plain node:http that answers at once with JSON (never SSE).
// It measures what the client's own HTTP stack costs, so no HTTP face can beat it. It knows `initialize`,
// notifications, `ping`, `tools/list` and `tools/call` of `echo {text}` and `big {bytes}`, checks
// `Mcp-Session-Id`, ends sessions on DELETE and answers GET with 405 (no server-to-client stream).
// Prints its URL (`http://127.0.0.1:PORT/mcp`) on stdout.
import {randomUUID} from 'node:crypto';
import {send, serveJsonFace} from './json-face.js';

const protocolVersions = new Set(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
const tools = [
	{name: 'echo', description: 'Return the text it is given.', inputSchema: {type: 'object', properties: {text: {type: 'string'}}, required: ['text']}},
	{name: 'big', description: 'Return a text of `bytes` bytes.', inputSchema: {type: 'object', properties: {bytes: {type: 'integer', minimum: 0}}, required: ['bytes']}},
];
const sessions = new Set();
const bigTexts = new Map();

const text = value => ({content: [{type: 'text', text: value}]});

function bigText(bytes) {
	let value = bigTexts.get(bytes);
	if (value === undefined) {
		value = 'x'.repeat(bytes);
		bigTexts.clear();
		bigTexts.set(bytes, value);
	}

	return value;
}

function callTool({name, arguments: input = {}}) {
	if (name === 'echo' && typeof input.text === 'string') {
		return {result: text(input.text)};
	}

	if (name === 'big' && Number.isInteger(input.bytes) && input.bytes >= 0) {
		return {result: text(bigText(input.bytes))};
	}

	return {error: {code: -32_602, message: `Unknown tool or bad arguments: ${name}`}};
}

function answer(message) {
	switch (message.method) {
		case 'initialize': {
			const requested = message.params?.protocolVersion;
			return {
				result: {
					protocolVersion: protocolVersions.has(requested) ? requested : '2025-06-18',
					capabilities: {tools: {}},
					serverInfo: {name: 'floor-http', version: '1.0.0'},
				},
			};
		}

		case 'ping': {
			return {result: {}};
		}

		case 'tools/list': {
			return {result: {tools}};
		}

		case 'tools/call': {
			return callTool(message.params ?? {});
		}

		default: {
			return {error: {code: -32_601, message: `Method not found: ${message.method}`}};
		}
	}
}

function handlePost(request, response, message) {
	const sessionId = request.headers['mcp-session-id'];
	if (message.method === 'initialize') {
		const id = randomUUID();
		sessions.add(id);
		send(response, 200, {jsonrpc: '2.0', id: message.id, ...answer(message)}, {'mcp-session-id': id});
		return;
	}

	if (sessionId === undefined) {
		send(response, 400, {jsonrpc: '2.0', id: null, error: {code: -32_000, message: 'Missing Mcp-Session-Id'}});
		return;
	}

	if (!sessions.has(sessionId)) {
		send(response, 404, {jsonrpc: '2.0', id: null, error: {code: -32_001, message: 'Session not found'}});
		return;
	}

	if (message.id === undefined || message.method === undefined) {
		// A notification or a response to us: accepted, nothing to say.
		send(response, 202);
		return;
	}

	send(response, 200, {jsonrpc: '2.0', id: message.id, ...answer(message)});
}

serveJsonFace({sessions, onPost: handlePost});
