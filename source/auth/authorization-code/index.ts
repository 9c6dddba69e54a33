/* eslint-disable @typescript-eslint/naming-convention -- OAuth fields are spelled as the RFCs spell them. */
import {createHash, randomBytes} from 'node:crypto';
import {createServer} from 'node:net';
import {
	auth, extractWWWAuthenticateParams, type OAuthClientProvider, type OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type {OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens} from '@modelcontextprotocol/sdk/shared/auth.js';
import {AuthError, MessageTooLargeError, describeError} from '../errors.js';
import {defaultLogger, redactSecret, type Logger} from '../logger.js';
import {isLoopbackHost} from '../loopback.js';
import {
	checkSettingNames, renameSettings, settingName, type SettingNames,
} from '../setting-names.js';
import {fetchWith} from '../http/http-agent.js';
import type {AuthProvider, FetchLike} from './auth-provider.js';
import {limitAuthBodies} from './auth-bodies.js';
import {listenForCallback} from './callback-server.js';
import {deviceAuthorization, deviceCodeGrantType} from './device-code.js';
import {openBrowser} from './open-browser.js';
import type {StoredAuth, TokenStore} from './token-store.js';

export type AuthorizationCodeOptions = {
	/**
	The MCP server (the protected resource).
	*/
	serverUrl: string;
	/**
	Where tokens and the client registration are kept (see `tokenStore`).
	*/
	store: TokenStore;
	/**
	A pre-registered client id; without it the client registers itself (Client ID Metadata Document or Dynamic Client Registration).
	*/
	clientId?: string;
	/**
	The pre-registered client's secret (confidential clients).
	*/
	clientSecret?: string;
	/**
	An `https://` URL that serves this client's metadata document (SEP-991); used as the client id when the authorization server announces `client_id_metadata_document_supported`.
	*/
	clientMetadataUrl?: string;
	/**
	Scopes to request when neither the server's challenge nor its metadata names any.
	*/
	scope?: string;
	/**
	The loopback port of the redirect URI; 0 takes a free one for this process.

	@default a port from 33400 to 34399 derived from `serverUrl`, stable across runs
	*/
	callbackPort?: number;
	/**
	The command that opens the sign-in URL (the URL is appended), or `false` to only print it.

	@default the system's browser opener
	*/
	browserCommand?: readonly string[] | false;
	/**
	Sign in with the device authorization grant (RFC 8628) instead of a browser redirect: the user opens a URL and enters a code on any device; no loopback callback is needed.

	@default false
	*/
	deviceCode?: boolean;
	/**
	How long to wait for the user to sign in, in milliseconds.

	@default 300000
	*/
	signInTimeout?: number;
	/**
	How many times one scope challenge (403 `insufficient_scope`) may send the user to sign in again.

	@default 2
	*/
	maxStepUps?: number;
	/**
	Tokens are refreshed this many milliseconds before they expire (or at 90 % of a short lifetime).

	@default 60000
	*/
	refreshMargin?: number;
	/**
	How messages name the settings they suggest, by option name: `callbackPort` (its port is taken) and `deviceCode` (the server offers no device flow). By default the options themselves (``the `callbackPort` option``); a command line passes its flags (`{callbackPort: '--callback-port'}`).
	*/
	settingNames?: SettingNames;
	fetch?: FetchLike;
	now?: () => number;
	logger?: Logger;
};

/**
The stable default callback port of a server: 33400 plus a hash of its URL modulo 1000, so each server keeps one redirect URI (its registration stays valid) and two servers rarely share a port.

@example
```
defaultCallbackPort('https://mcp.example.com/mcp'); //=> 33871
```
*/
export function defaultCallbackPort(serverUrl: string): number {
	return 33_400 + (createHash('sha256').update(new URL(serverUrl).href).digest().readUInt32BE(0) % 1000);
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => {
				resolve(typeof address === 'object' && address ? address.port : 0);
			});
		});
	});
}

function validate(options: AuthorizationCodeOptions): void {
	const {serverUrl, clientId, clientSecret, clientMetadataUrl} = options;
	if (!URL.canParse(serverUrl)) {
		throw new TypeError(`Expected \`serverUrl\` to be a URL, got \`${String(serverUrl)}\``);
	}

	if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) {
		throw new TypeError('Expected `clientId` to be a non-empty string');
	}

	if (clientSecret !== undefined && clientId === undefined) {
		throw new TypeError('Expected `clientId` with `clientSecret`');
	}

	if (clientMetadataUrl !== undefined && (!URL.canParse(clientMetadataUrl) || new URL(clientMetadataUrl).protocol !== 'https:' || new URL(clientMetadataUrl).pathname === '/')) {
		throw new TypeError(`Expected \`clientMetadataUrl\` to be an https URL with a path, got \`${String(clientMetadataUrl)}\``);
	}

	const configuredPort = options.callbackPort ?? 0;
	if (!Number.isInteger(configuredPort) || configuredPort < 0 || configuredPort > 65_535) {
		throw new TypeError(`Expected \`callbackPort\` to be an integer from 0 to 65535, got \`${String(configuredPort)}\``);
	}

	checkSettingNames(options.settingNames);
}

const union = (...scopes: Array<string | undefined>) => [...new Set(scopes.flatMap(scope => scope?.split(/\s+/) ?? []).filter(Boolean))].join(' ');

type Reason = 'refresh' | 'unauthorized' | 'step-up';

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
	const {
		serverUrl,
		store,
		clientId,
		clientSecret,
		clientMetadataUrl,
		scope,
		browserCommand,
		deviceCode = false,
		signInTimeout = 300_000,
		maxStepUps = 2,
		refreshMargin = 60_000,
		now = Date.now,
		settingNames,
		logger = defaultLogger,
	} = options;
	validate(options);
	// The callback server's `port` is our `callbackPort`.
	const callbackSettingNames = renameSettings(settingNames, {port: 'callbackPort'});
	// The SDK reads metadata, registrations and tokens whole (`response.json()`): through this `fetch` those reads end at `authBodyLimit`.
	const fetch = limitAuthBodies(options.fetch ?? fetchWith(undefined, logger));
	const configuredPort = options.callbackPort ?? defaultCallbackPort(serverUrl);
	redactSecret(clientSecret);
	const {host} = new URL(serverUrl);
	let port = configuredPort;
	let record: StoredAuth | undefined;
	let codeVerifier: string | undefined;
	let state = '';
	let pending: URL | undefined;
	const stepUps = new Map<string, number>();

	const redirectUrl = () => `http://127.0.0.1:${port}/oauth/callback`;
	const save = async () => store.save(record!);
	const expiring = (tokens: StoredAuth['tokens']) => tokens?.expires_at !== undefined && now() >= tokens.expires_at;

	const clientMetadata = (): OAuthClientMetadata => ({
		client_name: 'mcp-proxy (rx-mcp-proxy)',
		redirect_uris: [redirectUrl()],
		grant_types: ['authorization_code', 'refresh_token', ...(deviceCode ? [deviceCodeGrantType] : [])],
		response_types: ['code'],
		token_endpoint_auth_method: clientSecret === undefined ? 'none' : 'client_secret_basic',
		...(scope === undefined ? {} : {scope}),
	});

	// The SDK's view of this client: everything it learns is kept in `record` and written to the store.
	const sdkProvider: OAuthClientProvider = {
		get redirectUrl() {
			return redirectUrl();
		},
		...(clientMetadataUrl === undefined ? {} : {clientMetadataUrl}),
		get clientMetadata() {
			return clientMetadata();
		},
		state: () => state,
		clientInformation(): OAuthClientInformationMixed | undefined {
			const stored = record?.clientInformation;
			if (clientId !== undefined) {
				return {
					...(stored?.client_id === clientId ? stored : {}),
					client_id: clientId,
					...(clientSecret === undefined ? {} : {client_secret: clientSecret}),
				};
			}

			// A registration for another redirect URI (the callback port changed) is useless: register again.
			if (stored && 'redirect_uris' in stored && Array.isArray(stored.redirect_uris) && !stored.redirect_uris.includes(redirectUrl())) {
				return undefined;
			}

			return stored;
		},
		async saveClientInformation(information) {
			record!.clientInformation = information;
			await save();
		},
		tokens: () => record?.tokens,
		async saveTokens(tokens: OAuthTokens) {
			const lifetime = Number(tokens.expires_in) * 1000;
			const expires_at = Number.isFinite(lifetime) && lifetime > 0 ? now() + lifetime - Math.min(refreshMargin, lifetime / 10) : undefined;
			// A refresh that brings no new refresh token keeps the old one (RFC 6749 §6).
			const refresh_token = tokens.refresh_token ?? (tokens.issuer === record!.tokens?.issuer ? record!.tokens?.refresh_token : undefined);
			record!.tokens = {
				...tokens, ...(refresh_token === undefined ? {} : {refresh_token}), ...(expires_at === undefined ? {} : {expires_at}),
			};
			await save();
		},
		redirectToAuthorization(url) {
			// Opened once the callback server listens (see `signIn`).
			pending = url;
		},
		saveCodeVerifier(verifier) {
			codeVerifier = verifier;
		},
		codeVerifier() {
			if (codeVerifier === undefined) {
				throw new AuthError('No PKCE code verifier: no sign-in is under way');
			}

			return codeVerifier;
		},
		async invalidateCredentials(what) {
			if (what === 'all' || what === 'client') {
				delete record!.clientInformation;
			}

			if (what === 'all' || what === 'tokens') {
				delete record!.tokens;
			}

			if (what === 'all' || what === 'discovery') {
				delete record!.discovery;
			}

			if (what === 'all' || what === 'verifier') {
				codeVerifier = undefined;
			}

			await save();
		},
		async saveDiscoveryState(discovery: OAuthDiscoveryState) {
			record!.discovery = discovery;
			await save();
		},
		discoveryState: () => record?.discovery,
	};

	const runAuth = async (parameters: {scope?: string; resourceMetadataUrl?: URL; authorizationCode?: string}) => {
		try {
			return await auth(sdkProvider, {
				serverUrl,
				fetchFn: fetch,
				...(parameters.scope ? {scope: parameters.scope} : {}),
				...(parameters.resourceMetadataUrl ? {resourceMetadataUrl: parameters.resourceMetadataUrl} : {}),
				...(parameters.authorizationCode === undefined ? {} : {authorizationCode: parameters.authorizationCode}),
			});
		} catch (error) {
			if (error instanceof AuthError) {
				throw error;
			}

			// Without authorization server metadata the server may not speak OAuth at all.
			const noMetadata = !record?.discovery?.authorizationServerMetadata && !(error instanceof MessageTooLargeError);
			const hint = noMetadata ? ' (the server answered 401 and publishes no OAuth metadata; if it expects a fixed token, set API_ACCESS_TOKEN or pass -H Authorization \'Bearer TOKEN\')' : '';
			throw new AuthError(`Authorization with ${host} failed: ${describeError(error)}${hint}`, {cause: error});
		}
	};

	const signIn = async (authorizationUrl: URL, challenge: {scope?: string; resourceMetadataUrl?: URL}) => {
		const metadata = record!.discovery?.authorizationServerMetadata;
		const callback = await listenForCallback({
			port,
			state,
			...(metadata?.issuer === undefined ? {} : {issuer: metadata.issuer}),
			issuerRequired: (metadata as {authorization_response_iss_parameter_supported?: unknown} | undefined)?.authorization_response_iss_parameter_supported === true,
			timeout: signInTimeout,
			settingNames: callbackSettingNames,
			logger,
		});
		try {
			logger.info(`${host} asks you to sign in${metadata?.issuer ? ` with ${metadata.issuer}` : ''}`);
			openBrowser(authorizationUrl, {...(browserCommand === undefined ? {} : {command: browserCommand}), logger});
			const code = await callback.code;
			const result = await runAuth({...challenge, authorizationCode: code});
			if (result !== 'AUTHORIZED') {
				throw new AuthError(`The authorization server of ${host} did not issue tokens for the sign-in`);
			}
		} finally {
			codeVerifier = undefined;
			await callback.close();
		}

		logger.info(`Signed in to ${host}; the tokens are kept in ${store.file}`);
	};

	const deviceSignIn = async (challenge: {scope?: string}) => {
		const {discovery} = record!;
		const metadata = discovery?.authorizationServerMetadata as {device_authorization_endpoint?: unknown; token_endpoint?: string} | undefined;
		const client = await sdkProvider.clientInformation();
		if (typeof metadata?.device_authorization_endpoint !== 'string' || !metadata.token_endpoint || !client) {
			const option = settingName(settingNames, 'deviceCode');
			throw new AuthError(`The authorization server of ${host} offers no device authorization endpoint (RFC 8628); sign in with the browser instead (without ${option})`);
		}

		logger.info(`${host} asks you to sign in`);
		// The scope as the SDK chooses it: the challenge's, else the resource's scopes_supported, else ours.
		const wanted = challenge.scope ?? discovery?.resourceMetadata?.scopes_supported?.join(' ') ?? scope;
		const tokens = await deviceAuthorization({
			deviceAuthorizationEndpoint: metadata.device_authorization_endpoint,
			tokenEndpoint: metadata.token_endpoint,
			client,
			...(wanted ? {scope: wanted} : {}),
			...(discovery?.resourceMetadata?.resource === undefined ? {} : {resource: discovery.resourceMetadata.resource}),
			timeout: signInTimeout,
			fetch,
			logger,
		});
		await sdkProvider.saveTokens({...tokens, issuer: discovery!.authorizationServerUrl});
		logger.info(`Signed in to ${host}; the tokens are kept in ${store.file}`);
	};

	const authorize = async (reason: Reason, challenge: {scope?: string; resourceMetadataUrl?: URL}, refused: string | undefined) => store.withLock(async () => {
		const fresh = await store.load();
		const freshHeader = fresh.tokens?.access_token ? `Bearer ${fresh.tokens.access_token}` : undefined;
		// Another instance (or an earlier request) already signed in or refreshed while we waited for the lock.
		if (freshHeader !== undefined && !expiring(fresh.tokens) && freshHeader !== refused) {
			record = fresh;
			logger.debug(`Using the tokens for ${host} that another request or instance obtained`);
			return;
		}

		record = fresh;
		if (reason !== 'refresh') {
			// Fresh discovery: the challenge may point to other metadata than last time.
			delete record.discovery;
		}

		// What a step-up gives up: restored if the user never completes the larger sign-in, so the tokens that still work for everything else are not lost.
		const previous = record.tokens;
		try {
			if (reason === 'step-up') {
				// A refresh keeps the old scope: the larger one needs the user.
				delete record.tokens;
			} else if (reason === 'unauthorized' && record.tokens) {
				// The refused access token is useless; its refresh token may still work.
				const {refresh_token, issuer} = record.tokens;
				if (refresh_token === undefined) {
					delete record.tokens;
				} else {
					record.tokens = {
						access_token: '', token_type: 'Bearer', refresh_token, ...(issuer === undefined ? {} : {issuer}),
					};
				}
			}

			if (configuredPort === 0 && port === 0) {
				port = await freePort();
			}

			const {protocol, hostname} = new URL(serverUrl);
			if (reason !== 'refresh' && protocol === 'http:' && !isLoopbackHost(hostname)) {
				logger.warning(`Signing in to ${host} over unencrypted HTTP: anyone on the path can read the tokens. Use https:// if the server offers it.`);
			}

			state = randomBytes(24).toString('base64url');
			pending = undefined;
			const result = await runAuth(challenge);
			if (result === 'AUTHORIZED') {
				logger.debug(`${reason === 'refresh' ? 'Refreshed' : 'Obtained'} the access token for ${host}`);
				return;
			}

			if (!pending) {
				throw new AuthError(`Authorization with ${host} needs a sign-in, but no authorization URL came out`);
			}

			await (deviceCode ? deviceSignIn(challenge) : signIn(pending, challenge));
		} catch (error) {
			if (reason === 'step-up' && previous !== undefined && record.tokens === undefined) {
				record.tokens = previous;
				await store.save(record).catch(() => undefined);
			}

			throw error;
		}
	});

	let inFlight: Promise<void> | undefined;
	const once = async (reason: Reason, challenge: {scope?: string; resourceMetadataUrl?: URL}, refused: string | undefined) => {
		inFlight ??= authorize(reason, challenge, refused).finally(() => {
			inFlight = undefined;
		});
		return inFlight;
	};

	const challengeOf = (response: Response) => {
		const {scope: challenged, resourceMetadataUrl} = extractWWWAuthenticateParams(response);
		return {
			...(challenged ? {scope: challenged} : {}),
			...(resourceMetadataUrl ? {resourceMetadataUrl} : {}),
		};
	};

	return {
		async headers(): Promise<Record<string, string>> {
			record ??= await store.load();
			if (inFlight) {
				await inFlight.catch(() => undefined);
			}

			let {tokens} = record;
			if (tokens?.access_token && expiring(tokens) && tokens.refresh_token) {
				try {
					await once('refresh', {}, `Bearer ${tokens.access_token}`);
				} catch (error) {
					logger.warning(`Cannot refresh the access token for ${host}: ${describeError(error)}`);
				}

				tokens = record.tokens;
			}

			return tokens?.access_token ? {authorization: `Bearer ${tokens.access_token}`} : {};
		},
		async onUnauthorized(response, sentHeaders) {
			await once('unauthorized', challengeOf(response), sentHeaders['authorization']);
			return Boolean(record?.tokens?.access_token);
		},
		async onInsufficientScope(response, sentHeaders) {
			const challenge = challengeOf(response);
			const wanted = union(record?.tokens?.scope, challenge.scope);
			const attempts = stepUps.get(wanted) ?? 0;
			if (attempts >= maxStepUps) {
				logger.error(`${host} still refuses the scope \`${wanted}\` after ${attempts} sign-in${attempts === 1 ? '' : 's'}; not asking again`);
				return false;
			}

			stepUps.set(wanted, attempts + 1);
			logger.info(`${host} needs the scope \`${wanted}\` for this request`);
			await once('step-up', {...challenge, ...(wanted ? {scope: wanted} : {})}, sentHeaders['authorization']);
			return Boolean(record?.tokens?.access_token);
		},
	};
}
