import type {
	Message,
	Request,
	Notification,
	Response,
	ErrorResponse,
	RequestId,
} from '../types.js';
import {isNumberStandIn, parseJson} from './exact-numbers.js';

/*
Cheap structural checks, used on the hot path instead of schema validation: they look at the fields that decide routing and nothing else, so unknown fields and future methods pass untouched.
*/

type Loose = Record<string, unknown>;

export function isRequest(message: Message): message is Request {
	return 'method' in message && 'id' in message;
}

export function isNotification(message: Message): message is Notification {
	return 'method' in message && !('id' in message);
}

export function isResponse(message: Message): message is Response {
	return !('method' in message) && ('result' in message || 'error' in message);
}

export function isErrorResponse(message: Message): message is ErrorResponse {
	return !('method' in message) && 'error' in message;
}

function isId(value: unknown): value is RequestId {
	return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
How deeply a message may nest objects and arrays. `JSON.parse` takes any depth, but `JSON.stringify` (and every recursive walk) overflows the stack a few thousand levels down, so a deeper message would crash whoever forwards it.
*/
export const maxNestingDepth = 1000;

/**
Whether a parsed JSON value nests objects and arrays deeper than `limit` levels. Iterative: a recursive walk would overflow the stack on the very input it guards against.
*/
export function nestsDeeperThan(value: unknown, limit: number): boolean {
	const values: unknown[] = [value];
	const depths: number[] = [1];
	while (values.length > 0) {
		const current = values.pop()!;
		const depth = depths.pop()!;
		if (depth > limit) {
			return true;
		}

		for (const item of Array.isArray(current) ? current : Object.values(current as Loose)) {
			if (typeof item === 'object' && item !== null) {
				values.push(item);
				depths.push(depth + 1);
			}
		}
	}

	return false;
}

/**
The shortest JSON text that can nest deeper than `maxNestingDepth`: every level takes an opening and a closing bracket.
*/
const shortestTooDeepText = 2 * (maxNestingDepth + 1);

/**
Whether a parsed JSON value is a JSON-RPC 2.0 message: a request or notification (string `method`), or a response (`id` with `result` or `error`), nested at most `maxNestingDepth` levels. Returns the reason when it is not.

`textLength`, the length of the text the value was parsed from, spares the walk that measures the nesting when the text is too short to nest that deep, as most messages are.
*/
export function checkMessage(value: unknown, textLength = Number.POSITIVE_INFINITY): string | undefined {
	const reason = checkShape(value);
	if (reason !== undefined) {
		return reason;
	}

	return textLength >= shortestTooDeepText && nestsDeeperThan(value, maxNestingDepth) ? `nested deeper than ${maxNestingDepth} levels` : undefined;
}

function checkShape(value: unknown): string | undefined {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		return 'not a JSON object';
	}

	const object = value as Loose;
	if (object['jsonrpc'] !== '2.0') {
		return '`jsonrpc` is not "2.0"';
	}

	if ('method' in object) {
		if (typeof object['method'] !== 'string') {
			return '`method` is not a string';
		}

		if ('id' in object && !isId(object['id'])) {
			return '`id` is not a string or a number';
		}

		return undefined;
	}

	if ('result' in object || 'error' in object) {
		// Error responses to unparseable requests carry `id: null`.
		if (!isId(object['id']) && !(object['id'] === null && 'error' in object)) {
			return '`id` is not a string or a number';
		}

		if ('error' in object) {
			const error = object['error'] as Loose | undefined;
			// A code a double cannot hold is a stand-in (see `exact-numbers.ts`), forwarded as it came.
			if (typeof error !== 'object' || error === null || (typeof error['code'] !== 'number' && !isNumberStandIn(error['code'])) || typeof error['message'] !== 'string') {
				return '`error` lacks a numeric `code` and a string `message`';
			}
		}

		return undefined;
	}

	return 'neither a request (method), a notification, nor a response (result or error)';
}

/**
Turn parsed JSON into messages: one for an object, each element for a batch (arrays exist in the 2025-03-26 revision). Invalid entries (a batch inside a batch among them) are reported through `onInvalid` and skipped. `textLength` is that of the text `value` was parsed from, as for `checkMessage`.
*/
export function toMessages(value: unknown, onInvalid: (reason: string, value: unknown) => void, textLength = Number.POSITIVE_INFINITY): Message[] {
	if (!Array.isArray(value)) {
		const reason = checkMessage(value, textLength);
		if (reason !== undefined) {
			onInvalid(reason, value);
			return [];
		}

		return [value as Message];
	}

	if (value.length === 0) {
		onInvalid('an empty batch', value);
		return [];
	}

	const messages: Message[] = [];
	for (const item of value as unknown[]) {
		// Batches do not nest; walking into nested arrays would let `[[[[…]]]]` overflow the stack.
		const reason = Array.isArray(item) ? 'a batch inside a batch' : checkMessage(item, textLength);
		if (reason === undefined) {
			messages.push(item as Message);
		} else {
			onInvalid(reason, item);
		}
	}

	return messages;
}

/**
A JSON-RPC error response. Its text may quote a peer (an HTTP body, a child's standard error) that echoed a credential: the modes pass the error responses that reach a client through their redactor (see `redactErrors`).
*/
export function errorResponse(id: RequestId | undefined, code: number, message: string, data?: unknown): ErrorResponse {
	const error: {code: number; message: string; data?: unknown} = {code, message};
	if (data !== undefined) {
		error.data = data;
	}

	return {jsonrpc: '2.0', id: id!, error};
}

export function cancelledNotification(requestId: RequestId, reason: string): Notification {
	return {jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId, reason}};
}

/**
The `params._meta.progressToken` of a request, if any.
*/
export function progressTokenOf(message: Request): string | number | undefined {
	const meta = (message.params)?._meta;
	const token = meta?.progressToken;
	return isId(token) ? token : undefined;
}

// A number id: a literal of up to 400 characters, whole (what follows it is not part of a number).
const idPattern = /"id"\s*:\s*("(?:[^"\\]|\\.){0,256}"|-?\d[\d.eE+-]{0,399}(?![\d.eE+-]))/;
const bodyKeyPattern = /"(?:params|result|error)"\s*:/;
/**
A top-level `id` that ends the message, as the SDK writes responses (`{"result":…,"jsonrpc":"2.0","id":1}`): after `{` or `,`, so not inside a string (there its quotes would be escaped), and followed by the one `}` that closes the message, so not in a nested object.
*/
const lastIdPattern = /[{,]\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,256}"|-?\d[\d.eE+-]{0,399})\s*}\s*$/;
const firstKeyPattern = /"(method|params|result|error)"\s*:/;

/**
Recover the top-level `id` and kind of a message that cannot be parsed whole (too large, or cut) from its first characters (`head`) and, when given, its last (`tail`). From the head, an `id` is only trusted when it comes before the body (`params`, `result`, `error`); from the tail, when it is the message's last member. The kind comes from the first of `method`, `params`, `result`, `error` in the head.
*/
export function sniffMessage(head: string, tail?: string): {id: RequestId; kind: 'request' | 'response'} | undefined {
	let idText = idPattern.exec(head)?.[1];
	const idIndex = idText === undefined ? -1 : head.search(idPattern);
	const bodyMatch = bodyKeyPattern.exec(head);
	if (idText !== undefined && bodyMatch && bodyMatch.index < idIndex) {
		idText = undefined;
	}

	idText ??= tail === undefined ? undefined : lastIdPattern.exec(tail)?.[1];
	if (idText === undefined) {
		return undefined;
	}

	let id: RequestId;
	try {
		// As the whole message would have been parsed: a number a double cannot hold becomes the same stand-in.
		id = parseJson(idText) as RequestId;
	} catch {
		return undefined;
	}

	const first = firstKeyPattern.exec(head)?.[1];
	return {id, kind: first === 'method' || first === 'params' ? 'request' : 'response'};
}
