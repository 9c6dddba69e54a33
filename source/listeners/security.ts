/*
The listener's guards before any route: DNS rebinding (Host and Origin checks), CORS headers, API keys, and headers a request must not repeat.
*/
import {createHash, timingSafeEqual} from 'node:crypto';
import type {IncomingHttpHeaders, OutgoingHttpHeaders} from 'node:http';
import {isLoopbackHost} from '../loopback.js';

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
The host name of a `Host` header (`name`, `name:port`, `[v6]`, `[v6]:port`), lower-cased.
*/
function hostName(header: string): string {
	if (header.startsWith('[')) {
		const end = header.indexOf(']');
		return end === -1 ? header.toLowerCase() : header.slice(0, end + 1).toLowerCase();
	}

	const colon = header.indexOf(':');
	return (colon === -1 ? header : header.slice(0, colon)).toLowerCase();
}

/**
The request headers the proxy decides on, each of which may come only once. Node's parser keeps the first `Host`, `Authorization` or `Content-Type` and joins repeated others with a comma, so with two of them the proxy and an intermediary in front of it could act on different values: RFC 9112 (section 3.2) says to answer two `Host` headers with 400, and the same holds for the others here. Two `Content-Length` headers are refused by Node's parser itself.
*/
const singleHeaderBits = new Map<string, number>([
	'host', 'authorization', 'x-api-key', 'origin', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id',
].map((name, index) => [name, 2 ** index]));

/**
The first header among those that may come only once that a request repeats, as the client spelled it, or `undefined`.

@example
```
repeatedHeader(['Host', 'localhost', 'Host', 'evil.example']); //=> 'Host'
```
*/
export function repeatedHeader(rawHeaders: readonly string[]): string | undefined {
	// A sum of the headers' powers of two: a set without an allocation per request.
	let seen = 0;
	for (let index = 0; index < rawHeaders.length; index += 2) {
		const name = rawHeaders[index]!;
		const bit = singleHeaderBits.get(name.toLowerCase());
		if (bit !== undefined) {
			if (Math.floor(seen / bit) % 2 === 1) {
				return name;
			}

			seen += bit;
		}
	}

	return undefined;
}

export const corsAllowMethods = 'GET, POST, DELETE, OPTIONS';
export const corsAllowHeaders = 'Content-Type, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, X-API-Key, Mcp-Method, Mcp-Name';

const parameterHeader = /^mcp-param-[!#$%&'*+.^`|~\w-]+$/i;
const headerName = /^[!#$%&'*+.^`|~\w-]+$/;
const maxParameterHeaders = 64;

/**
The header names a preflight asks for that `accept` accepts (at most 64, each a valid header name), as it spelled them.
*/
function requestedNames(requested: string | undefined, accept: RegExp): string[] {
	if (requested === undefined) {
		return [];
	}

	const names: string[] = [];
	for (const part of requested.split(',', 256)) {
		const name = part.trim();
		if (accept.test(name) && names.length < maxParameterHeaders) {
			names.push(name);
		}
	}

	return names;
}

/**
The `Mcp-Param-*` header names a preflight asks for (at most 64, each a valid header name), as it spelled them.
*/
export function parameterHeaders(requested: string | undefined): string[] {
	return requestedNames(requested, parameterHeader);
}

/**
Every header name a preflight asks for (at most 64, each a valid header name): what `allowHeaders: ['*']` allows.
*/
function requestedHeaders(requested: string | undefined): string[] {
	return requestedNames(requested, headerName);
}

export type SecurityOptions = {
	/**
	The address the server is bound to.
	*/
	host: string;
	/**
	Host names a request's `Host` header may name on a loopback bind, beyond this machine's (a reverse proxy's public name); `*` allows any.
	*/
	allowHosts?: readonly string[];
	allowOrigins?: readonly string[];
	/**
	Request headers a browser's CORS preflight is allowed beyond the protocol's; `*` allows whatever it asks for.
	*/
	allowHeaders?: readonly string[];
	exposeHeaders: readonly string[];
	apiKey?: string;
};

/**
The request checks of the HTTP listener, built once: Host (DNS rebinding, on loopback binds), Origin, CORS headers, and the API key.

@example
```
const security = createSecurity({host: '127.0.0.1', exposeHeaders: ['Mcp-Session-Id']});
security.hostAllowed(request); //=> false for `Host: evil.example`
```
*/
export function createSecurity(options: SecurityOptions) {
	const allowHosts = options.allowHosts ?? [];
	const checkHost = isLoopbackHost(options.host) && !allowHosts.includes('*');
	const allowedHosts = new Set(allowHosts.map(name => hostName(name)));
	const anyHeader = options.allowHeaders?.includes('*') ?? false;
	const extraHeaders = anyHeader || !options.allowHeaders ? [] : [...new Set(options.allowHeaders)];
	const boundName = hostName(options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host);
	const allowOrigins = options.allowOrigins ?? [];
	const anyOrigin = allowOrigins.includes('*');
	const allowedOrigins = new Set(allowOrigins.map(origin => normalizeOrigin(origin)));
	const cors = options.allowOrigins !== undefined && options.allowOrigins.length > 0;
	const exposeHeaders = options.exposeHeaders.join(', ');
	const keyHash = options.apiKey === undefined ? undefined : sha256(options.apiKey);

	return {
		/**
		Whether the `Host` header names this machine (or one of `allowHosts`), when bound to loopback. A missing header (HTTP/1.0) passes: browsers, the rebinding vector, always send one.
		*/
		hostAllowed(request: {readonly headers: IncomingHttpHeaders}): boolean {
			if (!checkHost) {
				return true;
			}

			const header = request.headers.host;
			if (header === undefined) {
				return true;
			}

			const name = hostName(header);
			return loopbackNames.has(name) || name === boundName || allowedHosts.has(name);
		},

		/**
		Whether an `Origin` may call us: none (not a browser), a localhost page on any port, or one of `allowOrigins` (`*` allows all).
		*/
		originAllowed(origin: string | undefined): boolean {
			if (origin === undefined || anyOrigin) {
				return true;
			}

			if (allowedOrigins.has(normalizeOrigin(origin))) {
				return true;
			}

			return isLocalOrigin(origin);
		},

		/**
		The CORS headers for a request from `origin`, or `undefined` when CORS is off (no `allowOrigins`) or the request is not cross-origin.
		*/
		corsHeaders(origin: string | undefined): OutgoingHttpHeaders | undefined {
			if (!cors || origin === undefined) {
				return undefined;
			}

			return {
				'Access-Control-Allow-Origin': anyOrigin ? '*' : origin,
				'Access-Control-Expose-Headers': exposeHeaders,
				vary: 'Origin',
			};
		},

		/**
		The headers of an answer to a CORS preflight (`OPTIONS`). `requested` is its `Access-Control-Request-Headers`: the `Mcp-Param-*` names among them are allowed too (a 2026-07-28 client mirrors a tool's `x-mcp-header` parameters into headers of any name), and with `allowHeaders` `*` every name it asks for (echoed, since a literal `*` does not cover `Authorization`).
		*/
		preflightHeaders(origin: string | undefined, requested?: string): OutgoingHttpHeaders {
			const headers: OutgoingHttpHeaders = {allow: corsAllowMethods};
			if (cors && origin !== undefined) {
				headers['Access-Control-Allow-Origin'] = anyOrigin ? '*' : origin;
				headers['Access-Control-Allow-Methods'] = corsAllowMethods;
				headers['Access-Control-Allow-Headers'] = [corsAllowHeaders, ...extraHeaders, ...(anyHeader ? requestedHeaders(requested) : parameterHeaders(requested))].join(', ');
				headers['Access-Control-Expose-Headers'] = exposeHeaders;
				headers['Access-Control-Max-Age'] = '86400';
				headers.vary = 'Origin, Access-Control-Request-Headers';
			}

			return headers;
		},

		/**
		Whether the request carries the API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`), compared in constant time. Always true without an `apiKey`.
		*/
		authorized(request: {readonly headers: IncomingHttpHeaders}): boolean {
			if (keyHash === undefined) {
				return true;
			}

			const {authorization} = request.headers;
			let given: string | undefined;
			if (authorization !== undefined && /^bearer /i.test(authorization)) {
				given = authorization.slice(7).trim();
			} else {
				const header = request.headers['x-api-key'];
				given = Array.isArray(header) ? header[0] : header;
			}

			if (given === undefined) {
				return false;
			}

			return timingSafeEqual(sha256(given), keyHash);
		},
	};
}

export type Security = ReturnType<typeof createSecurity>;

function sha256(text: string): Uint8Array {
	return createHash('sha256').update(text).digest();
}

function normalizeOrigin(origin: string): string {
	const trimmed = origin.trim().toLowerCase();
	return trimmed.endsWith('/') ? trimmed.slice(0, -1) : trimmed;
}

function isLocalOrigin(origin: string): boolean {
	let url: URL;
	try {
		url = new URL(origin);
	} catch {
		return false;
	}

	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		return false;
	}

	return loopbackNames.has(url.hostname);
}
