import type {KeyObject} from 'node:crypto';
import {readFileSync} from 'node:fs';
import type {AuthProvider} from '../auth/auth-provider.js';
import {authorizationCode} from '../auth/authorization-code/index.js';
import {clientCredentials} from '../auth/client-credentials.js';
import {readPrivateKey, type JwtAlgorithm} from '../auth/jwt.js';
import {bearerToken} from '../auth/static-headers.js';
import {defaultAuthDirectory, tokenStore} from '../auth/token-store.js';
import {describeError, UsageError} from '../errors.js';
import type {FetchLike} from '../http/fetch-middleware.js';
import type {HttpAgentOptions} from '../http/http-agent.js';
import {isLoopbackHost} from '../loopback.js';
import type {Logger} from '../logger.js';
import {noRedaction, type Redactor} from '../redactor.js';
import type {CliOptions} from './options.js';
import {cliSettingNames} from './setting-names.js';

/*
Client mode's credentials and TLS, from the flags: which auth provider the flags and `API_ACCESS_TOKEN` ask for (OAuth client credentials, a bearer token, the headers as given, or else sign-in when the server asks), and the TLS settings of `--verify-ssl`. The policy lives here, with the flags it reads; client mode only receives the provider.
*/

type Environment = Readonly<Record<string, string | undefined>>;

type Context = {
	headers: Readonly<Record<string, string>>;
	environment: Environment;
	fetch: FetchLike;
	/**
	Learns the secrets the auth providers meet (tokens, assertions, codes).

	@default no redaction
	*/
	redactor?: Redactor;
	logger: Logger;
};

/**
The `--headers` as a header record, names lower-cased (the last of a name wins).
*/
export function headersFromFlags(options: Pick<CliOptions, 'headers'>): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const [name, value] of options.headers) {
		headers[name.toLowerCase()] = value;
	}

	return headers;
}

/**
The TLS settings of `--verify-ssl`/`--no-verify-ssl`: verify (with the system's CAs or a CA bundle file), or not, with a warning.
*/
/**
What the environment says about the network, as the Python tool's HTTP client (httpx) reads it: a forward proxy (`HTTPS_PROXY` for https:// URLs, `HTTP_PROXY` for http:// ones, `ALL_PROXY` for both; `NO_PROXY`; upper or lower case) and extra certificate authorities (`SSL_CERT_FILE`, a PEM bundle trusted on top of Node's list).
*/
export function networkFromEnvironment(environment: Readonly<Record<string, string | undefined>>): {proxy?: HttpAgentOptions['proxy']; ca?: Uint8Array} {
	const variable = (name: string) => {
		const value = environment[name] ?? environment[name.toLowerCase()];
		return value === '' ? undefined : value;
	};

	const all = variable('ALL_PROXY');
	const http = variable('HTTP_PROXY') ?? all;
	const https = variable('HTTPS_PROXY') ?? all;
	const noProxy = variable('NO_PROXY');
	const caFile = variable('SSL_CERT_FILE');
	let ca: Uint8Array | undefined;
	if (caFile !== undefined) {
		try {
			ca = readFileSync(caFile);
		} catch (error) {
			throw new UsageError(`Cannot read the CA bundle SSL_CERT_FILE names: ${describeError(error)}`);
		}
	}

	return {
		...(http ?? https ? {proxy: {...(http ? {http} : {}), ...(https ? {https} : {}), ...(noProxy ? {noProxy} : {})}} : {}),
		...(ca ? {ca} : {}),
	};
}

export function tlsFromFlags(verifySsl: CliOptions['verifySsl'], logger: Logger): {verifyTls: boolean; ca?: Uint8Array} {
	if (verifySsl === false) {
		logger.warning('TLS certificate verification is off (--no-verify-ssl): anyone on the path can read and change the traffic');
		return {verifyTls: false};
	}

	if (verifySsl === true) {
		return {verifyTls: true};
	}

	try {
		return {verifyTls: true, ca: readFileSync(verifySsl)};
	} catch (error) {
		throw new UsageError(`Cannot read the CA bundle given to --verify-ssl: ${describeError(error)}`);
	}
}

function oauthClientCredentials(oauth: NonNullable<CliOptions['oauth']>, {fetch, redactor = noRedaction, logger}: Context): AuthProvider {
	const {clientId, clientSecret, privateKeyFile, keyAlgorithm, audience, tokenUrl, scope} = oauth;
	let privateKey: KeyObject | undefined;
	if (privateKeyFile !== undefined) {
		try {
			privateKey = readPrivateKey(readFileSync(privateKeyFile));
		} catch (error) {
			throw new UsageError(`\`--client-private-key\` ${privateKeyFile}: ${describeError(error)}`);
		}
	}

	return clientCredentials({
		clientId,
		...(clientSecret === undefined ? {} : {clientSecret}),
		...(privateKey === undefined ? {} : {privateKey}),
		...(keyAlgorithm === undefined ? {} : {signingAlgorithm: keyAlgorithm as JwtAlgorithm}),
		...(audience === undefined ? {} : {audience}),
		tokenUrl,
		...(scope === undefined ? {} : {scope}),
		fetch,
		redactor,
		logger,
	});
}

function signInWhenAsked(options: CliOptions, {
	environment, fetch, redactor = noRedaction, logger,
}: Context): AuthProvider {
	const {signIn} = options;
	const serverUrl = options.url!;
	return authorizationCode({
		serverUrl,
		store: tokenStore({directory: signIn.authDir ?? defaultAuthDirectory(environment), serverUrl, redactor}),
		...(signIn.clientId === undefined ? {} : {clientId: signIn.clientId}),
		...(signIn.clientSecret === undefined ? {} : {clientSecret: signIn.clientSecret}),
		...(signIn.clientMetadataUrl === undefined ? {} : {clientMetadataUrl: signIn.clientMetadataUrl}),
		...(signIn.scope === undefined ? {} : {scope: signIn.scope}),
		...(signIn.callbackPort === undefined ? {} : {callbackPort: signIn.callbackPort}),
		...(signIn.browserCommand === undefined ? {} : {browserCommand: signIn.browserCommand}),
		deviceCode: signIn.deviceCode,
		signInTimeout: signIn.timeout,
		settingNames: cliSettingNames,
		fetch,
		redactor,
		logger,
	});
}

/**
The auth provider the flags ask for, in this order: OAuth client credentials (`--client-id` with `--token-url`), then `API_ACCESS_TOKEN` as a bearer token (over an `Authorization` header given with `--headers`, as the Python tool does), then that header (no provider), else sign-in when the server asks for it (401). Each credential set aside is named in a warning.
*/
export function authFromFlags(options: CliOptions, context: Context): AuthProvider | undefined {
	const {
		headers, environment, redactor = noRedaction, logger,
	} = context;
	const token = environment['API_ACCESS_TOKEN'];
	if (options.oauth) {
		if (token) {
			logger.warning('API_ACCESS_TOKEN is ignored: OAuth client credentials are given');
		}

		if (headers['authorization'] !== undefined) {
			logger.warning('The Authorization header given with --headers is replaced by the OAuth access token');
		}

		return oauthClientCredentials(options.oauth, context);
	}

	if (token) {
		if (headers['authorization'] !== undefined) {
			logger.warning('The Authorization header given with --headers is replaced by API_ACCESS_TOKEN (as in the Python mcp-proxy): unset the variable to send the header');
		}

		return bearerToken(token, {redactor});
	}

	if (headers['authorization'] !== undefined) {
		return undefined;
	}

	// No credentials given: sign in with the browser when the server asks for it (401).
	return signInWhenAsked(options, context);
}

/**
Warn when credentials would travel to a remote host over plain HTTP (a loopback host is fine).
*/
export function warnAboutPlainHttp(options: CliOptions, headers: Readonly<Record<string, string>>, environment: Environment, logger: Logger): void {
	const {protocol, hostname} = new URL(options.url!);
	if (protocol === 'http:' && !isLoopbackHost(hostname) && (options.oauth !== undefined || Boolean(environment['API_ACCESS_TOKEN']) || headers['authorization'] !== undefined)) {
		logger.warning(`Credentials go to ${hostname} over unencrypted HTTP: anyone on the path can read them. Use https:// if the server offers it.`);
	}
}
