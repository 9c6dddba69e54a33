/*
The user's part of the flow: the SDK's `auth()` run with this provider (discovery, registration, the token requests), the browser sign-in (a loopback callback server, the browser opened on the sign-in page, the code exchanged) and the device sign-in (RFC 8628).
*/
import {createServer} from 'node:net';
import {auth} from '@modelcontextprotocol/sdk/client/auth.js';
import {AuthError, MessageTooLargeError, describeError} from '../../errors.js';
import {settingName} from '../../setting-names.js';
import {listenForCallback} from '../callback-server.js';
import {deviceAuthorization} from '../device-code.js';
import {openBrowser} from '../open-browser.js';
import type {Flow} from './sdk-provider.js';

/**
What a 401 or 403 asked for: the scope it names, and where the resource's metadata is.
*/
export type Challenge = {scope?: string; resourceMetadataUrl?: URL};

/**
A free loopback port, for a callback port of 0.
*/
export async function freePort(): Promise<number> {
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

/**
The SDK's `auth()` with this provider: `AUTHORIZED`, or `REDIRECT` with the sign-in URL left in `flow.pending`. Its failures become an `AuthError` naming the server, with a hint when the server publishes no OAuth metadata at all.
*/
export async function runAuth(flow: Flow, parameters: Challenge & {authorizationCode?: string}) {
	const {serverUrl, fetch, host, settingNames} = flow.settings;
	try {
		return await auth(flow.provider, {
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
		const noMetadata = !flow.record?.discovery?.authorizationServerMetadata && !(error instanceof MessageTooLargeError);
		const hint = noMetadata ? ` (the server answered 401 and publishes no OAuth metadata; if it expects a fixed token, send it with ${settingName(settingNames, 'headers')} instead)` : '';
		throw new AuthError(`Authorization with ${host} failed: ${describeError(error)}${hint}`, {cause: error});
	}
}

/**
Sign in with the browser: listen for the callback (checking `state` and `iss`), open `authorizationUrl`, and exchange the code the callback brings for tokens.
*/
export async function browserSignIn(flow: Flow, authorizationUrl: URL, challenge: Challenge): Promise<void> {
	const {
		host, signInTimeout, callbackSettingNames, browserCommand, store, redactor, logger,
	} = flow.settings;
	const metadata = flow.record!.discovery?.authorizationServerMetadata;
	const callback = await listenForCallback({
		port: flow.port,
		state: flow.state,
		...(metadata?.issuer === undefined ? {} : {issuer: metadata.issuer}),
		issuerRequired: (metadata as {authorization_response_iss_parameter_supported?: unknown} | undefined)?.authorization_response_iss_parameter_supported === true,
		timeout: signInTimeout,
		settingNames: callbackSettingNames,
		redactor,
		logger,
	});
	try {
		logger.info(`${host} asks you to sign in${metadata?.issuer ? ` with ${metadata.issuer}` : ''}`);
		openBrowser(authorizationUrl, {...(browserCommand === undefined ? {} : {command: browserCommand}), logger});
		const code = await callback.code;
		const result = await runAuth(flow, {...challenge, authorizationCode: code});
		if (result !== 'AUTHORIZED') {
			throw new AuthError(`The authorization server of ${host} did not issue tokens for the sign-in`);
		}
	} finally {
		flow.codeVerifier = undefined;
		await callback.close();
	}

	logger.info(`Signed in to ${host}; the tokens are kept in ${store.file}`);
}

/**
Sign in with the device authorization grant: the user enters a code on any device while we poll the token endpoint.
*/
export async function deviceSignIn(flow: Flow, challenge: Challenge): Promise<void> {
	const {
		host, settingNames, scope, signInTimeout, fetch, store, redactor, logger,
	} = flow.settings;
	const {discovery} = flow.record!;
	const metadata = discovery?.authorizationServerMetadata as {device_authorization_endpoint?: unknown; token_endpoint?: string} | undefined;
	const client = await flow.provider.clientInformation();
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
		redactor,
		logger,
	});
	await flow.provider.saveTokens({...tokens, issuer: discovery!.authorizationServerUrl});
	logger.info(`Signed in to ${host}; the tokens are kept in ${store.file}`);
}
