/*
A `fetch` on undici's `request` for the remote transports' own requests: cheaper per request than undici's `fetch`, and alike where the transports can tell.
*/
import {STATUS_CODES} from 'node:http';
import {fetch as undiciFetch, request as undiciRequest, type Dispatcher} from 'undici';
import {defaultLogger, type Logger} from '../logger.js';
import {packageVersion} from '../version.js';
import type {FetchLike} from './fetch-middleware.js';
import {lowerCaseHeaders} from './headers.js';
import {followRedirects} from './redirects.js';

type UndiciBody = Dispatcher.ResponseData['body'];

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
A `fetch` for the remote transports' own requests, on undici's `request` through `agent`: about 0.3 ms less per request than undici's `fetch` here (no WHATWG streams, no Fetch-spec bookkeeping). It behaves as `fetch` where the transports can tell: network failures are `TypeError('fetch failed')` with the cause, an abort rejects with the signal's reason, a User-Agent is sent. Redirects follow the proxy's policy (`followRedirects`): within the origin only, never to another. Bodies other than strings and bytes go to `fetch`. Unlike `fetch` it asks for no compression. The `Response` it gives has what the transports use (status, statusText, ok, headers, url, a body with `getReader`/`cancel`/async iteration, text/json/arrayBuffer); not `clone`, `blob` or the stream piping methods.
*/
export function requestFetch(agent: Dispatcher, logger: Logger = defaultLogger): FetchLike {
	return followRedirects(async (url, init = {}) => {
		const {body} = init;
		if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
			return undiciFetch(url, {...init, redirect: 'manual', dispatcher: agent} as Parameters<typeof undiciFetch>[1]) as unknown as Response;
		}

		const target = url instanceof URL ? url : new URL(url);
		const result = await send(target, init, plainHeaders(init.headers), agent);
		return new NodeResponse(result, target.href) as unknown as Response;
	}, logger);
}
