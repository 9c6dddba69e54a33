import {STATUS_CODES} from 'node:http';
import type {Readable} from 'node:stream';
import {fetch as undiciFetch, request as undiciRequest, type Dispatcher} from 'undici';
import type {FetchLike} from '../auth/auth-provider.js';

type UndiciBody = Readable & {
	text(): Promise<string>;
	json(): Promise<unknown>;
	arrayBuffer(): Promise<ArrayBuffer>;
};

const redirects = new Set([301, 302, 303, 307, 308]);

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
	readonly url: string;
	private readonly rawBody: UndiciBody;
	private stream: ReadableStream<Uint8Array> | undefined;

	constructor(status: number, rawHeaders: Record<string, string | string[] | undefined>, rawBody: UndiciBody, url: string) {
		this.status = status;
		this.url = url;
		this.rawBody = rawBody;
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

	/**
	undici's `request` does not keep the reason phrase: the standard one for the status.
	*/
	get statusText(): string {
		return STATUS_CODES[this.status] ?? '';
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
	if (headers === undefined) {
		return {};
	}

	if (headers instanceof Headers || Array.isArray(headers)) {
		return Object.fromEntries(headers instanceof Headers ? headers.entries() : headers);
	}

	return headers;
}

function abortReason(signal: AbortSignal | undefined): unknown {
	return signal?.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
A `fetch` for the remote transports' own requests, on undici's `request` through `agent`: about 0.3 ms less per request than undici's `fetch` here (no WHATWG streams, no Fetch-spec bookkeeping). It behaves as `fetch` where the transports can tell: network failures are `TypeError('fetch failed')` with the cause, an abort rejects with the signal's reason, redirects are followed (by handing the request to `fetch`). Bodies other than strings and bytes go to `fetch` as well.
*/
export function requestFetch(agent: Dispatcher): FetchLike {
	return async (url, init = {}) => {
		const {body} = init;
		if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
			return undiciFetch(url, {...init, dispatcher: agent} as Parameters<typeof undiciFetch>[1]) as unknown as Response;
		}

		const {signal} = init;
		if (signal?.aborted) {
			throw abortReason(signal);
		}

		let result: Dispatcher.ResponseData;
		try {
			result = await undiciRequest(url, {
				method: (init.method ?? 'GET'),
				headers: plainHeaders(init.headers),
				body: body ?? undefined,
				signal: signal ?? undefined,
				dispatcher: agent,
			});
		} catch (error) {
			if (signal?.aborted) {
				throw abortReason(signal);
			}

			throw new TypeError('fetch failed', {cause: error});
		}

		if (redirects.has(result.statusCode) && result.headers['location'] !== undefined) {
			result.body.on('error', () => undefined);
			result.body.destroy();
			return undiciFetch(url, {...init, dispatcher: agent} as Parameters<typeof undiciFetch>[1]) as unknown as Response;
		}

		return new NodeResponse(result.statusCode, result.headers, result.body, String(url)) as unknown as Response;
	};
}
