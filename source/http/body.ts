/*
Bodies of the remote server's answers: read whole within a byte limit, or only their start for an error message; bounded for a reader we do not control (the SDK's auth helpers); previewed on one line; parsed into JSON-RPC messages.
*/
import {Buffer} from 'node:buffer';
import {describeError, MessageTooLargeError, tooLargeMessage} from '../errors.js';
import {parseJson} from '../wire/exact-numbers.js';
import {toMessages} from '../wire/message.js';
import type {Message} from '../types.js';

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
			// eslint-disable-next-line no-await-in-loop -- A stream is read one chunk after the other.
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
Read a whole body as UTF-8 text, counting its bytes as they arrive, whatever its `Content-Length` says or whether it has one (a chunked body, a compressed one): a body over `maxBytes` is not read further but cancelled, and the promise rejects with a `MessageTooLargeError` that names `what` ("The remote server's answer to `tools/call`"), the limit and how to raise it (`raise`, see `tooLargeMessage`). A declared length over the limit is refused without reading.
*/
export async function readLimitedText(response: Response, maxBytes: number, what: string, raise: string): Promise<string> {
	const declared = Number(response.headers.get('content-length'));
	if (declared > maxBytes) {
		void response.body?.cancel();
		throw new MessageTooLargeError(tooLargeMessage(what, maxBytes, declared, raise), maxBytes);
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
			// eslint-disable-next-line no-await-in-loop -- A stream is read one chunk after the other.
			const result = await reader.read();
			if (result.done) {
				done = true;
				break;
			}

			size += result.value.length;
			if (size > maxBytes) {
				throw new MessageTooLargeError(tooLargeMessage(what, maxBytes, undefined, raise), maxBytes);
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
`response` with a body that counts its bytes as they are read, by whoever reads it (`json()`, `text()`, a stream reader): past `maxBytes` (or at once, when the declared `Content-Length` is over it) the body errors with a `MessageTooLargeError` worded as `readLimitedText`'s, and the rest is not read but cancelled. For code that reads the bodies we fetch for it, such as the SDK's auth helpers. A response that has no body is returned as it is.
*/
export function limitBody(response: Response, maxBytes: number, what: string, raise: string): Response {
	const {body: source, status} = response;
	// `new Response` refuses a body with these statuses, and a status outside 200–599.
	if (!source || status < 200 || status > 599 || status === 204 || status === 205 || status === 304) {
		return response;
	}

	const declared = Number(response.headers.get('content-length'));
	const reader = source.getReader();
	let size = 0;
	const tooLarge = (bytes?: number) => new MessageTooLargeError(tooLargeMessage(what, maxBytes, bytes, raise), maxBytes);
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			if (declared > maxBytes) {
				reader.cancel().catch(() => undefined);
				controller.error(tooLarge(declared));
				return;
			}

			let result: ReadableStreamReadResult<Uint8Array>;
			try {
				result = await reader.read();
			} catch (error) {
				controller.error(error);
				return;
			}

			if (result.done) {
				controller.close();
				return;
			}

			size += result.value.length;
			if (size > maxBytes) {
				reader.cancel().catch(() => undefined);
				controller.error(tooLarge());
				return;
			}

			controller.enqueue(result.value);
		},
		async cancel(reason) {
			await reader.cancel(reason).catch(() => undefined);
		},
	}, {highWaterMark: 0});
	const limited = new Response(body, {status, statusText: response.statusText, headers: response.headers});
	// What a reader may look at besides the body: where the answer came from.
	Object.defineProperties(limited, {url: {value: response.url}, redirected: {value: response.redirected}});
	return limited;
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
The media type of a response, lower-cased (`''` when it has none).
*/
export function contentType(response: Response): string {
	return (response.headers.get('content-type') ?? '').toLowerCase();
}
