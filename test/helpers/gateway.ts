import {Buffer} from 'node:buffer';
import http from 'node:http';
import type {ExecutionContext} from 'ava';
import {serveOnLoopback} from './loopback-server.js';

export type GatewayExchange = {method: string; session: string | undefined; body: string; status?: number};

/**
Answer a request at the gateway instead of forwarding it: return true once answered. `index` counts the requests from 0.
*/
export type Intercept = (request: http.IncomingMessage, response: http.ServerResponse, index: number) => boolean;

/**
A reverse proxy on 127.0.0.1 in front of `target` (its origin): every request is read whole, offered to `intercept`, recorded in `log` (method, session id, body, the status the target answered) and forwarded; answers stream back as they come. Closed in teardown.
*/
export async function startGateway(t: ExecutionContext, target: string, intercept?: Intercept): Promise<{url: string; log: GatewayExchange[]}> {
	const upstream = new URL(target);
	const log: GatewayExchange[] = [];
	let requests = 0;
	const server = http.createServer((request, response) => {
		const index = requests++;
		const chunks: Uint8Array[] = [];
		request.on('data', (chunk: Uint8Array) => {
			chunks.push(chunk);
		});
		request.on('end', () => {
			const body = Buffer.concat(chunks);
			const session = request.headers['mcp-session-id'];
			const entry: GatewayExchange = {method: request.method!, session: typeof session === 'string' ? session : undefined, body: body.toString('utf8')};
			log.push(entry);
			if (intercept?.(request, response, index)) {
				return;
			}

			const forwarded = http.request({
				host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers,
			}, reply => {
				entry.status = reply.statusCode;
				response.writeHead(reply.statusCode!, reply.headers);
				response.flushHeaders();
				reply.pipe(response);
			});
			forwarded.on('error', () => {
				response.destroy();
			});
			response.on('close', () => {
				forwarded.destroy();
			});
			forwarded.end(body);
		});
	});
	return {url: await serveOnLoopback(t, server), log};
}
