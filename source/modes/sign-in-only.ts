import {withAuth, type AuthProvider, type FetchLike} from '../auth/auth-provider.js';
import {describeError} from '../errors.js';
import type {Logger} from '../logger.js';
import {packageVersion} from '../version.js';

/**
`--sign-in`: sign in to the remote server (when it asks for it) and exit, without serving MCP on standard input and output. Sends one `initialize` with the stored credentials (a 401 starts the sign-in), ends the session it may have opened, and resolves with the exit code: 0 when the server accepts us, 1 when it still refuses or the sign-in failed. Lets a user sign in from a terminal before a client that would time out during a long sign-in starts the proxy.
*/
export async function signInOnly(options: {
	url: string;
	auth: AuthProvider | undefined;
	fetch: FetchLike;
	headers: Record<string, string>;
	logger: Logger;
}): Promise<number> {
	const {url, auth, headers, logger} = options;
	const fetch = auth ? withAuth(auth, options.fetch) : options.fetch;
	const {host} = new URL(url);
	const initialize = {
		jsonrpc: '2.0',
		id: 1,
		method: 'initialize',
		params: {protocolVersion: '2025-11-25', capabilities: {}, clientInfo: {name: 'mcp-proxy --sign-in', version: packageVersion}},
	};
	try {
		const response = await fetch(url, {
			method: 'POST',
			headers: {...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream'},
			body: JSON.stringify(initialize),
		});
		await response.body?.cancel().catch(() => undefined);
		const session = response.headers.get('mcp-session-id');
		if (session) {
			const ended = await fetch(url, {method: 'DELETE', headers: {...headers, 'mcp-session-id': session}}).catch(() => undefined);
			await ended?.body?.cancel().catch(() => undefined);
		}

		if (response.status === 401 || response.status === 403) {
			logger.error(`${host} still refuses our credentials (HTTP ${response.status})`);
			return 1;
		}

		// A legacy SSE server takes no POST at its URL (400, 404, 405): past the credentials all the same.
		if (response.ok || [400, 404, 405].includes(response.status)) {
			logger.info(`${host} accepts our credentials (HTTP ${response.status}); nothing else to do`);
			return 0;
		}

		logger.error(`Signed in, but ${host} answered HTTP ${response.status} ${response.statusText}: cannot tell whether it accepts the credentials`);
		return 1;
	} catch (error) {
		logger.error(`Cannot sign in to ${host}: ${describeError(error)}`);
		return 1;
	}
}
