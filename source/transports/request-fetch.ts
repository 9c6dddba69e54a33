import {STATUS_CODES} from 'node:http';
import {fetch as undiciFetch, request as undiciRequest, type Dispatcher} from 'undici';
import {lowerCaseHeaders, type FetchLike} from '../auth/auth-provider.js';
import {packageVersion} from '../version.js';

type UndiciBody = Dispatcher.ResponseData['body'];

const redirects = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 20;
// What undici's fetch sends unless told otherwise; some firewalls refuse a request without a User-Agent.
const userAgent = `rx-mcp-proxy/${packageVersion}`;

/**
The part of a `ReadableStream` the transports use (`getReader`, `cancel`, async iteration), over a Node stream: no WHATWG stream machinery on the hot path.
*/
function streamOf(body: UndiciBody): ReadableStream<Uint8Array> {
	let iterator: AsyncIterator<Uint8Array> | undefined;
	const next = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
		iterator ??= body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
		const result = await iterator.next();
		return result.done ? {done: true, value: undefined} : {done: false, value: result.value};
	};

	const cancel = async () => {
		// Destroying emits the abort as an error: expected here.
		body.on('error', () => undefined);
		body.destroy();
	};

	const reader = {
		read: next,
		cancel,
		releaseLock() {
			// Nothing is locked.
		},
		closed: new Promise<undefined>(resolve => {
			body.once('close', () => {
				resolve(undefined);
			});
		}),
	};
	return {
		getReader: () => reader,
		cancel,
		locked: false,
		async * [Symbol.asyncIterator]() {
			yield * body;
		},
	} as unknown as ReadableStream<Uint8Array>;
}

/**
The part of a `Response` the transports and `withAuth` use, over undici's `request` result.
*/
class NodeResponse {
	readonly ok: boolean;
	readonly headers: Headers;
	readonly status: number;
	readonly statusText: string;
	readonly url: string;
	private readonly rawBody: UndiciBody;
	private stream: ReadableStream<Uint8Array> | undefined;

	constructor(result: Dispatcher.ResponseData, url: string) {
		const {statusCode: status, statusText, headers: rawHeaders} = result;
		this.status = status;
		// The server's reason phrase, else the standard one for the status.
		this.statusText = statusText === '' ? STATUS_CODES[status] ?? '' : statusText;
		this.url = url;
		this.rawBody = result.body;
		this.ok = status >= 200 && status < 300;
		this.headers = new Headers();
		for (const name in rawHeaders) {
			if (Object.hasOwn(rawHeaders, name)) {
				const value = rawHeaders[name];
				if (Array.isArray(value)) {
					for (const item of value) {
						this.headers.append(name, item);
					}
				} else if (value !== undefined) {
					this.headers.set(name, value);
				}
			}
		}
	}

	get redirected(): boolean {
		return false;
	}

	get type(): string {
		return 'basic';
	}

	get body(): ReadableStream<Uint8Array> {
		this.stream ??= streamOf(this.rawBody);
		return this.stream;
	}

	get bodyUsed(): boolean {
		return this.rawBody.readableDidRead;
	}

	async text(): Promise<string> {
		return this.rawBody.text();
	}

	async json(): Promise<unknown> {
		return this.rawBody.json();
	}

	async arrayBuffer(): Promise<ArrayBuffer> {
		return this.rawBody.arrayBuffer();
	}
}

function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
	const plain = lowerCaseHeaders(headers ?? undefined);
	plain['user-agent'] ??= userAgent;
	plain['accept'] ??= '*/*';
	return plain;
}

async function send(target: URL, init: RequestInit, headers: Record<string, string>, agent: Dispatcher): Promise<Dispatcher.ResponseData> {
	const {signal} = init;
	if (signal?.aborted) {
		throw abortReason(signal);
	}

	try {
		return await undiciRequest(target, {
			method: init.method ?? 'GET',
			headers,
			body: (init.body ?? undefined) as string | Uint8Array | undefined,
			signal: signal ?? undefined,
			dispatcher: agent,
		});
	} catch (error) {
		if (signal?.aborted) {
			throw abortReason(signal);
		}

		throw new TypeError('fetch failed', {cause: error});
	}
}

function abortReason(signal: AbortSignal | undefined): unknown {
	return signal?.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
A `fetch` for the remote transports' own requests, on undici's `request` through `agent`: about 0.3 ms less per request than undici's `fetch` here (no WHATWG streams, no Fetch-spec bookkeeping). It behaves as `fetch` where the transports can tell: network failures are `TypeError('fetch failed')` with the cause, an abort rejects with the signal's reason, a User-Agent is sent, 307/308 redirects within the origin are followed (other redirects are handed to `fetch`). Bodies other than strings and bytes go to `fetch` as well. Unlike `fetch` it asks for no compression. The `Response` it gives has what the transports use (status, statusText, ok, headers, url, a body with `getReader`/`cancel`/async iteration, text/json/arrayBuffer); not `clone`, `blob` or the stream piping methods.
*/
export function requestFetch(agent: Dispatcher): FetchLike {
	return async (url, init = {}) => {
		const {body} = init;
		if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
			return undiciFetch(url, {...init, dispatcher: agent} as Parameters<typeof undiciFetch>[1]) as unknown as Response;
		}

		const headers = plainHeaders(init.headers);
		let target = new URL(url);
		for (let hop = 0; ; hop++) {
			// eslint-disable-next-line no-await-in-loop
			const result = await send(target, init, headers, agent);
			const {location} = result.headers;
			if (!redirects.has(result.statusCode) || typeof location !== 'string') {
				return new NodeResponse(result, target.href) as unknown as Response;
			}

			result.body.on('error', () => undefined);
			result.body.destroy();
			const next = new URL(location, target);
			// A 307 or 308 to the same origin (e.g. /mcp → /mcp/) repeats the request there. Anything else (a method change, another origin, which the credentials must not follow) is fetch's: it is asked again at this URL and follows the redirect by the Fetch rules, dropping the credentials across origins.
			if ((result.statusCode !== 307 && result.statusCode !== 308) || next.origin !== target.origin || hop >= maxRedirects) {
				return undiciFetch(target, {...init, dispatcher: agent} as Parameters<typeof undiciFetch>[1]) as unknown as Response;
			}

			target = next;
		}
	};
}
