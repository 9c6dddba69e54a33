/*
The HTTP agent the remote transports and the auth code connect through (TLS checks, extra CAs, keep-alive, a bound on connections per origin), shared by default, and the `fetch` functions built on it.
*/
import {Buffer} from 'node:buffer';
import {rootCertificates} from 'node:tls';
import {
	Agent, EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher,
} from 'undici';
import {defaultLogger, type Logger} from '../logger.js';
import type {FetchLike} from './fetch-middleware.js';
import {followRedirects} from './redirects.js';
import {requestFetch} from './request-fetch.js';

export type HttpAgentOptions = {
	/**
	Verify the server's TLS certificate.

	@default true
	*/
	verifyTls?: boolean;
	/**
	Extra certificate authorities to trust (PEM), on top of Node's built-in list: for a server whose certificate a private CA signed.
	*/
	ca?: string | Uint8Array | Array<string | Uint8Array>;
	/**
	How long an idle connection is kept for the next request, in milliseconds.

	@default 60000
	*/
	keepAliveTimeout?: number;
	/**
	The most connections to one origin.

	@default 64
	*/
	connections?: number;
	/**
	A forward proxy to reach servers through (the CLI fills it from `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`): `http` for `http://` URLs, `https` for `https://` ones (each a proxy URL), `noProxy` the hosts reached directly (comma-separated names, `.domain` suffixes, `host:port`, `*` for all). Every connection is tunnelled with `CONNECT`, so TLS still runs end to end with the server.

	@default none
	*/
	proxy?: {http?: string; https?: string; noProxy?: string};
};

/**
An HTTP connection pool (an undici `Agent`) for the remote transports: connections kept alive between requests, TLS settings, and no body or header timeouts, because an SSE stream may stay quiet for hours and a tool may take long to answer (request timeouts belong to `guardRequests`).

@example
```
const dispatcher = httpAgent({ca: readFileSync('corporate-ca.pem')});
const transport = remote({url: 'https://mcp.internal/mcp', dispatcher});
```
*/
export function httpAgent(options: HttpAgentOptions = {}): Dispatcher {
	const {
		verifyTls = true,
		ca,
		keepAliveTimeout = 60_000,
		connections = 64,
	} = options;
	if (!Number.isInteger(connections) || connections < 1) {
		throw new TypeError(`Expected \`connections\` to be a positive integer, got \`${connections}\``);
	}

	const extra = ca === undefined ? [] : (Array.isArray(ca) ? ca : [ca]);
	const tls = {
		rejectUnauthorized: verifyTls,
		...(extra.length > 0 ? {ca: [...rootCertificates, ...extra.map(item => (typeof item === 'string' ? item : Buffer.from(item).toString('utf8')))]} : {}),
	};
	const pool = {
		keepAliveTimeout,
		keepAliveMaxTimeout: Math.max(keepAliveTimeout, 600_000),
		connections,
		bodyTimeout: 0,
		headersTimeout: 0,
	};
	const {proxy} = options;
	if (proxy?.http !== undefined || proxy?.https !== undefined) {
		// An empty string, not `undefined`: undici would otherwise read the environment itself.
		return new EnvHttpProxyAgent({
			...pool, connect: tls, requestTls: tls, httpProxy: proxy.http ?? '', httpsProxy: proxy.https ?? '', noProxy: proxy.noProxy ?? '',
		});
	}

	return new Agent({...pool, connect: tls});
}

let sharedAgent: Dispatcher | undefined;

function defaultAgent(): Dispatcher {
	sharedAgent ??= httpAgent();
	return sharedAgent;
}

/**
A `fetch` that goes through `dispatcher` (by default one shared `httpAgent()`), following redirects by the proxy's policy (`followRedirects`: within the origin only); what the auth code sends its metadata, registration and token requests with.
*/
export function fetchWith(dispatcher?: Dispatcher, logger: Logger = defaultLogger): FetchLike {
	const agent = dispatcher ?? defaultAgent();
	return followRedirects(async (url, init) => undiciFetch(url, {...init, redirect: 'manual', dispatcher: agent} as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>, logger);
}

/**
What the remote transports send their own requests with when no `fetch` is given: `requestFetch` through `dispatcher` (by default the shared `httpAgent()`).
*/
export function transportFetch(dispatcher?: Dispatcher, logger: Logger = defaultLogger): FetchLike {
	return requestFetch(dispatcher ?? defaultAgent(), logger);
}
