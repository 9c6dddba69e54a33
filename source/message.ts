import type {
	Message,
	Request,
	Notification,
	Response,
	ErrorResponse,
	RequestId,
} from './types.js';

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
Whether a parsed JSON value is a JSON-RPC 2.0 message: a request or notification (string `method`), or a response (`id` with `result` or `error`). Returns the reason when it is not.
*/
export function checkMessage(value: unknown): string | undefined {
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
			if (typeof error !== 'object' || error === null || typeof error['code'] !== 'number' || typeof error['message'] !== 'string') {
				return '`error` lacks a numeric `code` and a string `message`';
			}
		}

		return undefined;
	}

	return 'neither a request (method), a notification, nor a response (result or error)';
}

/**
Turn parsed JSON into messages: one for an object, each element for a batch (arrays exist in the 2025-03-26 revision). Invalid entries are reported through `onInvalid` and skipped.
*/
export function toMessages(value: unknown, onInvalid: (reason: string, value: unknown) => void): Message[] {
	if (Array.isArray(value)) {
		if (value.length === 0) {
			onInvalid('an empty batch', value);
			return [];
		}

		return value.flatMap(item => toMessages(item, onInvalid));
	}

	const reason = checkMessage(value);
	if (reason !== undefined) {
		onInvalid(reason, value);
		return [];
	}

	return [value as Message];
}

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

const idPattern = /"id"\s*:\s*("(?:[^"\\]|\\.){0,256}"|-?\d{1,20})/;
const bodyKeyPattern = /"(?:params|result|error)"\s*:/;

/**
Recover the top-level `id` and kind from the beginning of a message that cannot be parsed whole (too large, or cut). Only trusted when `id` comes before the body (`params`, `result`, `error`), which is how every SDK serializes; otherwise `undefined`.
*/
export function sniffMessageHead(head: string): {id: RequestId; kind: 'request' | 'response'} | undefined {
	const idMatch = idPattern.exec(head);
	if (!idMatch) {
		return undefined;
	}

	const bodyMatch = bodyKeyPattern.exec(head);
	if (bodyMatch && bodyMatch.index < idMatch.index) {
		return undefined;
	}

	let id: RequestId;
	try {
		id = JSON.parse(idMatch[1]!) as RequestId;
	} catch {
		return undefined;
	}

	const methodIndex = head.search(/"method"\s*:/);
	const kind = methodIndex !== -1 && (!bodyMatch || methodIndex < bodyMatch.index) ? 'request' : 'response';
	return {id, kind};
}
