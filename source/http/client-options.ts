/*
The options every HTTP client transport takes (Streamable HTTP, legacy SSE, `remote`), their checks, and the `fetch` they make of them.
*/
import type {Dispatcher} from 'undici';
import type {Logger} from '../logger.js';
import {checkSettingNames, renameSettings, type SettingNames} from '../setting-names.js';
import {
	composeFetch, withAuth, type AuthProvider, type FetchLike,
} from './fetch-middleware.js';
import {checkedHeaders} from './headers.js';
import {transportFetch} from './http-agent.js';

/**
Options shared by the HTTP client transports.
*/
export type HttpClientOptions = {
	/**
	The remote server's endpoint: `https://host/mcp` for Streamable HTTP, `https://host/sse` for legacy SSE.
	*/
	url: string | URL;
	/**
	Extra headers on every request.
	*/
	headers?: Readonly<Record<string, string>>;
	/**
	Credentials: headers asked before each request, and one retry after a 401. A shorthand for `fetch: composeFetch(fetch, withAuth(auth))`.
	*/
	auth?: AuthProvider;
	/**
	The connection pool (see `httpAgent`): TLS settings and keep-alive. Ignored when `fetch` is given.

	@default a shared `httpAgent()`
	*/
	dispatcher?: Dispatcher;
	/**
	Replace the HTTP client altogether, or give it middleware (`composeFetch(transportFetch(dispatcher), withAuth(provider))`). A `fetch` of your own follows redirects its own way: the proxy's policy (within the origin only) holds for `transportFetch`.
	*/
	fetch?: FetchLike;
	/**
	The largest message accepted from the remote, in bytes.

	@default 134217728 (128 MiB)
	*/
	maxMessageBytes?: number;
	/**
	How messages name the settings they suggest, by option name: this transport's `maxMessageBytes` (a message over it), and `httpAgent`'s `ca` and `verifyTls` (a certificate that cannot be verified). By default the options themselves (``the `maxMessageBytes` option``); a command line passes its flags (`{maxMessageBytes: '--max-message-bytes'}`).
	*/
	settingNames?: SettingNames;
	logger?: Logger;
};

export const defaultMaxMessageBytes = 128 * 1024 * 1024;

/**
The setting names `readEventStream` gets from a transport: its `maxEventBytes` is the transport's `maxMessageBytes`, and is named so.
*/
export function eventSettingNames(settingNames: SettingNames | undefined): SettingNames {
	return renameSettings(settingNames, {maxEventBytes: 'maxMessageBytes'});
}

export function checkUrl(url: string | URL): URL {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new TypeError(`Expected \`url\` to be an http or https URL, got \`${String(url)}\``);
	}

	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw new TypeError(`Expected \`url\` to be an http or https URL, got \`${parsed.href}\``);
	}

	return parsed;
}

export function checkMaxBytes(value: number): number {
	if (!Number.isSafeInteger(value) || value < 1) {
		throw new TypeError(`Expected \`maxMessageBytes\` to be a positive integer, got \`${value}\``);
	}

	return value;
}

/**
The `fetch` a transport uses: the given one or one through the dispatcher, with the `auth` shorthand's middleware when given.
*/
export function clientFetch(options: HttpClientOptions): FetchLike {
	const base = options.fetch ?? transportFetch(options.dispatcher, options.logger);
	return options.auth ? composeFetch(base, withAuth(options.auth)) : base;
}

/**
The shared options checked and resolved, as both transports use them: the URL, the size limit, the fixed headers, the `fetch` (auth applied), the setting names. Throws a `TypeError` for the first bad one, in that order.
*/
export function resolveClientOptions(options: HttpClientOptions) {
	const url = checkUrl(options.url);
	const maxMessageBytes = checkMaxBytes(options.maxMessageBytes ?? defaultMaxMessageBytes);
	const fixedHeaders = checkedHeaders(options.headers);
	const fetch = clientFetch(options);
	const {settingNames} = options;
	checkSettingNames(settingNames);
	return {
		url, maxMessageBytes, fixedHeaders, fetch, settingNames,
	};
}
