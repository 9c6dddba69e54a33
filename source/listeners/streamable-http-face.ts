import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Message, Request, RequestId} from '../types.js';
import {errorCodes, LimitError} from '../errors.js';
import {stringifyJson} from '../wire/exact-numbers.js';
import type {Logger} from '../logger.js';
import {isRequest, toMessages} from '../wire/message.js';
import {
	accepts,
	headerValue,
	isJsonContentType,
	readJsonBody,
	sendEmpty,
	sendRpcError,
} from './http-io.js';
import type {Session, SessionPort} from './session-port.js';
import type {QueueBudget} from './queue-budget/index.js';
import {clientAddress, type SessionTable} from './session-table.js';
import type {KeepAlive} from './sse-writer.js';
import {StreamableSession} from './streamable-session.js';

export type FaceContext = {
	table: SessionTable;
	keepAlive: KeepAlive;
	logger: Logger;
	maxBodyBytes: number;
	/**
	The answer to a body over `maxBodyBytes` (413), and why a session that held too much was closed: each names the setting that raises the limit.
	*/
	tooLarge: string;
	overloaded: string;
	eventStoreLimit: number;
	eventStoreBytes: number;
	/**
	The budget for bytes queued for all clients.
	*/
	budget: QueueBudget<SessionPort> | undefined;
	stateless: boolean;
	/**
	Hand a new session to the listener's subscriber.
	*/
	emit: (session: Session) => void;
	/**
	Whether the listener is closing (no new sessions).
	*/
	closing: () => boolean;
};

const knownVersions = new Set(['2024-10-07', '2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);
const latestKnownVersion = '2025-11-25';
const defaultVersion = '2025-03-26';

/**
Whether an `MCP-Protocol-Version` can be served: one we know, or a newer date-shaped one (passed through: the backend decides).
*/
export function isAcceptableVersion(version: string): boolean {
	return knownVersions.has(version) || (/^\d{4}-\d{2}-\d{2}$/.test(version) && version > latestKnownVersion);
}

const notFound = 'Session not found';
const sessionNotFoundCode = -32_001;

/**
The Streamable HTTP face (`/mcp`, `/servers/NAME/mcp`): POST carries client messages, GET opens the standalone stream or resumes one, DELETE ends the session. With `stateless`, every POST is a session of its own and GET and DELETE are 405.

@example
```
const face = new StreamableHttpFace(context);
face.handle(request, response, '');
```
*/
export class StreamableHttpFace {
	private readonly context: FaceContext;

	constructor(context: FaceContext) {
		this.context = context;
	}

	handle(request: IncomingMessage, response: ServerResponse, server: string): void {
		switch (request.method ?? '') {
			case 'POST': {
				this.post(request, response, server);
				break;
			}

			case 'GET': {
				if (this.context.stateless) {
					sendRpcError(response, 405, 'Method not allowed: this server is stateless', {headers: {allow: 'POST, OPTIONS'}});
				} else {
					this.get(request, response, server);
				}

				break;
			}

			case 'DELETE': {
				if (this.context.stateless) {
					sendRpcError(response, 405, 'Method not allowed: this server is stateless', {headers: {allow: 'POST, OPTIONS'}});
				} else {
					this.delete(request, response, server);
				}

				break;
			}

			default: {
				sendRpcError(response, 405, 'Method not allowed', {headers: {allow: 'GET, POST, DELETE, OPTIONS'}});
			}
		}
	}

	/**
	The session a request names, or an answer already sent (400 without an id, 404 for an unknown one).
	*/
	private sessionOf(request: IncomingMessage, response: ServerResponse, server: string): StreamableSession | undefined {
		const id = headerValue(request, 'mcp-session-id');
		if (id === undefined) {
			sendRpcError(response, 400, 'Bad Request: Mcp-Session-Id header is required');
			return undefined;
		}

		const port = this.context.table.get(id);
		if (!(port instanceof StreamableSession) || port.session.server !== server || port.ended) {
			sendRpcError(response, 404, notFound, {code: sessionNotFoundCode});
			return undefined;
		}

		return port;
	}

	/**
	The request's protocol version, or an answer already sent (400) for one we cannot serve.
	*/
	private versionOf(request: IncomingMessage, response: ServerResponse, session: StreamableSession | undefined): string | undefined {
		const version = headerValue(request, 'mcp-protocol-version');
		if (version === undefined) {
			return session?.protocolVersion ?? defaultVersion;
		}

		if (!isAcceptableVersion(version)) {
			sendRpcError(response, 400, `Bad Request: Unsupported protocol version: ${version.slice(0, 50)}`);
			return undefined;
		}

		return version;
	}

	private get(request: IncomingMessage, response: ServerResponse, server: string): void {
		if (!accepts(headerValue(request, 'accept'), 'text/event-stream')) {
			sendRpcError(response, 406, 'Not Acceptable: Client must accept text/event-stream');
			return;
		}

		const session = this.sessionOf(request, response, server);
		if (!session) {
			return;
		}

		const version = this.versionOf(request, response, session);
		if (version === undefined) {
			return;
		}

		session.lastActivity = Date.now();
		const lastEventId = headerValue(request, 'last-event-id');
		if (lastEventId !== undefined && lastEventId !== '') {
			const problem = session.resume(response, lastEventId);
			if (problem !== undefined) {
				sendRpcError(response, 400, `Bad Request: ${problem}`);
			}

			return;
		}

		if (!session.openStandalone(response, version)) {
			sendRpcError(response, 409, 'Conflict: Only one SSE stream is allowed per session');
		}
	}

	private delete(request: IncomingMessage, response: ServerResponse, server: string): void {
		const session = this.sessionOf(request, response, server);
		if (!session) {
			return;
		}

		session.end('deleted');
		sendEmpty(response, 200);
	}

	private post(request: IncomingMessage, response: ServerResponse, server: string): void {
		const {context} = this;
		if (!isJsonContentType(headerValue(request, 'content-type'))) {
			sendRpcError(response, 415, 'Unsupported Media Type: Content-Type must be application/json');
			return;
		}

		let existing: StreamableSession | undefined;
		if (!context.stateless && headerValue(request, 'mcp-session-id') !== undefined) {
			existing = this.sessionOf(request, response, server);
			if (!existing) {
				return;
			}
		}

		readJsonBody(request, response, {limit: context.maxBodyBytes, tooLarge: context.tooLarge}, (parsed, textLength) => {
			this.postMessages({
				request, response, server, parsed, textLength, existing,
			});
		});
	}

	// eslint-disable-next-line complexity
	private postMessages(post: {request: IncomingMessage; response: ServerResponse; server: string; parsed: unknown; textLength: number; existing: StreamableSession | undefined}): void {
		const {
			request, response, server, parsed, textLength, existing,
		} = post;
		const {context} = this;
		let invalid: string | undefined;
		const messages = toMessages(parsed, reason => {
			invalid ??= reason;
		}, textLength);
		if (invalid !== undefined) {
			sendRpcError(response, 400, `Invalid Request: ${invalid}`, {code: errorCodes.invalidRequest});
			return;
		}

		const batch = Array.isArray(parsed);
		const requests: Request[] = [];
		let initialize = false;
		for (const message of messages) {
			if (isRequest(message)) {
				requests.push(message);
				initialize ||= message.method === 'initialize';
			}
		}

		const accept = requests.length > 0 ? headerValue(request, 'accept') : undefined;
		if (requests.length > 0 && !(accepts(accept, 'application/json') && accepts(accept, 'text/event-stream'))) {
			sendRpcError(response, 406, 'Not Acceptable: Client must accept both application/json and text/event-stream');
			return;
		}

		let version = defaultVersion;
		if (!initialize) {
			const checked = this.versionOf(request, response, existing);
			if (checked === undefined) {
				return;
			}

			version = checked;
		}

		if (batch && !(version < '2025-06-18')) {
			sendRpcError(response, 400, `Invalid Request: batches are not part of protocol version ${version}`, {code: errorCodes.invalidRequest});
			return;
		}

		if (initialize && (batch || messages.length > 1)) {
			sendRpcError(response, 400, 'Invalid Request: initialize must not be part of a batch', {code: errorCodes.invalidRequest});
			return;
		}

		let session = existing;
		if (session?.ended) {
			// It ended while the body was read.
			sendRpcError(response, 404, notFound, {code: sessionNotFoundCode});
			return;
		}

		if (session && initialize) {
			sendRpcError(response, 400, 'Invalid Request: this session is already initialized', {code: errorCodes.invalidRequest});
			return;
		}

		if (!session && !initialize && !context.stateless) {
			sendRpcError(response, 400, 'Bad Request: Mcp-Session-Id header is required');
			return;
		}

		const duplicate = duplicateId(requests, session ? id => session!.isPending(id) : undefined);
		if (duplicate !== undefined) {
			sendRpcError(response, 400, `Invalid Request: request id ${stringifyJson(duplicate)} is already in use`, {code: errorCodes.invalidRequest});
			return;
		}

		if (!session) {
			if (context.closing()) {
				sendRpcError(response, 503, 'The server is shutting down', {headers: {connection: 'close'}});
				return;
			}

			const client = clientAddress(request);
			const refusal = context.table.admit(client);
			if (refusal) {
				sendRpcError(response, refusal.status, refusal.message, {code: errorCodes.overloaded, headers: {'Retry-After': '5'}});
				return;
			}

			session = new StreamableSession({
				id: context.table.newId(),
				server,
				stateless: context.stateless,
				keepAlive: context.keepAlive,
				logger: context.logger,
				eventStoreLimit: context.eventStoreLimit,
				eventStoreBytes: context.eventStoreBytes,
				budget: context.budget,
				overloaded: context.overloaded,
			});
			context.table.add(session, client);
			context.emit(session.session);
		}

		session.lastActivity = Date.now();
		if (requests.length > 0) {
			session.openExchange(response, requests, batch);
		}

		try {
			for (const message of messages) {
				if ('method' in message && message.method === 'notifications/cancelled' && !('id' in message)) {
					const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
					if (requestId !== undefined) {
						session.cancel(requestId);
					}
				}

				session.receive(message);
			}
		} catch (error) {
			if (!(error instanceof LimitError)) {
				throw error;
			}

			context.logger.warning(error.message);
			// The backend does not take messages: this session cannot go on.
			session.end('unsubscribed');
			sendRpcError(response, 503, 'The server is not taking messages; try again later', {code: errorCodes.overloaded});
			return;
		}

		if (requests.length === 0) {
			sendEmpty(response, 202, context.stateless ? undefined : {'Mcp-Session-Id': session.session.id});
			if (context.stateless) {
				session.end('answered');
			}
		}
	}
}

/**
The first request id that is already waiting for its answer (`isPending`), or used twice among `requests`.
*/
export function duplicateId(requests: readonly Message[], isPending: ((id: RequestId) => boolean) | undefined): RequestId | undefined {
	if (requests.length === 1) {
		const {id} = requests[0] as Request;
		return isPending?.(id) ? id : undefined;
	}

	const seen = new Set<RequestId>();
	for (const message of requests) {
		const {id} = message as Request;
		if (seen.has(id) || isPending?.(id)) {
			return id;
		}

		seen.add(id);
	}

	return undefined;
}
