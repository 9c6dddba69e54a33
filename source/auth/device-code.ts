/*
The device authorization grant (RFC 8628): a sign-in for a machine without a browser, which shows a code to enter elsewhere and polls the token endpoint until it is entered, refused or expired.
*/
/* eslint-disable @typescript-eslint/naming-convention -- OAuth fields are spelled as the RFCs spell them. */
import {Buffer} from 'node:buffer';
import {setTimeout as delay} from 'node:timers/promises';
import type {OAuthClientInformationMixed, OAuthTokens} from '@modelcontextprotocol/sdk/shared/auth.js';
import {AuthError, SignInError, describeError} from '../errors.js';
import {defaultLogger, type Logger} from '../logger.js';
import {noRedaction, type Redactor} from '../redactor.js';
import {fetchWith} from '../http/http-agent.js';
import type {FetchLike} from './auth-provider.js';
import {limitAuthBodies, readAuthText} from './auth-bodies.js';

export const deviceCodeGrantType = 'urn:ietf:params:oauth:grant-type:device_code';

export type DeviceAuthorizationOptions = {
	/**
	The authorization server's `device_authorization_endpoint`.
	*/
	deviceAuthorizationEndpoint: string;
	tokenEndpoint: string;
	client: OAuthClientInformationMixed;
	scope?: string;
	/**
	The RFC 8707 resource indicator (the MCP server).
	*/
	resource?: string;
	/**
	Give up after this many milliseconds, or when the device code expires, whichever comes first.

	@default 300000
	*/
	timeout?: number;
	fetch?: FetchLike;
	/**
	Learns the device code, so that the log hides it (see `createRedactor`).

	@default no redaction
	*/
	redactor?: Redactor;
	logger?: Logger;
	/**
	Wait between polls (for tests).

	@default setTimeout
	*/
	sleep?: (ms: number) => Promise<void>;
};

type Reply = Record<string, unknown>;

async function post(fetch: FetchLike, url: string, form: URLSearchParams, client: OAuthClientInformationMixed): Promise<{status: number; reply: Reply}> {
	const headers: Record<string, string> = {'content-type': 'application/x-www-form-urlencoded', accept: 'application/json'};
	const method = 'token_endpoint_auth_method' in client ? client.token_endpoint_auth_method : undefined;
	if (client.client_secret !== undefined && method !== 'client_secret_post') {
		const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
		headers['authorization'] = `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(client.client_secret)}`).toString('base64')}`;
	} else {
		form.set('client_id', client.client_id);
		if (client.client_secret !== undefined) {
			form.set('client_secret', client.client_secret);
		}
	}

	let response: Response;
	try {
		response = await fetch(url, {method: 'POST', headers, body: form.toString()});
	} catch (error) {
		throw new AuthError(`Cannot reach ${url}: ${describeError(error)}`, {cause: error});
	}

	const text = await readAuthText(response, url);
	try {
		return {status: response.status, reply: JSON.parse(text) as Reply};
	} catch {
		return {status: response.status, reply: {error: `HTTP ${response.status}`, error_description: text.slice(0, 200)}};
	}
}

async function startDeviceAuthorization({
	fetch, endpoint, request, client, logger, redactor,
}: {fetch: FetchLike; endpoint: string; request: URLSearchParams; client: OAuthClientInformationMixed; logger: Logger; redactor: Redactor}) {
	const {status, reply} = await post(fetch, endpoint, request, client);
	const {device_code: deviceCode, user_code: userCode, verification_uri: verificationUri, verification_uri_complete: complete} = reply;
	if (status !== 200 || typeof deviceCode !== 'string' || typeof userCode !== 'string' || typeof verificationUri !== 'string') {
		throw new AuthError(`The device authorization endpoint refused (HTTP ${status}${reply['error'] === undefined ? '' : `, ${describeReply(reply)}`})`);
	}

	redactor.add(deviceCode);
	const show = typeof complete === 'string' ? complete : verificationUri;
	logger.info(`Sign in to continue: on any device, open\n\n    ${show}\n\n  ${show === verificationUri ? 'and enter' : 'and check that it shows'} the code ${userCode}\n`);
	return {
		deviceCode,
		lifetime: typeof reply['expires_in'] === 'number' ? reply['expires_in'] * 1000 : undefined,
		interval: typeof reply['interval'] === 'number' && reply['interval'] > 0 ? reply['interval'] * 1000 : 5000,
	};
}

const describeReply = (reply: Reply) => `${String(reply['error'])}${typeof reply['error_description'] === 'string' ? `: ${reply['error_description']}` : ''}`;

/**
The OAuth 2.0 device authorization grant (RFC 8628), for machines without a browser: asks the authorization server for a user code, tells the user (standard error) where to enter it, and polls the token endpoint until the user has approved, honouring `interval` and `slow_down`. Resolves with the tokens; rejects with an `AuthError` when the user denies, the code expires or `timeout` passes.

@example
```
const tokens = await deviceAuthorization({
	deviceAuthorizationEndpoint: metadata.device_authorization_endpoint,
	tokenEndpoint: metadata.token_endpoint,
	client: {client_id: 'my-app'},
	resource: 'https://mcp.example.com/mcp',
});
```
*/
export async function deviceAuthorization(options: DeviceAuthorizationOptions): Promise<OAuthTokens> {
	const {
		deviceAuthorizationEndpoint, tokenEndpoint, client, scope, resource, timeout = 300_000, logger = defaultLogger, redactor = noRedaction,
		sleep = async (ms: number) => delay(ms),
	} = options;
	// Each answer is read within `authBodyLimit`, whatever the server sends.
	const fetch = limitAuthBodies(options.fetch ?? fetchWith(undefined, logger));
	for (const [name, value] of [['deviceAuthorizationEndpoint', deviceAuthorizationEndpoint], ['tokenEndpoint', tokenEndpoint]] as const) {
		if (!URL.canParse(value)) {
			throw new TypeError(`Expected \`${name}\` to be a URL, got \`${String(value)}\``);
		}
	}

	const request = new URLSearchParams();
	if (scope) {
		request.set('scope', scope);
	}

	if (resource) {
		request.set('resource', resource);
	}

	const started = Date.now();
	const {deviceCode, lifetime, interval: firstInterval} = await startDeviceAuthorization({
		fetch, endpoint: deviceAuthorizationEndpoint, request, client, logger, redactor,
	});
	const deadline = started + Math.min(lifetime ?? timeout, timeout);
	let interval = firstInterval;
	for (;;) {
		if (Date.now() + interval > deadline) {
			throw new SignInError(`No sign-in within ${Math.round((deadline - started) / 1000)} s; the device code expired`);
		}

		// eslint-disable-next-line no-await-in-loop
		await sleep(interval);
		const form = new URLSearchParams([['grant_type', deviceCodeGrantType], ['device_code', deviceCode]]);
		if (resource) {
			form.set('resource', resource);
		}

		// eslint-disable-next-line no-await-in-loop
		const poll = await post(fetch, tokenEndpoint, form, client);
		if (poll.status === 200 && typeof poll.reply['access_token'] === 'string') {
			return poll.reply as unknown as OAuthTokens;
		}

		const {error} = poll.reply;
		if (error === 'authorization_pending') {
			continue;
		}

		if (error === 'slow_down') {
			interval += 5000;
			continue;
		}

		// The user said no, or took too long: not a fault to retry on a timer.
		const ErrorType = error === 'access_denied' || error === 'expired_token' ? SignInError : AuthError;
		throw new ErrorType(`The device sign-in failed (HTTP ${poll.status}, ${describeReply(poll.reply)})`);
	}
}
