import type {IncomingMessage, ServerResponse} from 'node:http';
import {LimitError} from '../../errors.js';
import type {Request, RequestId} from '../../types.js';
import {isRequest, toMessages} from '../../wire/message.js';
import {attachForwardedHeaders} from '../../wire/modern.js';
import {notTakingMessages} from '../checks/common.js';
import {
	classify, forwardableHeaders, modernChecks, type ModernFacts,
} from '../checks/modern.js';
import {
	postChecks, postHeadChecks, type PostFacts, type PostHeadFacts,
} from '../checks/streamable.js';
import type {ListenerContext} from '../context.js';
import {headerValue, readJsonBody, sendEmpty} from '../http-io.js';
import {firstRefusal, sendRefusal} from '../refusal.js';
import {clientAddress} from '../session-table/index.js';
import {endSession, openStreamable} from '../sessions/index.js';
import {receive} from '../sessions/record.js';
import {cancel, openExchange} from '../sessions/streamable/exchange.js';
import type {StreamableRecord} from '../sessions/streamable/state.js';
import {streamableSessionOf} from './session-of.js';

/*
POST `/mcp`: the client's messages. Its headers are checked before the body is read, its body after (`checks/streamable.ts`); then a request without a session opens one (`initialize`, or any request of a stateless server), its requests become an exchange that its response will answer, and its messages go to the backend. Notifications and responses alone are answered 202. A POST of the 2026 revision goes its own way (`takeModern`).
*/

export function handlePost(context: ListenerContext, request: IncomingMessage, response: ServerResponse, server: string): void {
	const sessionId = context.stateless ? undefined : headerValue(request, 'mcp-session-id');
	const head: PostHeadFacts = {sessionId, session: streamableSessionOf(context, sessionId, server), contentType: headerValue(request, 'content-type')};
	const refusal = firstRefusal(postHeadChecks, head);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return;
	}

	readJsonBody(request, response, {limit: context.maxBodyBytes, tooLarge: context.tooLarge}, (parsed, textLength) => {
		take(context, {
			request, response, server, head, parsed, textLength,
		});
	});
}

type Post = {
	request: IncomingMessage;
	response: ServerResponse;
	server: string;
	head: PostHeadFacts;
	parsed: unknown;
	textLength: number;
};

function postFacts(context: ListenerContext, {request, head, parsed, textLength}: Post): PostFacts {
	let invalid: string | undefined;
	const messages = toMessages(parsed, reason => {
		invalid ??= reason;
	}, textLength);
	const requests: Request[] = [];
	let initialize = false;
	for (const message of messages) {
		if (isRequest(message)) {
			requests.push(message);
			initialize ||= message.method === 'initialize';
		}
	}

	// Every property named (no spread of `head`): a spread object gets a map of its own per call site and was a
	// measurable share of a call's time in the profile.
	return {
		sessionId: head.sessionId,
		session: head.session,
		era: classify(messages, Array.isArray(parsed), headerValue(request, 'mcp-protocol-version'), head.sessionId),
		stateless: context.stateless,
		closing: context.closing(),
		invalid,
		messages,
		requests,
		batch: Array.isArray(parsed),
		initialize,
		accept: requests.length > 0 ? headerValue(request, 'accept') : undefined,
		versionHeader: headerValue(request, 'mcp-protocol-version'),
	};
}

function take(context: ListenerContext, post: Post): void {
	const {response} = post;
	const facts = postFacts(context, post);
	if (facts.era === 'modern') {
		takeModern(context, post, facts);
		return;
	}

	const refusal = firstRefusal(postChecks, facts);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return;
	}

	const session = facts.session ?? open(context, post);
	if (!session) {
		return;
	}

	context.table.touch(session);
	if (facts.requests.length > 0) {
		openExchange(session, response, facts.requests, facts.batch);
	}

	try {
		for (const message of facts.messages) {
			if ('method' in message && message.method === 'notifications/cancelled' && !('id' in message)) {
				const requestId = (message.params as {requestId?: RequestId} | undefined)?.requestId;
				if (requestId !== undefined) {
					cancel(session, requestId);
				}
			}

			receive(session, message);
		}
	} catch (error) {
		refuseOverLimit(context, session, response, error);
		return;
	}

	if (facts.requests.length === 0) {
		sendEmpty(response, 202, context.stateless ? undefined : session.headers);
		if (context.stateless) {
			endSession(session, 'answered');
		}
	}
}

/**
A POST of the 2026 revision: no session. Its headers are checked against its body; a request then becomes a stateless record of its own (its server answers it as a modern one; its `Mcp-Param-*` and unknown `Mcp-*` headers go with it, for a remote), a notification is answered 202 and dropped (the one a client may send, `notifications/cancelled`, has no meaning over HTTP, where closing the stream cancels).
*/
function takeModern(context: ListenerContext, post: Post, facts: PostFacts): void {
	const {request, response, server} = post;
	const forwarded = forwardableHeaders(request.headers);
	const call = facts.requests.length === 1 && facts.requests[0]!.method === 'tools/call' ? facts.requests[0]! : undefined;
	const tool = call?.params?.['name'];
	const modern: ModernFacts = {
		messages: facts.messages,
		batch: facts.batch,
		versionHeader: facts.versionHeader,
		methodHeader: headerValue(request, 'mcp-method'),
		nameHeader: headerValue(request, 'mcp-name'),
		accept: headerValue(request, 'accept'),
		closing: facts.closing,
		declarations: typeof tool === 'string' ? context.runtime.toolDeclarations.get(server)?.get(tool) : undefined,
		parameterHeaders: forwarded,
	};
	const refusal = firstRefusal(modernChecks, modern);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return;
	}

	if (facts.requests.length === 0) {
		sendEmpty(response, 202);
		return;
	}

	const session = open(context, post, true);
	if (!session) {
		return;
	}

	const modernRequest = facts.requests[0]!;
	if (modernRequest.method === 'tools/list') {
		// Its answer teaches the server's tool declarations.
		session.toolsList = modernRequest.id;
	}

	// Its Mcp-Param-* and unknown Mcp-* headers travel with it, for a remote server to get them (no stdio wire shows them).
	if (forwarded !== undefined) {
		attachForwardedHeaders(modernRequest, forwarded);
	}

	openExchange(session, response, facts.requests, false);
	try {
		receive(session, modernRequest);
	} catch (error) {
		refuseOverLimit(context, session, response, error);
	}
}

/**
The backend did not take a message (its queue is over its limit, a `LimitError`): the session cannot go on, so it ends and the POST is refused. Any other error is thrown on.
*/
function refuseOverLimit(context: ListenerContext, session: StreamableRecord, response: ServerResponse, error: unknown): void {
	if (!(error instanceof LimitError)) {
		throw error;
	}

	context.logger.warning(error.message);
	endSession(session, 'unsubscribed');
	sendRefusal(response, notTakingMessages, context.logger);
}

/**
A new session for a POST that named none, if the session table has room for its client (else the refusal is sent).
*/
function open(context: ListenerContext, {request, response, server}: Post, modern = false): StreamableRecord | undefined {
	const client = clientAddress(request);
	const refusal = context.table.admit(client);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return undefined;
	}

	const session = openStreamable(context.runtime, context.table.newId(), server, modern ? 'modern' : context.stateless);
	context.table.add(session, client);
	context.emit(session.session);
	return session;
}
