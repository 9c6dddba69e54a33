/*
The MCP authorization flow for a user as an auth provider: the headers a request carries, and the answers to a 401 and to a 403 `insufficient_scope`, one authorization at a time. The parts: options.ts (options and defaults), sdk-provider.ts (the state the SDK reads and saves), sign-in.ts (the browser and device sign-ins), authorize.ts (one authorization under the store's lock).
*/
import {extractWWWAuthenticateParams} from '@modelcontextprotocol/sdk/client/auth.js';
import {describeError} from '../../errors.js';
import type {AuthProvider} from '../auth-provider.js';
import {authorize, type Reason} from './authorize.js';
import {resolveSettings, type AuthorizationCodeOptions} from './options.js';
import {createFlow, expiring, type Flow} from './sdk-provider.js';
import type {Challenge} from './sign-in.js';

export {defaultCallbackPort, type AuthorizationCodeOptions} from './options.js';

/**
The scopes of several scope strings, each once, space-separated.
*/
const unionOfScopes = (...scopes: Array<string | undefined>) => [...new Set(scopes.flatMap(scope => scope?.split(/\s+/) ?? []).filter(Boolean))].join(' ');

const challengeOf = (response: Response): Challenge => {
	const {scope, resourceMetadataUrl} = extractWWWAuthenticateParams(response);
	return {
		...(scope ? {scope} : {}),
		...(resourceMetadataUrl ? {resourceMetadataUrl} : {}),
	};
};

/**
Authorize one reason at a time: a request that needs authorization while one is under way waits for that one.
*/
function singleFlight(flow: Flow) {
	let inFlight: Promise<void> | undefined;
	return {
		get inFlight() {
			return inFlight;
		},
		async run(reason: Reason, challenge: Challenge, refused: string | undefined): Promise<void> {
			inFlight ??= authorize(flow, reason, challenge, refused).finally(() => {
				inFlight = undefined;
			});
			return inFlight;
		},
	};
}

/**
The MCP authorization flow for a user (OAuth 2.1 authorization code with PKCE S256 and the `resource` indicator): on a 401 it discovers the protected-resource metadata (from `WWW-Authenticate`, then the well-known paths) and the authorization server (RFC 8414, then OpenID Connect discovery), registers the client if needed (pre-registered, Client ID Metadata Document, or Dynamic Client Registration), opens the browser on the sign-in page, receives the code on a loopback redirect URI (checking `state` and `iss`) and stores the tokens. Tokens are refreshed before they expire and after a 401; a 403 `insufficient_scope` asks the user for the larger scope (a bounded number of times). Sign-ins and refreshes hold the store's lock, so several proxy instances for one server share one sign-in. Discovery, registration and the token requests are the SDK's `auth()`.

@example
```
const auth = authorizationCode({
	serverUrl: 'https://mcp.example.com/mcp',
	store: tokenStore({directory: defaultAuthDirectory(process.env), serverUrl: 'https://mcp.example.com/mcp'}),
});
const transport = streamableHttpClient({url: 'https://mcp.example.com/mcp', auth});
```
*/
export function authorizationCode(options: AuthorizationCodeOptions): AuthProvider {
	const settings = resolveSettings(options);
	const {
		store, host, maxStepUps, now, logger,
	} = settings;
	settings.redactor.add(settings.clientSecret);
	const flow = createFlow(settings);
	const authorizations = singleFlight(flow);
	const stepUps = new Map<string, number>();
	return {
		async headers(): Promise<Record<string, string>> {
			flow.record ??= await store.load();
			await authorizations.inFlight?.catch(() => undefined);
			let {tokens} = flow.record;
			if (tokens?.access_token && expiring(tokens, now()) && tokens.refresh_token) {
				try {
					await authorizations.run('refresh', {}, `Bearer ${tokens.access_token}`);
				} catch (error) {
					logger.warning(`Cannot refresh the access token for ${host}: ${describeError(error)}`);
				}

				tokens = flow.record.tokens;
			}

			return tokens?.access_token ? {authorization: `Bearer ${tokens.access_token}`} : {};
		},
		async onUnauthorized(response, sentHeaders) {
			await authorizations.run('unauthorized', challengeOf(response), sentHeaders['authorization']);
			return Boolean(flow.record?.tokens?.access_token);
		},
		async onInsufficientScope(response, sentHeaders) {
			const challenge = challengeOf(response);
			const wanted = unionOfScopes(flow.record?.tokens?.scope, challenge.scope);
			const attempts = stepUps.get(wanted) ?? 0;
			if (attempts >= maxStepUps) {
				logger.error(`${host} still refuses the scope \`${wanted}\` after ${attempts} sign-in${attempts === 1 ? '' : 's'}; not asking again`);
				return false;
			}

			stepUps.set(wanted, attempts + 1);
			logger.info(`${host} needs the scope \`${wanted}\` for this request`);
			await authorizations.run('step-up', {...challenge, ...(wanted ? {scope: wanted} : {})}, sentHeaders['authorization']);
			return Boolean(flow.record?.tokens?.access_token);
		},
	};
}
