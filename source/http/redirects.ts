// The redirect policy of every HTTP request the proxy makes as a client (the remote transports' and the auth code's): redirects are followed within the origin only, so no configured header, credential, session id or body ever reaches another origin.
import {RedirectError} from '../errors.js';
import type {Logger} from '../logger.js';
import type {FetchLike} from './fetch-middleware.js';
import {lowerCaseHeaders} from './headers.js';

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/**
The most redirects one request follows, as in `fetch`.
*/
export const maxRedirects = 20;

/**
How many pairs of origins a fetch remembers having logged a redirect between: past that, a server that sends each request somewhere else gets a log line per request, and the memory stays bounded.
*/
const maxTold = 64;

/**
The headers that describe a body: dropped with it when a redirect turns the request into a GET (Fetch, HTTP-redirect fetch).
*/
const bodyHeaders = ['content-type', 'content-encoding', 'content-language', 'content-location'];

/**
Whether `to` is within the origin of `from`: the same scheme, host and port, or the https form of an http URL on the default ports (`http://host` → `https://host`: the same host, only encrypted). Another host, another port, or https → http is another origin. The SDK's auth helpers draw the same line.
*/
export function isWithinOrigin(from: URL, to: URL): boolean {
	if (from.protocol === to.protocol && from.host === to.host) {
		return from.protocol === 'http:' || from.protocol === 'https:';
	}

	return from.protocol === 'http:' && to.protocol === 'https:' && from.hostname === to.hostname && from.port === '' && to.port === '';
}

/**
A URL fit for a message: without user name, password, query or fragment, which may hold secrets.
*/
function shown(url: URL): string {
	const copy = new URL(url.href);
	copy.username = '';
	copy.password = '';
	copy.search = '';
	copy.hash = '';
	return copy.href;
}

function originOf(url: URL): string {
	return url.origin === 'null' ? url.protocol : url.origin;
}

/**
The request to send after a redirect with `status` within the origin: 303 (for anything but GET and HEAD), and 301 or 302 for a POST, become a GET without the body, as `fetch` does; 307 and 308 repeat the request as it was.
*/
function redirectedInit(status: number, init: RequestInit): RequestInit {
	const method = (init.method ?? 'GET').toUpperCase();
	if (!(status === 303 && method !== 'GET' && method !== 'HEAD') && !((status === 301 || status === 302) && method === 'POST')) {
		return init;
	}

	const headers = lowerCaseHeaders(init.headers ?? undefined);
	for (const name of bodyHeaders) {
		// eslint-disable-next-line @typescript-eslint/no-dynamic-delete
		delete headers[name];
	}

	const {body: _body, ...rest} = init;
	return {...rest, method: 'GET', headers};
}

/**
Why the redirect of `method from` with `status` to `to` is not followed, or undefined when it is (hops aside).
*/
function refusal(from: URL, to: URL, status: number, method: string): RedirectError | undefined {
	const target = shown(to);
	const what = `${originOf(from)} redirected ${method} ${from.pathname}`;
	if (!isWithinOrigin(from, to)) {
		const consequence = 'not followed, so the configured headers, credentials and session never go there';
		return new RedirectError(`${what} to another origin, ${originOf(to)} (HTTP ${status}): ${consequence}. If the server has moved, configure its new URL (${target}).`, status, target);
	}

	if ((to.username !== from.username || to.password !== from.password) && (to.username !== '' || to.password !== '')) {
		return new RedirectError(`${what} to a URL with a user name or password (HTTP ${status}): not followed`, status, target);
	}

	return undefined;
}

function tooMany(from: URL, to: URL, status: number, method: string): RedirectError {
	return new RedirectError(`${originOf(from)} redirected ${method} ${from.pathname} more than ${maxRedirects} times: not followed further`, status, shown(to));
}

/**
Discard a body nobody reads, so its connection is freed.
*/
function discard(response: Response): void {
	response.body?.cancel().catch(() => undefined);
}

/**
Make a `fetch` that follows redirects by the proxy's policy out of `single`, a `fetch` that never follows one (it answers a redirect with the 3xx response itself).

A redirect within the origin (see `isWithinOrigin`) is followed as `fetch` follows it, with every header kept (the origin is the one the user configured); one to another origin is not followed: the request rejects with a `RedirectError` naming both origins, logged at warning level once per pair of origins. Nothing of the request (its headers, `Authorization`, `Mcp-Session-Id`, body) goes to the other origin, and no request at all. `redirect: 'manual'` hands the 3xx response back unfollowed (the SDK's auth helpers follow within the origin themselves that way); `redirect: 'error'` rejects as `fetch` does.
*/
export function followRedirects(single: FetchLike, logger: Logger): FetchLike {
	const told = new Set<string>();
	const tell = (from: URL, to: URL, level: 'info' | 'warning', text: string) => {
		const key = `${originOf(from)} ${originOf(to)}`;
		if (told.has(key)) {
			return;
		}

		if (told.size < maxTold) {
			told.add(key);
		}

		logger[level](text);
	};

	return async (url, init = {}) => {
		if (init.redirect === 'manual') {
			return single(url, init);
		}

		let target = url instanceof URL ? url : new URL(url);
		let current = init;
		for (let hop = 0; ; hop++) {
			// eslint-disable-next-line no-await-in-loop
			const response = await single(target, current);
			const location = redirectStatuses.has(response.status) ? response.headers.get('location') : null;
			if (location === null) {
				return response;
			}

			discard(response);
			if (!URL.canParse(location, target)) {
				throw new TypeError('fetch failed', {cause: new Error(`The redirect from ${shown(target)} names no valid URL`)});
			}

			const next = new URL(location, target);
			if (init.redirect === 'error') {
				throw new TypeError('fetch failed', {cause: new Error(`Unexpected redirect from ${shown(target)} to ${shown(next)}`)});
			}

			const method = (current.method ?? 'GET').toUpperCase();
			const refused = refusal(target, next, response.status, method) ?? (hop < maxRedirects ? undefined : tooMany(target, next, response.status, method));
			if (refused) {
				tell(target, next, 'warning', refused.message);
				throw refused;
			}

			if (next.protocol !== target.protocol) {
				tell(target, next, 'info', `${originOf(target)} redirects to ${originOf(next)}: following (the same host, encrypted). Configure ${shown(next)} to skip the redirect.`);
			}

			current = redirectedInit(response.status, current);
			target = next;
		}
	};
}
