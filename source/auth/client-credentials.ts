/*
The client credentials grant (machine to machine OAuth): an AuthProvider that gets a token with a client secret or a signed JWT (`private_key_jwt`), keeps it until it expires, and gets another when the server refuses it.
*/
import {Buffer} from 'node:buffer';
import type {KeyObject} from 'node:crypto';
import {AuthError, describeError} from '../errors.js';
import {defaultLogger, type Logger} from '../logger.js';
import {noRedaction, type Redactor} from '../redactor.js';
import {fetchWith} from '../http/http-agent.js';
import type {AuthProvider, FetchLike} from './auth-provider.js';
import {limitAuthBodies, readAuthText} from './auth-bodies.js';
import {algorithmFor, clientAssertion, type JwtAlgorithm} from './jwt.js';

export type ClientCredentialsOptions = {
	/**
	The authorization server's token endpoint.
	*/
	tokenUrl: string | URL;
	clientId: string;
	/**
	The client secret (`client_secret_basic` or `client_secret_post`). Give this or `privateKey`.
	*/
	clientSecret?: string;
	/**
	A private key for `private_key_jwt` client authentication (RFC 7523): each token request carries a fresh client assertion signed with it. Give this or `clientSecret`. Read a PEM file with `readPrivateKey`.
	*/
	privateKey?: KeyObject;
	/**
	The JWS algorithm of the client assertion.

	@default inferred from the key: RS256 (RSA), ES256/ES384/ES512 (EC), EdDSA (Ed25519)
	*/
	signingAlgorithm?: JwtAlgorithm;
	/**
	The client assertion's audience: the authorization server's issuer identifier.

	@default the `issuer` of the authorization server metadata at the token URL's origin (RFC 8414) when its `token_endpoint` is `tokenUrl`, else `tokenUrl`
	*/
	audience?: string;
	/**
	Space-separated scopes to request.
	*/
	scope?: string;
	/**
	How the client authenticates to the token endpoint: HTTP Basic (`'basic'`, RFC 6749 §2.3.1), `client_id` and `client_secret` in the form (`'post'`), or Basic first and the form when the server refuses Basic (`'auto'`).

	@default 'auto'
	*/
	clientAuthentication?: 'auto' | 'basic' | 'post';
	/**
	The `fetch` used to reach the token endpoint (with the same TLS settings as the remote, for example).

	Its answers are read within `authBodyLimit` (1 MiB).

	@default fetchWith() (redirects within the origin only)
	*/
	fetch?: FetchLike;
	/**
	A token is refreshed this many milliseconds before it expires, or at 90 % of its lifetime for short-lived tokens.

	@default 60000
	*/
	refreshMargin?: number;
	/**
	@default Date.now
	*/
	now?: () => number;
	/**
	Learns the secrets this provider sends or receives (the client secret, assertions, tokens) so that the log hides them (see `createRedactor`).

	@default no redaction
	*/
	redactor?: Redactor;
	logger?: Logger;
};

type Token = {
	value: string;
	header: string;
	/**
	When to fetch a new one (ms since the epoch); infinite when the server gave no lifetime.
	*/
	refreshAt: number;
};

type TokenReply = {
	access_token?: unknown;
	token_type?: unknown;
	expires_in?: unknown;
	error?: unknown;
	error_description?: unknown;
};

function basic(clientId: string, clientSecret: string): string {
	// RFC 6749 §2.3.1: both parts form-urlencoded before base64.
	const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
	return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/**
OAuth 2 client credentials (machine-to-machine): fetches an access token from `tokenUrl`, sends it as a bearer token, caches it, refreshes it before it expires, and fetches a new one once when the server answers 401. Tokens and the client secret never appear in logs.

@example
```
const auth = clientCredentials({
	tokenUrl: 'https://auth.example.com/oauth/token',
	clientId: 'proxy',
	clientSecret: process.env.CLIENT_SECRET!,
	scope: 'mcp',
});
```
*/
export function clientCredentials(options: ClientCredentialsOptions): AuthProvider {
	const {
		clientSecret,
		clientAuthentication = 'auto',
		refreshMargin = 60_000,
		now = Date.now,
		logger = defaultLogger,
		redactor = noRedaction,
	} = options;
	const tokenUrl = checkOptions(options, clientAuthentication);
	// A hostile or broken token endpoint cannot make us hold more than this of one answer.
	const fetch = limitAuthBodies(options.fetch ?? fetchWith(undefined, logger));
	redactor.add(clientSecret);
	// As it travels in a form body (client_secret_post), should the endpoint quote that back.
	redactor.add(clientSecret === undefined ? undefined : new URLSearchParams([['s', clientSecret]]).toString().slice(2));
	let method: TokenRequestMethod = options.privateKey ? 'jwt' : (clientAuthentication === 'post' ? 'post' : 'basic');
	let audience: Promise<string> | undefined;
	const context: TokenRequestContext = {
		...options,
		fetch,
		tokenUrl,
		now,
		redactor,
		signingAlgorithm: options.privateKey ? options.signingAlgorithm ?? algorithmFor(options.privateKey) : undefined,
		async findAudience() {
			// The assertion's audience is the authorization server's issuer; found once from its metadata.
			audience ??= options.audience === undefined ? discoverAudience(fetch, tokenUrl, logger) : Promise.resolve(options.audience);
			return audience;
		},
	};

	let token: Token | undefined;
	let inFlight: Promise<Token> | undefined;

	const fetchToken = async (): Promise<Token> => {
		const started = now();
		let answer = await requestToken(context, method);
		// The server asks for the other client authentication: RFC 6749 answers invalid_client with 401 (or 400).
		if (clientAuthentication === 'auto' && method === 'basic' && (answer.response.status === 401 || answer.response.status === 400)) {
			logger.debug(`The token endpoint refused HTTP Basic client authentication (HTTP ${answer.response.status}); trying client_secret_post`);
			answer = await requestToken(context, 'post');
			if (answer.response.ok) {
				method = 'post';
			}
		}

		return tokenOf(answer, {
			tokenUrl, started, refreshMargin, logger, redactor,
		});
	};

	const refresh = async () => {
		inFlight ??= fetchToken().then(fresh => {
			token = fresh;
			return fresh;
		}).finally(() => {
			inFlight = undefined;
		});
		return inFlight;
	};

	return {
		async headers() {
			const current = token && now() < token.refreshAt ? token : await refresh();
			return {authorization: current.header};
		},
		async onUnauthorized(_response, sentHeaders) {
			const sent = sentHeaders['authorization'];
			// Another request already replaced the refused token.
			if (token && sent !== undefined && sent !== token.header) {
				return true;
			}

			token = undefined;
			await refresh();
			return true;
		},
	};
}

/**
Check the options; returns the token endpoint's URL.
*/
function checkOptions(options: ClientCredentialsOptions, clientAuthentication: string): URL {
	const {clientId, clientSecret, privateKey} = options;
	let tokenUrl: URL;
	try {
		tokenUrl = new URL(options.tokenUrl);
	} catch {
		throw new TypeError(`Expected \`tokenUrl\` to be a URL, got \`${String(options.tokenUrl)}\``);
	}

	if (typeof clientId !== 'string' || clientId === '') {
		throw new TypeError('Expected `clientId` to be a non-empty string');
	}

	if ((clientSecret === undefined) === (privateKey === undefined)) {
		throw new TypeError('Expected either `clientSecret` or `privateKey`');
	}

	if (clientSecret !== undefined && (typeof clientSecret !== 'string' || clientSecret === '')) {
		throw new TypeError('Expected `clientSecret` to be a non-empty string');
	}

	if (!['auto', 'basic', 'post'].includes(clientAuthentication)) {
		throw new TypeError(`Expected \`clientAuthentication\` to be 'auto', 'basic' or 'post', got \`${String(clientAuthentication)}\``);
	}

	return tokenUrl;
}

/**
The authorization server's issuer, from its metadata when it names this token endpoint; else the token endpoint's URL.
*/
async function discoverAudience(fetch: FetchLike, tokenUrl: URL, logger: Logger): Promise<string> {
	let audience = tokenUrl.href;
	try {
		const metadataUrl = new URL('/.well-known/oauth-authorization-server', tokenUrl);
		const response = await fetch(metadataUrl, {headers: {accept: 'application/json'}});
		if (response.ok) {
			const metadata = JSON.parse(await readAuthText(response, metadataUrl)) as {issuer?: unknown; token_endpoint?: unknown};
			if (typeof metadata.issuer === 'string' && metadata.token_endpoint === tokenUrl.href) {
				audience = metadata.issuer;
			}
		} else {
			await response.body?.cancel();
		}
	} catch (error) {
		// Metadata is optional here, but an answer over the limit is worth a word.
		logger[error instanceof AuthError ? 'warning' : 'debug'](`No authorization server metadata at ${tokenUrl.origin}: ${describeError(error)}`);
	}

	logger.debug(`Client assertions are addressed to ${audience}`);
	return audience;
}

type TokenRequestMethod = 'basic' | 'post' | 'jwt';

type TokenRequestContext = ClientCredentialsOptions & {
	fetch: FetchLike;
	tokenUrl: URL;
	now: () => number;
	redactor: Redactor;
	signingAlgorithm: JwtAlgorithm | undefined;
	findAudience(): Promise<string>;
};

type TokenAnswer = {response: Response; reply: TokenReply; text: string};

/**
POST the client credentials grant, authenticating the client by `using`: HTTP Basic, the form, or a signed assertion.
*/
async function requestToken(context: TokenRequestContext, using: TokenRequestMethod): Promise<TokenAnswer> {
	const {
		clientId, clientSecret, privateKey, scope, fetch, tokenUrl,
	} = context;
	const form = new URLSearchParams([['grant_type', 'client_credentials']]);
	if (scope) {
		form.set('scope', scope);
	}

	const headers: Record<string, string> = {
		'content-type': 'application/x-www-form-urlencoded',
		accept: 'application/json',
	};
	if (using === 'jwt') {
		form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
		const assertion = clientAssertion({
			clientId, audience: await context.findAudience(), key: privateKey!, algorithm: context.signingAlgorithm, now: context.now(),
		});
		context.redactor.add(assertion, {rotating: true});
		form.set('client_assertion', assertion);
	} else if (using === 'basic') {
		headers['authorization'] = basic(clientId, clientSecret!);
		// The base64 of id:secret is the secret in disguise, should the endpoint quote it back.
		context.redactor.add(headers['authorization'].slice(6));
	} else {
		form.set('client_id', clientId);
		form.set('client_secret', clientSecret!);
	}

	let response: Response;
	try {
		response = await fetch(tokenUrl, {method: 'POST', headers, body: form.toString()});
	} catch (error) {
		throw new AuthError(`Cannot reach the token endpoint ${tokenUrl.href}: ${describeError(error)}`, {cause: error});
	}

	const text = await readAuthText(response, tokenUrl);
	let reply: TokenReply = {};
	try {
		reply = JSON.parse(text) as TokenReply;
	} catch {
		// Reported by tokenOf with the status.
	}

	return {response, reply, text};
}

/**
The token a token endpoint's answer gives, with when to refresh it (`refreshMargin` before it expires, at most a tenth of its life); an AuthError saying why when it gives none.
*/
function tokenOf({response, reply, text}: TokenAnswer, {
	tokenUrl, started, refreshMargin, logger, redactor,
}: {tokenUrl: URL; started: number; refreshMargin: number; logger: Logger; redactor: Redactor}): Token {
	if (!response.ok || typeof reply.access_token !== 'string' || reply.access_token === '') {
		const detail = typeof reply.error === 'string'
			? `${reply.error}${typeof reply.error_description === 'string' ? `: ${reply.error_description}` : ''}`
			: (response.ok ? 'the reply has no access_token' : text.slice(0, 200).trim());
		throw new AuthError(`The token endpoint ${tokenUrl.href} refused the client credentials (HTTP ${response.status}${detail ? `, ${detail}` : ''})`);
	}

	const value = reply.access_token;
	redactor.add(value, {rotating: true});
	if (typeof reply.token_type === 'string' && reply.token_type.toLowerCase() !== 'bearer') {
		logger.warning(`The token endpoint issued a token of type \`${reply.token_type}\`; sending it as a bearer token`);
	}

	const lifetime = typeof reply.expires_in === 'number' ? reply.expires_in * 1000 : Number(reply.expires_in) * 1000;
	const refreshAt = Number.isFinite(lifetime) && lifetime > 0
		? started + lifetime - Math.min(refreshMargin, lifetime / 10)
		: Number.POSITIVE_INFINITY;
	logger.debug(`Obtained an access token from ${tokenUrl.href}${Number.isFinite(refreshAt) ? ` (valid for ${Math.round(lifetime / 1000)} s)` : ''}`);
	return {value, header: `Bearer ${value}`, refreshAt};
}
