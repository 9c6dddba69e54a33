import type {Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import type {ExecutionContext} from 'ava';

/**
Listen on 127.0.0.1 at a free port, and close the server and every connection it still has when the test ends. Resolves to its base URL, `http://127.0.0.1:PORT`.
*/
export async function serveOnLoopback(t: ExecutionContext, server: Server): Promise<string> {
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
