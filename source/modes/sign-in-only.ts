import {defer, ignoreElements, type Observable} from 'rxjs';
import {AuthError} from '../errors.js';
import {withAuth, type AuthProvider, type FetchLike} from '../http/fetch-middleware.js';
import {defaultLogger, type Logger} from '../logger.js';
import {packageVersion} from '../version.js';

/*
Sign-in-only mode: sign in to a remote server (when it asks for it) without serving MCP, so a user can sign in from a terminal before a client that would time out during a long sign-in starts the proxy. Tested through the built bin by test/modes/client-sign-in.ts.
*/

export type SignInOnlyOptions = {
	/**
	The remote server's MCP endpoint.
	*/
	url: string;
	auth: AuthProvider | undefined;
	fetch: FetchLike;
	headers?: Readonly<Record<string, string>>;
	/**
	The client name the `initialize` carries.

	@default 'mcp-proxy (sign-in)'
	*/
	clientName?: string;
	logger?: Logger;
};

async function signIn(options: SignInOnlyOptions): Promise<void> {
	const {url, auth, headers = {}, clientName = 'mcp-proxy (sign-in)', logger = defaultLogger} = options;
	const fetch = auth ? withAuth(auth, options.fetch) : options.fetch;
	const {host} = new URL(url);
	const initialize = {
		jsonrpc: '2.0',
		id: 1,
		method: 'initialize',
		params: {protocolVersion: '2025-11-25', capabilities: {}, clientInfo: {name: clientName, version: packageVersion}},
	};
	let response: Response;
	try {
		response = await fetch(url, {
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
	} catch (error) {
		throw new AuthError(`Cannot sign in to ${host}`, {cause: error});
	}

	if (response.status === 401 || response.status === 403) {
		throw new AuthError(`${host} still refuses our credentials (HTTP ${response.status})`);
	}

	// A legacy SSE server takes no POST at its URL (400, 404, 405): past the credentials all the same.
	if (response.ok || [400, 404, 405].includes(response.status)) {
		logger.info(`${host} accepts our credentials (HTTP ${response.status}); nothing else to do`);
		return;
	}

	throw new AuthError(`Signed in, but ${host} answered HTTP ${response.status} ${response.statusText}: cannot tell whether it accepts the credentials`);
}

/**
Send one `initialize` with the stored credentials (a 401 starts the sign-in) and end the session it may have opened: completes when the server accepts us, errors with an `AuthError` when it still refuses or the sign-in failed.

@example
```
signInOnly({url, auth: authorizationCode({serverUrl: url, store}), fetch}).subscribe({error: console.error});
```
*/
export function signInOnly(options: SignInOnlyOptions): Observable<never> {
	return defer(async () => signIn(options)).pipe(ignoreElements());
}
