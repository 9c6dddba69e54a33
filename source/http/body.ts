/*
Bodies of the remote server's answers: read whole within a byte limit, or only their start for an error message; previewed on one line; parsed into JSON-RPC messages.

No test twin: tested through both transports against real servers (test/transports/streamable-http/index.ts, test/transports/sse/index.ts: size limits, previews) and test/properties/sse-round-trip.ts.
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
			// eslint-disable-next-line no-await-in-loop -- A stream is read one chunk after the other.
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
