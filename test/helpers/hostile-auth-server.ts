/*
A hostile authorization server for tests: paths that answer with a body that never ends.
*/
import {Buffer} from 'node:buffer';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import type {ExecutionContext} from 'ava';

/**
What a hostile server may send before it gives up: far more than any bound of the proxy, so a client that reads it whole is caught.
*/
export const serverMost = 64 * 1024 * 1024;

/**
An authorization server whose `endless` paths answer 200 with a chunked JSON body that never ends (up to `serverMost`), written as fast as the client reads; every other path is 404. `written()` counts the bytes the client let it write.
*/
export async function hostileAuthServer(t: ExecutionContext, endless: string[]) {
	let written = 0;
	const chunk = Buffer.alloc(64 * 1024, 'a');
	const server = http.createServer((request, response) => {
		request.resume();
		if (!endless.includes(request.url!.split('?')[0]!)) {
			response.writeHead(404).end();
			return;
		}

		response.writeHead(200, {'content-type': 'application/json'});
		response.write('{"padding":"');
		const write = () => {
			while (!response.destroyed && written < serverMost) {
				written += chunk.length;
				if (!response.write(chunk)) {
					response.once('drain', write);
					return;
				}
			}

			response.end('"}');
		};

		write();
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, written: () => written};
}
