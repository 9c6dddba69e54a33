import {Buffer} from 'node:buffer';
import {request as httpRequest, Agent, type IncomingHttpHeaders} from 'node:http';

export type RawResponse = {
	status: number;
	headers: IncomingHttpHeaders;
	text: string;
	json: () => unknown;
};

const agent = new Agent({keepAlive: false});

/**
One HTTP request with exactly the given path and headers (no URL normalization, any `Host`), read whole. Bounded by `timeout` ms.
*/
export async function raw(port: number, options: {method?: string; path: string; headers?: Record<string, string>; body?: string | Uint8Array; timeout?: number}): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const request = httpRequest({
			host: '127.0.0.1',
			port,
			agent,
			method: options.method ?? 'GET',
			path: options.path,
			headers: options.headers,
			timeout: options.timeout ?? 10_000,
		}, response => {
			const chunks: Uint8Array[] = [];
			response.on('data', (chunk: Uint8Array) => {
				chunks.push(chunk);
			});
			response.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				resolve({
					status: response.statusCode!, headers: response.headers, text, json: () => JSON.parse(text) as unknown,
				});
			});
			response.on('error', reject);
		});
		request.on('timeout', () => {
			request.destroy(new Error('The request timed out'));
		});
		request.on('error', reject);
		request.end(options.body);
	});
}

export const initializeBody = (id: number | string = 1, protocolVersion = '2025-06-18') => JSON.stringify({
	jsonrpc: '2.0',
	id,
	method: 'initialize',
	params: {protocolVersion, capabilities: {}, clientInfo: {name: 'raw', version: '1.0.0'}},
});

export const postHeaders = {'content-type': 'application/json', accept: 'application/json, text/event-stream'};

/**
Initialize a Streamable HTTP session with fetch and send `notifications/initialized`; resolves to its id.
*/
export async function rawSession(url: string, protocolVersion = '2025-06-18'): Promise<string> {
	const response = await fetch(url, {method: 'POST', headers: postHeaders, body: initializeBody(1, protocolVersion)});
	if (response.status !== 200) {
		throw new Error(`initialize answered ${response.status}: ${await response.text()}`);
	}

	await response.json();
	const id = response.headers.get('mcp-session-id')!;
	const initialized = await fetch(url, {
		method: 'POST',
		headers: {...postHeaders, 'mcp-session-id': id, 'mcp-protocol-version': protocolVersion},
		body: JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'}),
	});
	await initialized.body?.cancel();
	return id;
}

/**
The status of a `raw` request.
*/
export async function rawStatus(port: number, options: Parameters<typeof raw>[1]): Promise<number> {
	const response = await raw(port, options);
	return response.status;
}
