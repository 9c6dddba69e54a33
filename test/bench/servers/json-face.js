// The plain node:http face the benchmark's floor servers share: POST /mcp parsed (400 when it is not JSON) and
// answered with JSON by `onPost`, DELETE
// ends a session of `sessions`, GET → 405 (no server-to-client stream), anything else → 404. Listens on
// 127.0.0.1 at a free port and prints `http://127.0.0.1:PORT/mcp` on stdout; SIGINT/SIGTERM close it and exit.
import {Buffer} from 'node:buffer';
import http from 'node:http';
import process from 'node:process';

/** Answer with a JSON body (an object or already serialized) and its length, or with no body. */
export function send(response, status, body, headers = {}) {
	if (body === undefined) {
		response.writeHead(status, headers).end();
		return;
	}

	const json = typeof body === 'string' ? body : JSON.stringify(body);
	response.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...headers}).end(json);
}

/**
@param {{sessions: Set<string>, onPost: (request: http.IncomingMessage, response: http.ServerResponse, message: object) => void, onClose?: () => void}} options
*/
export function serveJsonFace({sessions, onPost, onClose}) {
	const server = http.createServer((request, response) => {
		if (!request.url.startsWith('/mcp')) {
			send(response, 404);
			return;
		}

		if (request.method === 'POST') {
			const chunks = [];
			request.on('data', chunk => chunks.push(chunk));
			request.on('end', () => {
				let message;
				try {
					message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
				} catch {
					send(response, 400, {jsonrpc: '2.0', id: null, error: {code: -32_700, message: 'Parse error'}});
					return;
				}

				onPost(request, response, message);
			});
			return;
		}

		if (request.method === 'DELETE') {
			send(response, sessions.delete(request.headers['mcp-session-id']) ? 200 : 404);
			return;
		}

		send(response, 405, undefined, {allow: 'POST, DELETE'});
	});
	server.keepAliveTimeout = 60_000;
	server.listen(0, '127.0.0.1', () => {
		process.stdout.write(`http://127.0.0.1:${server.address().port}/mcp\n`);
	});

	for (const signal of ['SIGINT', 'SIGTERM']) {
		process.on(signal, () => {
			onClose?.();
			server.closeAllConnections();
			server.close();
			process.exit(0);
		});
	}
}
