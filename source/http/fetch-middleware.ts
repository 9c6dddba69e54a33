/*
Fetch middleware: the `fetch` shape every HTTP client piece takes, middleware that wraps one `fetch` into another (undici's interceptors in `fetch` form), their composition, and the one middleware the proxy ships, credentials (`withAuth`). The transports receive a composed `fetch` and know nothing of credentials.
*/
import {lowerCaseHeaders} from './headers.js';

/**
The `fetch` shape the HTTP transports use. The standard `fetch` fits; so does undici's.
*/
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
Wraps a `fetch` into another: adds headers, retries, rewrites answers.
*/
export type FetchMiddleware = (next: FetchLike) => FetchLike;

/**
`base` wrapped by each middleware in turn: the last one given is the outermost, the first to see a request.

@example
```
const fetch = composeFetch(transportFetch(dispatcher), withAuth(provider));
const transport = remote({url: 'https://example.com/mcp', fetch});
```
*/
export function composeFetch(base: FetchLike, ...middleware: readonly FetchMiddleware[]): FetchLike {
	let fetch = base;
	for (const wrap of middleware) {
		fetch = wrap(fetch);
	}

	return fetch;
}

/**
Where the credentials for a remote server come from. `headers` is asked before every HTTP request (so a token can be refreshed before it expires); `onUnauthorized` is asked when the server still answers 401: return `true` when fresh credentials are ready and the request should be sent once more.
*/
export type AuthProvider = {
	headers(): Promise<Record<string, string>> | Record<string, string>;
	/**
	@param response The 401 response.
	@param sentHeaders The headers the refused request carried, so a provider can tell whether its credentials already changed since.
	*/
	onUnauthorized?(response: Response, sentHeaders: Record<string, string>): Promise<boolean> | boolean;
	/**
	Asked when the server answers 403 with `WWW-Authenticate: Bearer error="insufficient_scope"` (step-up authorization): return `true` when credentials with the larger scope are ready and the request should be sent once more.
	*/
	onInsufficientScope?(response: Response, sentHeaders: Record<string, string>): Promise<boolean> | boolean;
};

/**
Whether a response is a 403 whose `WWW-Authenticate` challenge says `insufficient_scope`.
*/
export function isInsufficientScope(response: Response): boolean {
	return response.status === 403 && /\berror\s*=\s*"?insufficient_scope"?/i.test(response.headers.get('www-authenticate') ?? '');
}

function authMiddleware(provider: AuthProvider): FetchMiddleware {
	return fetch => async (url, init = {}) => {
		const base = lowerCaseHeaders(init.headers);
		const send = async () => {
			const headers = {...base, ...lowerCaseHeaders(await provider.headers())};
			return {headers, response: await fetch(url, {...init, headers})};
		};

		const first = await send();
		const handler = first.response.status === 401
			? provider.onUnauthorized
			: (isInsufficientScope(first.response) ? provider.onInsufficientScope : undefined);
		if (!handler) {
			return first.response;
		}

		if (!await handler.call(provider, first.response, first.headers)) {
			return first.response;
		}

		await first.response.body?.cancel().catch(() => undefined);
		const second = await send();
		return second.response;
	};
}

/**
Credentials as fetch middleware: every request carries the provider's headers, and a request answered with 401 (or 403 `insufficient_scope`) is sent once more after the provider has refreshed its credentials. The request body must be a string or absent (it is sent twice). Given a `fetch` as well, returns that `fetch` wrapped (the older form).

@example
```
const fetch = composeFetch(transportFetch(dispatcher), withAuth(bearerToken(process.env.API_ACCESS_TOKEN)));
const transport = streamableHttpClient({url: 'https://example.com/mcp', fetch});
```
*/
export function withAuth(provider: AuthProvider): FetchMiddleware;
export function withAuth(provider: AuthProvider, fetch: FetchLike): FetchLike;
export function withAuth(provider: AuthProvider, fetch?: FetchLike): FetchMiddleware | FetchLike {
	const middleware = authMiddleware(provider);
	return fetch ? middleware(fetch) : middleware;
}
