#!/usr/bin/env node
// The relay floor: the least a Node proxy that spawns a stdio MCP server and serves it over Streamable HTTP can do.
// A plain node:http face (as in floor-http-server.js) in front of one child, and per request one line written to
// the child and one line read back: the same process hops as any such proxy (client → proxy → child → proxy →
// client), with nothing else. It initializes the child once and answers `initialize` from that; gives each session
// an Mcp-Session-Id; renumbers request ids so that concurrent sessions never collide; answers with JSON (never SSE);
// GET → 405; DELETE ends the session. It checks nothing else, keeps no per-request timer, and drops what the child
// sends that is not an answer (the echo fixture sends nothing else). Not a product: a yardstick.
//   node floor-relay.js COMMAND [ARG...]     prints `http://127.0.0.1:PORT/mcp` on stdout once the child is ready
import {Buffer} from 'node:buffer';
import {spawn} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import process from 'node:process';
import {send, serveJsonFace} from './json-face.js';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
	process.stderr.write('usage: floor-relay.js COMMAND [ARG...]\n');
	process.exit(2);
}

const child = spawn(command, args, {stdio: ['pipe', 'pipe', 'inherit']});
child.on('exit', (code, signal) => {
	process.stderr.write(`floor-relay: the child exited (${signal ?? code})\n`);
	process.exit(1);
});

const waiting = new Map();
let nextId = 0;
let pending = [];
child.stdout.on('data', chunk => {
	let start = 0;
	let end = chunk.indexOf(10);
	while (end !== -1) {
		pending.push(chunk.subarray(start, end));
		const line = pending.length === 1 ? pending[0] : Buffer.concat(pending);
		pending = [];
		onLine(line);
		start = end + 1;
		end = chunk.indexOf(10, start);
	}

	if (start < chunk.length) {
		pending.push(chunk.subarray(start));
	}
});

function onLine(line) {
	let message;
	try {
		message = JSON.parse(line.toString('utf8'));
	} catch {
		return;
	}

	const resolve = waiting.get(message.id);
	if (resolve !== undefined && message.method === undefined) {
		waiting.delete(message.id);
		resolve(message);
	}
}

/** Send `message` (a request) to the child under a fresh id; resolves to its answer. */
function ask(message) {
	const id = nextId++;
	return new Promise(resolve => {
		waiting.set(id, resolve);
		child.stdin.write(`${JSON.stringify({...message, id})}\n`);
	});
}

const initialized = await ask({
	jsonrpc: '2.0', method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'floor-relay', version: '1.0.0'}},
});
const initializeResult = initialized.result;
child.stdin.write(`${JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'})}\n`);
const sessions = new Set();

function handlePost(request, response, message) {
	if (message.method === 'initialize') {
		const id = randomUUID();
		sessions.add(id);
		send(response, 200, {jsonrpc: '2.0', id: message.id, result: initializeResult}, {'mcp-session-id': id});
		return;
	}

	if (!sessions.has(request.headers['mcp-session-id'])) {
		send(response, 404, {jsonrpc: '2.0', id: null, error: {code: -32_001, message: 'Session not found'}});
		return;
	}

	if (message.id === undefined || message.method === undefined) {
		// A notification (the child was initialized once, at start) or a response: nothing to forward here.
		send(response, 202);
		return;
	}

	ask(message).then(answer => {
		answer.id = message.id;
		send(response, 200, answer);
	}, error => {
		response.destroy(error);
	});
}

serveJsonFace({
	sessions,
	onPost: handlePost,
	onClose() {
		child.removeAllListeners('exit');
		child.kill('SIGTERM');
	},
});
