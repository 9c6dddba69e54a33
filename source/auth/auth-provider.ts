/**
The `fetch` shape the HTTP transports use. The standard `fetch` fits; so does undici's.
*/
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

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

/**
Headers as a plain object with lower-case names, so that two spellings of one name never both reach the wire.
*/
export function lowerCaseHeaders(headers: HeadersInit | undefined): Record<string, string> {
	const result: Record<string, string> = {};
	if (headers === undefined) {
		return result;
	}

	const entries = Array.isArray(headers) ? headers : (headers instanceof Headers ? [...headers.entries()] : Object.entries(headers));
	for (const [name, value] of entries) {
		result[name.toLowerCase()] = value!;
	}

	return result;
}

/**
Wrap a `fetch` so every request carries the provider's headers, and a request answered with 401 (or 403 `insufficient_scope`) is sent once more after the provider has refreshed its credentials. The request body must be a string or absent (it is sent twice).

@example
```
const authorizedFetch = withAuth(bearerToken(process.env.API_ACCESS_TOKEN), fetch);
const transport = streamableHttpClient({url: 'https://example.com/mcp', fetch: authorizedFetch});
```
*/
export function withAuth(provider: AuthProvider, fetch: FetchLike): FetchLike {
	return async (url, init = {}) => {
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
Several providers as one: their headers merged in order (later ones win), and a 401 retried when any of them refreshed.

@example
```
const auth = combineAuth(staticHeaders({'X-Team': 'blue'}), bearerToken(token));
```
*/
export function combineAuth(...providers: AuthProvider[]): AuthProvider {
	return {
		async headers() {
			const all = await Promise.all(providers.map(async provider => provider.headers()));
			return Object.assign({}, ...all) as Record<string, string>;
		},
		async onUnauthorized(response, sentHeaders) {
			let refreshed = false;
			for (const provider of providers) {
				// eslint-disable-next-line no-await-in-loop
				if (await provider.onUnauthorized?.(response, sentHeaders)) {
					refreshed = true;
				}
			}

			return refreshed;
		},
		async onInsufficientScope(response, sentHeaders) {
			let refreshed = false;
			for (const provider of providers) {
				// eslint-disable-next-line no-await-in-loop
				if (await provider.onInsufficientScope?.(response, sentHeaders)) {
					refreshed = true;
				}
			}

			return refreshed;
		},
	};
}
