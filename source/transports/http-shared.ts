import {Buffer} from 'node:buffer';
import type {Dispatcher} from 'undici';
import {
	lowerCaseHeaders, withAuth, type AuthProvider, type FetchLike,
} from '../auth/auth-provider.js';
import {
	describeError, errorCodes, MessageTooLargeError, tooLargeMessage,
} from '../errors.js';
import {parseJson} from '../wire/exact-numbers.js';
import type {Logger} from '../logger.js';
import {IdMap} from '../wire/id-map.js';
import {
	errorResponse, isNotification, isRequest, sniffMessage, toMessages,
} from '../wire/message.js';
import type {
	ErrorResponse, Message, Request, RequestId,
} from '../types.js';
import {transportFetch} from '../http/http-agent.js';
import type {OversizeEvent} from '../wire/sse-reader.js';

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
	Credentials: headers asked before each request, and one retry after a 401.
	*/
	auth?: AuthProvider;
	/**
	The connection pool (see `httpAgent`): TLS settings and keep-alive. Ignored when `fetch` is given.

	@default a shared `httpAgent()`
	*/
	dispatcher?: Dispatcher;
	/**
	Replace the HTTP client altogether. Its redirects are then its own: the proxy's policy (within the origin only) holds for the `fetch` it makes itself.
	*/
	fetch?: FetchLike;
	/**
	The largest message accepted from the remote, in bytes.

	@default 134217728 (128 MiB)
	*/
	maxMessageBytes?: number;
	logger?: Logger;
};

export const defaultMaxMessageBytes = 128 * 1024 * 1024;

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
The `fetch` a transport uses: the given one or one through the dispatcher, wrapped with the auth provider.
*/
export function clientFetch(options: HttpClientOptions): FetchLike {
	const base = options.fetch ?? transportFetch(options.dispatcher, options.logger);
	return options.auth ? withAuth(options.auth, base) : base;
}

export function staticHeadersOf(options: HttpClientOptions): Record<string, string> {
	const headers = lowerCaseHeaders(options.headers);
	for (const [name, value] of Object.entries(headers)) {
		if (/[\r\n\0]/.test(value)) {
			throw new TypeError(`Expected the value of header \`${name}\` to have no line break or NUL`);
		}
	}

	return headers;
}

const connectCodes = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EADDRNOTAVAIL',
	'UND_ERR_CONNECT_TIMEOUT',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCode(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
		const {code} = current as NodeJS.ErrnoException;
		if (typeof code === 'string' && code !== '') {
			return code;
		}

		current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] as unknown : current.cause;
	}

	return undefined;
}

/**
Whether a failed `fetch` never reached the server (refused, unknown host, TLS refused…), so the request certainly was not processed.
*/
export function isConnectFailure(error: unknown): boolean {
	const code = errorCode(error);
	return code !== undefined && connectCodes.has(code);
}

/**
A readable reason for a failed `fetch`: undici's "fetch failed" says nothing, its cause does.
*/
export function describeFetchError(error: unknown): string {
	const code = errorCode(error);
	let text = describeError(error).replace(/^fetch failed: /, '');
	if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') {
		text += ' (trust its CA with --verify-ssl CA_PATH, or turn verification off with --no-verify-ssl)';
	}

	return text;
}

export function isAbort(error: unknown): boolean {
	return error instanceof Error && (error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ABORT_ERR');
}

/**
Read at most `maxBytes` of a body as text and discard the rest.
*/
export async function readStart(response: Response, maxBytes = 2048): Promise<string> {
	const reader = response.body?.getReader();
	if (!reader) {
		return '';
	}

	const decoder = new TextDecoder();
	let text = '';
	try {
		while (text.length < maxBytes) {
			// eslint-disable-next-line no-await-in-loop
			const {done, value} = await reader.read();
			if (done) {
				break;
			}

			text += decoder.decode(value, {stream: true});
		}
	} catch {
		// A broken body: what we have is the preview.
	} finally {
		reader.cancel().catch(() => undefined);
	}

	return text.slice(0, maxBytes);
}

/**
Read a whole body as UTF-8 text, counting its bytes as they arrive, whatever its `Content-Length` says or whether it has one (a chunked body, a compressed one): a body over `maxBytes` is not read further but cancelled, and the promise rejects with a `MessageTooLargeError` that names `what` ("The remote server's answer to `tools/call`"), the limit and the flag. A declared length over the limit is refused without reading.
*/
export async function readLimitedText(response: Response, maxBytes: number, what: string): Promise<string> {
	const declared = Number(response.headers.get('content-length'));
	if (declared > maxBytes) {
		void response.body?.cancel();
		throw new MessageTooLargeError(tooLargeMessage(what, maxBytes, declared), maxBytes);
	}

	const reader = response.body?.getReader();
	if (!reader) {
		return '';
	}

	const chunks: Uint8Array[] = [];
	let size = 0;
	let done = false;
	try {
		for (;;) {
			// eslint-disable-next-line no-await-in-loop
			const result = await reader.read();
			if (result.done) {
				done = true;
				break;
			}

			size += result.value.length;
			if (size > maxBytes) {
				throw new MessageTooLargeError(tooLargeMessage(what, maxBytes), maxBytes);
			}

			chunks.push(result.value);
		}
	} finally {
		if (!done) {
			reader.cancel().catch(() => undefined);
		}
	}

	const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
	const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
	// As `Response.text()` does, a byte order mark is not part of the text.
	return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/**
A short, single-line preview of a body for an error message: HTML tags and runs of white space removed.
*/
export function previewText(text: string, maxLength = 200): string {
	let shown = text.slice(0, Math.max(maxLength * 8, 4096));
	if (/^\s*</.test(shown)) {
		shown = shown.replaceAll(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ').replaceAll(/<[^>]*>/g, ' ');
	}

	shown = shown.replaceAll(/\s+/g, ' ').trim();
	return shown.length > maxLength ? `${shown.slice(0, maxLength)}…` : shown;
}

/**
Turn an HTTP error status for a request into its JSON-RPC error reply: the server's own JSON-RPC error when the body has one, else an error naming the status and the start of the body.
*/
export function httpErrorReply({id, method}: {id: RequestId; method: string}, {status, statusText}: {status: number; statusText: string}, body: string): ErrorResponse {
	try {
		const parsed = parseJson(body) as {error?: {code?: unknown; message?: unknown; data?: unknown}};
		const {error} = parsed;
		if (error && typeof error.code === 'number' && typeof error.message === 'string') {
			return errorResponse(id, error.code, `The remote server refused \`${method}\` (HTTP ${status}): ${error.message}`, error.data);
		}
	} catch {
		// Not JSON: described below.
	}

	const code = status === 502 || status === 503 || status === 504 ? errorCodes.upstreamUnavailable : errorCodes.internalError;
	const preview = previewText(body);
	return errorResponse(id, code, `The remote server answered \`${method}\` with HTTP ${status}${statusText ? ` ${statusText}` : ''}${preview ? `: ${preview}` : ''}`);
}

/**
An event over the limit that a long-lived stream (a GET stream, a legacy SSE session) skipped: the line to log, and the error answer it is owed when its id can be told from its first or last characters, for the remote (one of its requests) or for the client (a response to one of the client's).
*/
export function oversizeEventReply(event: OversizeEvent, limit: number, origin: string): {log: string; toRemote?: ErrorResponse; toClient?: ErrorResponse} {
	const log = `${tooLargeMessage(`An event on ${origin}`, limit)}; it was skipped. It began ${previewText(event.head, 120)}`;
	const sniffed = sniffMessage(event.head, event.tail);
	if (sniffed?.kind === 'request') {
		return {log, toRemote: errorResponse(sniffed.id, errorCodes.messageTooLarge, tooLargeMessage('The request', limit))};
	}

	if (sniffed) {
		return {log, toClient: errorResponse(sniffed.id, errorCodes.messageTooLarge, tooLargeMessage('The remote server\'s answer', limit))};
	}

	return {log};
}

/**
Parse a JSON body or SSE data field into messages; invalid content is reported through `onInvalid` and skipped.
*/
export function parseMessages(text: string, onInvalid: (reason: string) => void): Message[] {
	let value: unknown;
	try {
		value = parseJson(text);
	} catch (error) {
		onInvalid(`not valid JSON (${describeError(error)})`);
		return [];
	}

	return toMessages(value, reason => {
		onInvalid(`not a JSON-RPC message: ${reason}`);
	}, text.length);
}

/**
Milliseconds to wait, cancelled by a signal (resolves early, never rejects).
*/
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
	if (signal.aborted) {
		return;
	}

	await new Promise<void>(resolve => {
		const done = () => {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		};

		const timer = setTimeout(done, ms);
		signal.addEventListener('abort', done);
	});
}

/**
How long a client transport whose server certainly refused a message waits for its other POSTs before it ends, in milliseconds.
*/
const refusalGrace = 5000;

/**
The abort controllers of the requests whose HTTP exchange is open, by request id: one can be aborted alone (a cancelled request), and aborting `signal` (the transport's) aborts every open one with its reason, those whose id a later request took included. One listener on the transport's signal, where an `AbortSignal.any` per request cost about 30 µs of CPU per call in Node 20 (weak references and a finalization registry for every composite signal).
*/
export class RequestAborts extends IdMap<RequestId, AbortController> {
	private readonly signal: AbortSignal;
	private readonly open = new Set<AbortController>();

	constructor(signal: AbortSignal) {
		super();
		this.signal = signal;
		signal.addEventListener('abort', () => {
			for (const own of this.open) {
				own.abort(signal.reason);
			}
		}, {once: true});
	}

	/**
	Run the HTTP exchange of `message`: a request's with a controller of its own (found by its id meanwhile, unless a later request takes the id), anything else's with the transport's signal.
	*/
	async run(message: Message, exchange: (request: Request | undefined, signal: AbortSignal) => Promise<void>): Promise<void> {
		if (!isRequest(message)) {
			await exchange(undefined, this.signal);
			return;
		}

		const own = this.start(message.id);
		try {
			await exchange(message, own.signal);
		} finally {
			this.close(message.id, own);
		}
	}

	/**
	A new controller for request `id`, already aborted if the transport is.
	*/
	private start(id: RequestId): AbortController {
		const own = new AbortController();
		if (this.signal.aborted) {
			own.abort(this.signal.reason);
		}

		this.open.add(own);
		this.set(id, own);
		return own;
	}

	/**
	The exchange of request `id` that `own` was started for is over.
	*/
	private close(id: RequestId, own: AbortController): void {
		this.open.delete(own);
		if (this.get(id) === own) {
			this.delete(id);
		}
	}
}

/**
The end of a client transport once the server has certainly refused a message (its session gone, or no connection). The transport ends (`fail`) when its other POSTs are done (`settle` with none open) or after 5 seconds, with the error `end` builds from every message the server certainly never processed: those refused (`add`), those sent meanwhile (`keep`), and `alsoUnsent()` (held back, never sent).
*/
export class Refusal {
	private unsent: Message[] = [];
	private readonly timer: ReturnType<typeof setTimeout>;
	private readonly end: (unsent: Message[]) => Error;
	private readonly fail: (error: Error) => void;
	private readonly alsoUnsent: () => readonly Message[];

	constructor(end: (unsent: Message[]) => Error, fail: (error: Error) => void, alsoUnsent: () => readonly Message[] = () => []) {
		this.end = end;
		this.fail = fail;
		this.alsoUnsent = alsoUnsent;
		this.timer = setTimeout(() => {
			this.finish();
		}, refusalGrace);
	}

	/**
	A message the server refused too.
	*/
	add(message: Message | undefined): void {
		if (message) {
			this.unsent.push(message);
		}
	}

	/**
	A message sent while the transport winds down: it is never POSTed, so it is unsent. A cancellation instead takes its request out of the unsent ones and aborts the request's exchange if one is open.
	*/
	keep(message: Message, requestAborts: IdMap<RequestId, AbortController>): void {
		if (isNotification(message) && message.method === 'notifications/cancelled') {
			const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
			if (requestId !== undefined) {
				requestAborts.get(requestId)?.abort();
			}

			this.unsent = this.unsent.filter(entry => !(isRequest(entry) && entry.id === requestId));
			return;
		}

		this.unsent.push(message);
	}

	/**
	End the transport once no other POST is open.
	*/
	settle(postsOpen: number): void {
		if (postsOpen === 0) {
			this.finish();
		}
	}

	/**
	The transport ended otherwise (unsubscribed): no need to end it.
	*/
	cancel(): void {
		clearTimeout(this.timer);
	}

	private finish(): void {
		clearTimeout(this.timer);
		this.fail(this.end([...this.unsent, ...this.alsoUnsent()]));
	}
}

/**
How many notifications and answers a client transport POSTs at once, and how many more may wait for their turn.
*/
export const maxConcurrentAnswers = 16;
export const maxWaitingAnswers = 10_000;

/**
The POSTs of a client transport's notifications and answers (to the server's requests): at most `maxConcurrentAnswers` at once, the others waiting in order, at most `maxWaitingAnswers` of them (beyond that they are dropped, and logged). A server that floods requests of its own, each answered with a POST, thus cannot take every connection of the pool: the client's own requests, which do not go through the lane, always find one.
*/
export class AnswerLane {
	private active = 0;
	private readonly waiting: Array<Message | undefined> = [];
	private head = 0;
	private dropped = 0;
	private idleWaiters: Array<() => void> = [];
	private readonly post: (message: Message) => Promise<void>;
	private readonly logger: Logger;
	/**
	One message is done: the next one's turn (one function for every message).
	*/
	private readonly next: () => void;

	/**
	@param post POST a message; the promise must not reject.
	*/
	constructor(post: (message: Message) => Promise<void>, logger: Logger) {
		this.post = post;
		this.logger = logger;
		this.next = () => {
			this.active--;
			const message = this.shift();
			if (message) {
				this.run(message);
			} else if (this.active === 0) {
				this.settle();
			}
		};
	}

	send(message: Message): void {
		if (this.active < maxConcurrentAnswers) {
			this.run(message);
			return;
		}

		if (this.waiting.length - this.head >= maxWaitingAnswers) {
			if (this.dropped === 0) {
				this.logger.error(`${maxWaitingAnswers} messages already wait to be sent to the remote server, which sends requests faster than it takes their answers; dropping the next ones`);
			}

			this.dropped++;
			return;
		}

		this.waiting.push(message);
	}

	/**
	Resolves once no message waits or is being sent.
	*/
	async idle(): Promise<void> {
		if (this.active === 0 && this.head === this.waiting.length) {
			return;
		}

		await new Promise<void>(resolve => {
			this.idleWaiters.push(resolve);
		});
	}

	/**
	The transport ended: the waiting messages are not sent.
	*/
	clear(): void {
		this.waiting.length = 0;
		this.head = 0;
		if (this.active === 0) {
			this.settle();
		}
	}

	private run(message: Message): void {
		this.active++;
		void this.post(message).finally(this.next);
	}

	private shift(): Message | undefined {
		if (this.head === this.waiting.length) {
			return undefined;
		}

		const message = this.waiting[this.head];
		this.waiting[this.head++] = undefined;
		if (this.head === this.waiting.length) {
			this.waiting.length = 0;
			this.head = 0;
		} else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
			this.waiting.splice(0, this.head);
			this.head = 0;
		}

		return message;
	}

	private settle(): void {
		if (this.dropped > 0) {
			this.logger.warning(`Dropped ${this.dropped} messages for the remote server while too many waited to be sent`);
			this.dropped = 0;
		}

		const waiters = this.idleWaiters;
		this.idleWaiters = [];
		for (const wake of waiters) {
			wake();
		}
	}
}
