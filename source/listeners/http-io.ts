import {Buffer} from 'node:buffer';
import type {IncomingMessage, ServerResponse, OutgoingHttpHeaders} from 'node:http';
import type {RequestId} from '../types.js';
import {errorCodes} from '../errors.js';
import {
	cutLongStrings, JsonPieces, longStringBytes, parseSkeleton, serializeJson, type SkeletonLine,
} from '../wire/long-strings.js';
import {parseJson} from '../wire/exact-numbers.js';

/*
Small helpers for plain HTTP replies and bounded request bodies, shared by the faces.
*/

/**
Bodies at least this large are encoded into a reused buffer instead of a fresh one.
*/
const pooledBodyBytes = 64 * 1024;

/**
Buffers for large bodies whose write has finished, ready to be reused. A fresh buffer of a megabyte costs more to allocate (the kernel maps and zeroes its pages on first touch) than to fill: on the benchmark machine 4 ms, against 0.2 ms to fill a reused one. At most two are kept, none over 16 MiB, and only while large bodies keep coming: the pool is emptied after 30 s without one.
*/
const bodyPool: Uint8Array[] = [];
const maxPooledBuffers = 2;
const utf8Encoder = new TextEncoder();
const maxPooledBufferBytes = 16 * 1024 * 1024;
let poolTimer: NodeJS.Timeout | undefined;

function takeBuffer(length: number): Uint8Array {
	const index = bodyPool.findIndex(buffer => buffer.length >= length);
	if (index !== -1) {
		return bodyPool.splice(index, 1)[0]!;
	}

	// Some headroom, so that the next body, a little larger, still fits.
	return Buffer.allocUnsafeSlow(length <= maxPooledBufferBytes ? Math.min(Math.ceil(length * 1.25), maxPooledBufferBytes) : length);
}

function releaseBuffer(buffer: Uint8Array): void {
	if (buffer.length > maxPooledBufferBytes || bodyPool.length >= maxPooledBuffers) {
		return;
	}

	bodyPool.push(buffer);
	poolTimer?.refresh();
	poolTimer ??= setTimeout(() => {
		bodyPool.length = 0;
		poolTimer = undefined;
	}, 30_000).unref();
}

/**
Answer with a JSON body (already serialized or not) and a `Content-Length`. `headers` are added to those two (and must not set them). Returns the body's length in bytes, 0 when nothing was sent (the response was sent or gone already).
*/
export function sendJson(response: ServerResponse, status: number, body: unknown, headers?: OutgoingHttpHeaders): number {
	const text = typeof body === 'string' || body instanceof JsonPieces ? body : serializeJson(body);
	if (response.headersSent || response.destroyed) {
		return 0;
	}

	// A flat list of names and values, which `writeHead` takes as it is. An object built per answer (a copy of `headers` plus two keys) costs V8 a new hidden class and Node a fresh key enumeration on every call: on the benchmark's hot path that was 5 to 8 µs per answer.
	const list: Array<string | number | readonly string[]> = ['content-type', 'application/json', 'content-length', 0];
	if (headers !== undefined) {
		for (const name in headers) {
			if (Object.hasOwn(headers, name)) {
				const value = headers[name];
				if (value !== undefined) {
					list.push(name, value);
				}
			}
		}
	}

	if (typeof text === 'string' && text.length < pooledBodyBytes) {
		const length = Buffer.byteLength(text);
		list[3] = length;
		response.writeHead(status, list as string[]);
		response.end(text);
		return length;
	}

	let buffer: Uint8Array;
	let length: number;
	if (typeof text === 'string') {
		// UTF-8 takes at most three bytes per UTF-16 unit: with room for that, one pass encodes and counts (pages never written to are never touched).
		const room = text.length * 3;
		buffer = takeBuffer(room <= maxPooledBufferBytes ? room : Buffer.byteLength(text));
		length = utf8Encoder.encodeInto(text, buffer).written;
	} else {
		// Long strings kept as bytes: copied with the rest into a reused buffer, never made into strings.
		buffer = takeBuffer(text.maxByteLength());
		length = text.writeInto(buffer);
	}

	list[3] = length;
	response.writeHead(status, list as string[]);
	// The buffer goes back to the pool only once the socket is done with it; a body whose response fails is left to the collector.
	response.end(buffer.subarray(0, length), () => {
		releaseBuffer(buffer);
	});
	return length;
}

/**
Answer with a JSON-RPC error object (code -32000 and `id` null unless given) as the body, the form the MCP specification suggests for HTTP errors.
*/
export function sendRpcError(response: ServerResponse, status: number, message: string, options: {code?: number; id?: RequestId; data?: unknown; headers?: OutgoingHttpHeaders} = {}): void {
	const error = options.data === undefined ? {code: options.code ?? -32_000, message} : {code: options.code ?? -32_000, message, data: options.data};
	sendJson(response, status, {jsonrpc: '2.0', id: options.id ?? null, error}, options.headers);
}

/**
Answer with no body (202, 204, 200 for DELETE).
*/
export function sendEmpty(response: ServerResponse, status: number, headers?: OutgoingHttpHeaders): void {
	if (response.headersSent || response.destroyed) {
		return;
	}

	response.writeHead(status, headers);
	response.end();
}

/**
A body read whole: its text, or for a long body with long string values, a skeleton (see `long-strings.ts`).
*/
export type BodyResult = {ok: true; text: string} | {ok: true; skeleton: SkeletonLine} | {ok: false; reason: 'too-large' | 'aborted'};

type BodyReading = {
	chunks: Uint8Array[];
	size: number;
	limit: number;
	callback: (result: BodyResult) => void;
};

const bodyReading = Symbol('bodyReading');
type ReadRequest = IncomingMessage & {[bodyReading]?: BodyReading | undefined};

// Listeners shared by every request (they find their state on the request): no closures per request.
function settleBody(request: ReadRequest, result: BodyResult): void {
	const reading = request[bodyReading];
	if (!reading) {
		return;
	}

	request[bodyReading] = undefined;
	request.off('data', onBodyData);
	request.off('end', onBodyEnd);
	request.off('error', onBodyError);
	request.off('close', onBodyClose);
	reading.callback(result);
}

function onBodyData(this: ReadRequest, chunk: Uint8Array): void {
	const reading = this[bodyReading]!;
	reading.size += chunk.length;
	if (reading.size > reading.limit) {
		reading.chunks.length = 0;
		this.pause();
		settleBody(this, {ok: false, reason: 'too-large'});
		return;
	}

	reading.chunks.push(chunk);
}

function onBodyEnd(this: ReadRequest): void {
	const {chunks, size} = this[bodyReading]!;
	const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
	// The chunks are the request's own (Node does not reuse them): long string values stay there, as bytes.
	const skeleton = chunks.length > 1 && size >= longStringBytes ? cutLongStrings(body, size, chunks) : undefined;
	if (skeleton) {
		settleBody(this, {ok: true, skeleton});
		return;
	}

	const text = Buffer.isBuffer(body) ? body.toString('utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
	settleBody(this, {ok: true, text});
}

function onBodyError(this: ReadRequest): void {
	settleBody(this, {ok: false, reason: 'aborted'});
}

function onBodyClose(this: ReadRequest): void {
	if (!this.complete) {
		settleBody(this, {ok: false, reason: 'aborted'});
	}
}

/**
Read a request body as UTF-8 text, keeping at most `limit` bytes. A declared `Content-Length` over the limit fails at once without reading; a body that grows past it stops being read. Either way the caller answers 413 and the connection is closed after that answer (`Connection: close`), so what the client still sends is never buffered.
*/
export function readBody(request: IncomingMessage, limit: number, callback: (result: BodyResult) => void): void {
	const declared = request.headers['content-length'];
	if (declared !== undefined && Number(declared) > limit) {
		request.pause();
		callback({ok: false, reason: 'too-large'});
		return;
	}

	(request as ReadRequest)[bodyReading] = {
		chunks: [], size: 0, limit, callback,
	};
	request.on('data', onBodyData);
	request.on('end', onBodyEnd);
	request.on('error', onBodyError);
	request.on('close', onBodyClose);
}

/**
Answer 413 with `message` (which names the limit and the setting that raises it) and close the connection, so the rest of an oversized body is never read.
*/
export function sendTooLarge(response: ServerResponse, message: string): void {
	response.shouldKeepAlive = false;
	sendRpcError(response, 413, message, {code: -32_600, headers: {connection: 'close'}});
	response.once('finish', () => {
		// Give the client a moment to read the answer before the socket goes.
		response.socket?.end();
	});
}

/**
Read a request body and parse it as JSON. `callback` gets the parsed value and the length of its text; a body over `limit` is answered 413 with the message `tooLarge` and one that is not JSON 400 with a JSON-RPC parse error, and `callback` is not called. A body cut short by the client is dropped: nobody is left to answer.

@example
```
readJsonBody(request, response, {limit: 4 * 1024 * 1024, tooLarge: 'The request body is larger than 4 MiB'}, (parsed, textLength) => {
	handle(toMessages(parsed, onInvalid, textLength));
});
```
*/
export function readJsonBody(request: IncomingMessage, response: ServerResponse, {limit, tooLarge}: {limit: number; tooLarge: string}, callback: (parsed: unknown, textLength: number) => void): void {
	readBody(request, limit, result => {
		if (!result.ok) {
			if (result.reason === 'too-large') {
				sendTooLarge(response, tooLarge);
			}

			return;
		}

		let parsed: unknown;
		let textLength: number;
		try {
			if ('skeleton' in result) {
				const {value, attach} = parseSkeleton(result.skeleton);
				attach();
				parsed = value;
				textLength = result.skeleton.skeleton.length;
			} else {
				parsed = parseJson(result.text);
				textLength = result.text.length;
			}
		} catch {
			sendRpcError(response, 400, 'Parse error: Invalid JSON', {code: errorCodes.parseError});
			return;
		}

		callback(parsed, textLength);
	});
}

/**
Whether a media-type list (`Accept`) admits a type, counting `*\/*` and `type/*`.
*/
export function accepts(accept: string | undefined, type: string): boolean {
	if (accept === undefined) {
		return false;
	}

	if (accept.includes(type) || accept.includes('*/*')) {
		return true;
	}

	const slash = type.indexOf('/');
	return accept.includes(`${type.slice(0, slash)}/*`);
}

/**
Whether a `Content-Type` is JSON (`application/json`, `application/*+json`, with parameters), or absent.
*/
export function isJsonContentType(contentType: string | undefined): boolean {
	if (contentType === undefined || contentType === '') {
		return true;
	}

	const semicolon = contentType.indexOf(';');
	const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
	return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}

/**
The one value of a request header (the first, if repeated).
*/
export function headerValue(request: IncomingMessage, name: string): string | undefined {
	const value = request.headers[name];
	return Array.isArray(value) ? value[0] : value;
}
