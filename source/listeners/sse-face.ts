import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Message, RequestId} from '../types.js';
import {errorCodes, LimitError} from '../errors.js';
import {stringifyJson} from '../wire/exact-numbers.js';
import {IdMap} from '../wire/id-map.js';
import {serializeJson} from '../wire/long-strings.js';
import {
	isNotification, isRequest, isResponse, toMessages,
} from '../wire/message.js';
import {
	headerValue,
	isJsonContentType,
	readJsonBody,
	sendEmpty,
	sendRpcError,
} from './http-io.js';
import {Payload} from './payload.js';
import type {QueueBudget} from './queue-budget/index.js';
import {queryParameter} from './routes.js';
import {SessionPort, type SessionEndReason} from './session-port.js';
import {clientAddress} from './session-table.js';
import {type KeepAlive, SseStream} from './sse-writer.js';
import {duplicateId, type FaceContext} from './streamable-http-face.js';

/**
A legacy HTTP+SSE session (protocol 2024-11-05): one SSE stream carries everything the backend sends; the client POSTs its messages to the endpoint the stream announced.
*/
class SseSession extends SessionPort {
	readonly stream: SseStream;
	/**
	The client's requests still waiting for their answer: an id may not be used again until answered or cancelled.
	*/
	private readonly pending = new IdMap<RequestId, true>();

	constructor(id: string, server: string, response: ServerResponse, context: {keepAlive: KeepAlive; budget: QueueBudget<SessionPort> | undefined}) {
		super(id, server, 'sse', {stateless: false, budget: context.budget});
		this.stream = new SseStream(response, context.keepAlive, undefined, this);
		this.stream.onClose = () => {
			this.end('client-closed');
		};
	}

	get busy(): boolean {
		return this.stream.isOpen;
	}

	get awaitingAnswer(): boolean {
		return this.pending.size > 0;
	}

	isPending(id: RequestId): boolean {
		return this.pending.has(id);
	}

	/**
	Note a client's request (now pending) or cancellation (no longer pending) taken for the backend.
	*/
	track(message: Message): void {
		if (isRequest(message)) {
			this.pending.set(message.id, true);
		} else if (isNotification(message) && message.method === 'notifications/cancelled') {
			const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
			if (requestId !== undefined) {
				this.pending.delete(requestId);
			}
		}
	}

	shedOne(): number {
		return this.stream.shedOldest()?.payload!.size ?? 0;
	}

	protected route(message: Message): void {
		let payload: Payload;
		if (isResponse(message)) {
			this.pending.delete(message.id!);
			payload = new Payload(serializeJson(message), 'response');
		} else {
			payload = this.budget?.payloadOf(message) ?? new Payload(serializeJson(message), 'id' in message ? 'request' : 'notification');
		}

		this.stream.sendPayload(payload, {event: 'message'});
	}

	protected close(_reason: SessionEndReason): void {
		this.stream.end();
	}
}

/**
The path clients POST to for a server's legacy SSE session.
*/
export function messagesPath(server: string, id: string): string {
	const base = server === '' ? '/messages/' : `/servers/${encodeURIComponent(server)}/messages/`;
	return `${base}?session_id=${id}`;
}

/**
The legacy HTTP+SSE face: GET `/sse` opens a session's stream, whose first event (`endpoint`) names where to POST; POST `/messages/?session_id=ID` delivers client messages (202). The session ends when the client closes its stream.

@example
```
const face = new SseFace(context);
face.handleStream(request, response, '');
```
*/
export class SseFace {
	private readonly context: FaceContext;

	constructor(context: FaceContext) {
		this.context = context;
	}

	handleStream(request: IncomingMessage, response: ServerResponse, server: string): void {
		if (request.method !== 'GET') {
			sendRpcError(response, 405, 'Method not allowed', {headers: {allow: 'GET, OPTIONS'}});
			return;
		}

		const {context} = this;
		const client = clientAddress(request);
		const refusal = context.table.admit(client);
		if (refusal) {
			sendRpcError(response, refusal.status, refusal.message, {code: errorCodes.overloaded, headers: {'Retry-After': '5'}});
			return;
		}

		const port = new SseSession(context.table.newId(), server, response, context);
		port.stream.send(messagesPath(server, port.session.id), {event: 'endpoint'});
		context.table.add(port, client);
		context.emit(port.session);
	}

	handleMessage(request: IncomingMessage, response: ServerResponse, server: string): void {
		if (request.method !== 'POST') {
			sendRpcError(response, 405, 'Method not allowed', {headers: {allow: 'POST, OPTIONS'}});
			return;
		}

		const {context} = this;
		const target = request.url ?? '';
		const id = queryParameter(target, 'session_id') ?? queryParameter(target, 'sessionId');
		if (id === undefined) {
			sendRpcError(response, 400, 'Bad Request: the session_id query parameter is required');
			return;
		}

		const port = context.table.get(id);
		if (!(port instanceof SseSession) || port.session.server !== server || port.ended) {
			sendRpcError(response, 404, 'Session not found', {code: -32_001});
			return;
		}

		if (!isJsonContentType(headerValue(request, 'content-type'))) {
			sendRpcError(response, 415, 'Unsupported Media Type: Content-Type must be application/json');
			return;
		}

		readJsonBody(request, response, {limit: context.maxBodyBytes, tooLarge: context.tooLarge}, (parsed, textLength) => {
			let invalid: string | undefined;
			const messages = toMessages(parsed, reason => {
				invalid ??= reason;
			}, textLength);
			if (invalid !== undefined) {
				sendRpcError(response, 400, `Invalid Request: ${invalid}`, {code: errorCodes.invalidRequest});
				return;
			}

			if (port.ended) {
				sendRpcError(response, 404, 'Session not found', {code: -32_001});
				return;
			}

			const duplicate = duplicateId(messages.filter(message => isRequest(message)), id => port.isPending(id));
			if (duplicate !== undefined) {
				sendRpcError(response, 400, `Invalid Request: request id ${stringifyJson(duplicate)} is already in use`, {code: errorCodes.invalidRequest});
				return;
			}

			port.lastActivity = Date.now();
			try {
				for (const message of messages) {
					port.receive(message);
					// Only once it is taken: a message refused for lack of room (503) may be sent again with its id.
					port.track(message);
				}
			} catch (error) {
				if (!(error instanceof LimitError)) {
					throw error;
				}

				context.logger.warning(error.message);
				sendRpcError(response, 503, 'The server is not taking messages; try again later', {code: errorCodes.overloaded});
				return;
			}

			sendEmpty(response, 202);
		});
	}
}
