/*
The sign-in's state and the SDK's view of it: the `OAuthClientProvider` that the SDK's `auth()` reads the client, its registration, tokens, PKCE verifier and discovery from and saves them to, all kept in one record written to the store.
*/
/* eslint-disable @typescript-eslint/naming-convention -- OAuth fields are spelled as the RFCs spell them. */
import type {OAuthClientProvider, OAuthDiscoveryState} from '@modelcontextprotocol/sdk/client/auth.js';
import type {OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens} from '@modelcontextprotocol/sdk/shared/auth.js';
import {AuthError} from '../../errors.js';
import {deviceCodeGrantType} from '../device-code.js';
import type {StoredAuth} from '../token-store.js';
import type {Settings} from './options.js';

/**
What one authorizationCode provider knows between requests; changed only under the store's lock (see authorize.ts), read by the SDK through `provider`.
*/
export type FlowState = {
	readonly settings: Settings;
	/**
	The callback port of the redirect URI (a free one is taken at the first sign-in when the configured one is 0).
	*/
	port: number;
	/**
	The store's record as last loaded or saved.
	*/
	record: StoredAuth | undefined;
	/**
	The PKCE verifier of the sign-in under way.
	*/
	codeVerifier: string | undefined;
	/**
	The `state` of the sign-in under way.
	*/
	state: string;
	/**
	The authorization URL the SDK asked to open: opened once the callback server listens.
	*/
	pending: URL | undefined;
};

export type Flow = FlowState & {readonly provider: OAuthClientProvider};

export const redirectUrl = (flow: FlowState) => `http://127.0.0.1:${flow.port}/oauth/callback`;

/**
Whether tokens are past their (margin-adjusted) expiry.
*/
export const expiring = (tokens: StoredAuth['tokens'], now: number) => tokens?.expires_at !== undefined && now >= tokens.expires_at;

/**
The tokens to store from a token response: `expires_at` set `refreshMargin` (at most a tenth of the lifetime) before they expire, and the previous refresh token kept when a refresh from the same issuer brings none (RFC 6749 §6).
*/
export function tokensToStore(tokens: OAuthTokens, previous: StoredAuth['tokens'], now: number, refreshMargin: number): NonNullable<StoredAuth['tokens']> {
	const lifetime = Number(tokens.expires_in) * 1000;
	const expires_at = Number.isFinite(lifetime) && lifetime > 0 ? now + lifetime - Math.min(refreshMargin, lifetime / 10) : undefined;
	const refresh_token = tokens.refresh_token ?? (tokens.issuer === previous?.issuer ? previous?.refresh_token : undefined);
	return {
		...tokens, ...(refresh_token === undefined ? {} : {refresh_token}), ...(expires_at === undefined ? {} : {expires_at}),
	};
}

function clientMetadata(flow: FlowState): OAuthClientMetadata {
	const {deviceCode, clientSecret, scope} = flow.settings;
	return {
		client_name: 'mcp-proxy (rx-mcp-proxy)',
		redirect_uris: [redirectUrl(flow)],
		grant_types: ['authorization_code', 'refresh_token', ...(deviceCode ? [deviceCodeGrantType] : [])],
		response_types: ['code'],
		token_endpoint_auth_method: clientSecret === undefined ? 'none' : 'client_secret_basic',
		...(scope === undefined ? {} : {scope}),
	};
}

/**
The client the SDK registers or uses: the pre-registered one (with the stored registration's extra fields when it is that client's), else the stored registration unless it was made for another redirect URI.
*/
function clientInformation(flow: FlowState): OAuthClientInformationMixed | undefined {
	const {clientId, clientSecret} = flow.settings;
	const stored = flow.record?.clientInformation;
	if (clientId !== undefined) {
		return {
			...(stored?.client_id === clientId ? stored : {}),
			client_id: clientId,
			...(clientSecret === undefined ? {} : {client_secret: clientSecret}),
		};
	}

	// A registration for another redirect URI (the callback port changed) is useless: register again.
	if (stored && 'redirect_uris' in stored && Array.isArray(stored.redirect_uris) && !stored.redirect_uris.includes(redirectUrl(flow))) {
		return undefined;
	}

	return stored;
}

function invalidate(flow: FlowState, what: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
	const record = flow.record!;
	if (what === 'all' || what === 'client') {
		delete record.clientInformation;
	}

	if (what === 'all' || what === 'tokens') {
		delete record.tokens;
	}

	if (what === 'all' || what === 'discovery') {
		delete record.discovery;
	}

	if (what === 'all' || what === 'verifier') {
		flow.codeVerifier = undefined;
	}
}

/**
The SDK's view of this client: everything it learns is kept in `flow.record` and written to the store.
*/
function sdkProvider(flow: FlowState): OAuthClientProvider {
	const {clientMetadataUrl, store, now, refreshMargin} = flow.settings;
	const save = async () => store.save(flow.record!);
	return {
		get redirectUrl() {
			return redirectUrl(flow);
		},
		...(clientMetadataUrl === undefined ? {} : {clientMetadataUrl}),
		get clientMetadata() {
			return clientMetadata(flow);
		},
		state: () => flow.state,
		clientInformation: () => clientInformation(flow),
		async saveClientInformation(information) {
			flow.record!.clientInformation = information;
			await save();
		},
		tokens: () => flow.record?.tokens,
		async saveTokens(tokens: OAuthTokens) {
			flow.record!.tokens = tokensToStore(tokens, flow.record!.tokens, now(), refreshMargin);
			await save();
		},
		redirectToAuthorization(url) {
			// Opened once the callback server listens (see sign-in.ts).
			flow.pending = url;
		},
		saveCodeVerifier(verifier) {
			flow.codeVerifier = verifier;
		},
		codeVerifier() {
			if (flow.codeVerifier === undefined) {
				throw new AuthError('No PKCE code verifier: no sign-in is under way');
			}

			return flow.codeVerifier;
		},
		async invalidateCredentials(what) {
			invalidate(flow, what);
			await save();
		},
		async saveDiscoveryState(discovery: OAuthDiscoveryState) {
			flow.record!.discovery = discovery;
			await save();
		},
		discoveryState: () => flow.record?.discovery,
	};
}

/**
A provider's state, with nothing loaded yet, and the SDK's view of it.
*/
export function createFlow(settings: Settings): Flow {
	const state: FlowState = {
		settings, port: settings.configuredPort, record: undefined, codeVerifier: undefined, state: '', pending: undefined,
	};
	return Object.assign(state, {provider: sdkProvider(state)});
}
