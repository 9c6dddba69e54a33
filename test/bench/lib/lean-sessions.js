// Lean MCP sessions: the load generator of B2's server-capacity row. The official SDK client costs about a
// millisecond of CPU per call, so 8 of them in the benchmark's one process saturate near 1,200 calls/s whatever the
// server (the direct-http floor, which answers at once, gets no further): that row would measure the client. A lean
// session speaks the same protocol with a fraction of the cost, the same way to every profile: initialize (keeping
// Mcp-Session-Id and the negotiated MCP-Protocol-Version), notifications/initialized, then requests POSTed one at a
// time on keep-alive connections, answers read as JSON or as an SSE stream (whichever the server sends) and checked;
// DELETE at the end. Over stdio: one JSON-RPC message per line to a child of its own.
import {Buffer} from 'node:buffer';
import {spawn} from 'node:child_process';
import http from 'node:http';
import process from 'node:process';

const protocolVersion = '2025-06-18';
const clientInfo = {name: 'rx-mcp-proxy-bench-lean', version: '1.0.0'};
const agent = new http.Agent({keepAlive: true, maxSockets: Number.POSITIVE_INFINITY});

/** The JSON-RPC response to `id` in an SSE body (events separated by blank lines, `data:` lines joined). */
function responseInEventStream(text, id) {
	for (const event of text.split(/\r?\n\r?\n/)) {
		const data = event.split(/\r?\n/).filter(line => line.startsWith('data:')).map(line => line.slice(5).replace(/^ /, '')).join('\n');
		if (data !== '') {
			const message = JSON.parse(data);
			if (message.id === id && ('result' in message || 'error' in message)) {
				return message;
			}
		}
	}

	return undefined;
}

function post(url, message, headers, timeoutMs) {
	const body = JSON.stringify(message);
	return new Promise((resolve, reject) => {
		const request = http.request(url, {
			method: 'POST',
			agent,
			headers: {
				'content-type': 'application/json',
				accept: 'application/json, text/event-stream',
				'content-length': Buffer.byteLength(body),
				...headers,
			},
			timeout: timeoutMs,
		}, response => {
			const chunks = [];
			response.on('data', chunk => {
				chunks.push(chunk);
			});
			response.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				try {
					let reply;
					if (message.id !== undefined && text !== '') {
						reply = (response.headers['content-type'] ?? '').includes('text/event-stream') ? responseInEventStream(text, message.id) : JSON.parse(text);
					}

					resolve({status: response.statusCode, headers: response.headers, reply});
				} catch (error) {
					reject(new Error(`${message.method}: unreadable answer (HTTP ${response.statusCode}): ${text.slice(0, 120)}`, {cause: error}));
				}
			});
			response.on('error', reject);
		});
		request.on('timeout', () => {
			request.destroy(new Error(`${message.method} took longer than ${timeoutMs} ms`));
		});
		request.on('error', reject);
		request.end(body);
	});
}

function textOf(name, reply) {
	const text = reply?.result?.content?.[0]?.text;
	if (reply?.result?.isError || typeof text !== 'string') {
		throw new Error(`${name} failed: ${JSON.stringify(reply).slice(0, 200)}`);
	}

	return text;
}

/**
Open an initialized lean session over Streamable HTTP.
@param {string} url
@returns {Promise<{call: (name: string, input: object) => Promise<string>, close: () => Promise<void>}>}
*/
export async function openLeanHttpSession(url, {timeoutMs = 30_000} = {}) {
	let nextId = 0;
	const headers = {};
	const initialize = await post(url, {
		jsonrpc: '2.0', id: nextId++, method: 'initialize', params: {protocolVersion, capabilities: {}, clientInfo},
	}, headers, timeoutMs);
	if (initialize.status !== 200 || !initialize.reply?.result) {
		throw new Error(`initialize failed (HTTP ${initialize.status}): ${JSON.stringify(initialize.reply).slice(0, 200)}`);
	}

	const sessionId = initialize.headers['mcp-session-id'];
	if (sessionId !== undefined) {
		headers['mcp-session-id'] = sessionId;
	}

	headers['mcp-protocol-version'] = initialize.reply.result.protocolVersion;
	await post(url, {jsonrpc: '2.0', method: 'notifications/initialized'}, headers, timeoutMs);
	return {
		async call(name, input) {
			const {reply} = await post(url, {
				jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: {name, arguments: input},
			}, headers, timeoutMs);
			return textOf(name, reply);
		},
		async close() {
			if (sessionId === undefined) {
				return;
			}

			await new Promise(resolve => {
				const request = http.request(url, {method: 'DELETE', agent, headers}, response => {
					response.resume();
					response.on('end', resolve);
				});
				request.on('error', resolve);
				request.end();
			});
		},
	};
}

/**
Open an initialized lean session with a stdio server of its own (one JSON-RPC message per line).
@param {{command: string, args: string[], env?: object, cwd?: string}} spec
*/
export async function openLeanStdioSession({command, args, env, cwd}, {timeoutMs = 30_000} = {}) {
	const child = spawn(command, args, {cwd, env: {...process.env, ...env}, stdio: ['pipe', 'pipe', 'ignore']});
	const waiting = new Map();
	let buffer = '';
	let nextId = 0;
	const failAll = error => {
		for (const {reject} of waiting.values()) {
			reject(error);
		}

		waiting.clear();
	};

	child.on('error', failAll);
	child.on('exit', code => {
		failAll(new Error(`the server exited with code ${code}`));
	});
	child.stdout.setEncoding('utf8');
	child.stdout.on('data', chunk => {
		buffer += chunk;
		let end;
		while ((end = buffer.indexOf('\n')) !== -1) {
			const line = buffer.slice(0, end);
			buffer = buffer.slice(end + 1);
			if (line.trim() === '') {
				continue;
			}

			const message = JSON.parse(line);
			const entry = waiting.get(message.id);
			if (entry && !('method' in message)) {
				waiting.delete(message.id);
				clearTimeout(entry.timer);
				entry.resolve(message);
			}
		}
	});
	const request = (method, parameters) => new Promise((resolve, reject) => {
		const id = nextId++;
		const timer = setTimeout(() => {
			waiting.delete(id);
			reject(new Error(`${method} took longer than ${timeoutMs} ms`));
		}, timeoutMs);
		waiting.set(id, {resolve, reject, timer});
		child.stdin.write(`${JSON.stringify({
			jsonrpc: '2.0', id, method, params: parameters,
		})}\n`);
	});

	const initialize = await request('initialize', {protocolVersion, capabilities: {}, clientInfo});
	if (!initialize.result) {
		child.kill();
		throw new Error(`initialize failed: ${JSON.stringify(initialize).slice(0, 200)}`);
	}

	child.stdin.write(`${JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'})}\n`);
	return {
		call: async (name, input) => textOf(name, await request('tools/call', {name, arguments: input})),
		async close() {
			child.stdin.end();
			await new Promise(resolve => {
				if (child.exitCode !== null || child.signalCode !== null) {
					resolve();
					return;
				}

				const timer = setTimeout(() => {
					child.kill('SIGKILL');
				}, 2000);
				child.once('exit', () => {
					clearTimeout(timer);
					resolve();
				});
			});
		},
		get pid() {
			return child.pid;
		},
	};
}
