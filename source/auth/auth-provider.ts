/*
Credential providers as the HTTP side sees them: the `AuthProvider` shape and its fetch middleware (`withAuth`) live in http/fetch-middleware.ts and are re-exported here for the providers; this file adds `combineAuth`, several providers as one.
*/
import type {AuthProvider} from '../http/fetch-middleware.js';

export {
	withAuth, isInsufficientScope, type AuthProvider, type FetchLike,
} from '../http/fetch-middleware.js';

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
		onUnauthorized: async (response, sentHeaders) => anyRefreshed(providers, 'onUnauthorized', response, sentHeaders),
		onInsufficientScope: async (response, sentHeaders) => anyRefreshed(providers, 'onInsufficientScope', response, sentHeaders),
	};
}

/**
Tell every provider, in order, of a refusal; whether any of them refreshed its credentials (so the request is worth sending again).
*/
async function anyRefreshed(providers: readonly AuthProvider[], hook: 'onUnauthorized' | 'onInsufficientScope', response: Response, sentHeaders: Record<string, string>): Promise<boolean> {
	let refreshed = false;
	for (const provider of providers) {
		// eslint-disable-next-line no-await-in-loop -- One after the other: a provider may sign in interactively.
		if (await provider[hook]?.(response, sentHeaders)) {
			refreshed = true;
		}
	}

	return refreshed;
}
