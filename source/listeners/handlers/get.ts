import type {IncomingMessage, ServerResponse} from 'node:http';
import {
	getChecks, requestVersion, streamChecks, type GetFacts,
} from '../checks/streamable.js';
import type {ListenerContext} from '../context.js';
import {headerValue} from '../http-io.js';
import {firstRefusal, sendRefusal} from '../refusal.js';
import {openStandalone, resume} from '../sessions/streamable/streams.js';
import {streamableSessionOf} from './session-of.js';

/*
GET `/mcp`: the session's standalone SSE stream, or the resumption of a stream after `Last-Event-ID`.
*/

export function handleGet(context: ListenerContext, request: IncomingMessage, response: ServerResponse, server: string): void {
	const sessionId = headerValue(request, 'mcp-session-id');
	const facts: GetFacts = {
		sessionId,
		session: streamableSessionOf(context, sessionId, server),
		accept: headerValue(request, 'accept'),
		versionHeader: headerValue(request, 'mcp-protocol-version'),
		lastEventId: headerValue(request, 'last-event-id'),
	};
	let refusal = firstRefusal(getChecks, facts);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return;
	}

	const session = facts.session!;
	context.table.touch(session);
	refusal = firstRefusal(streamChecks, facts);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return;
	}

	if (facts.lastEventId === undefined || facts.lastEventId === '') {
		openStandalone(session, response, requestVersion(facts.versionHeader, session));
	} else {
		resume(session, response, facts.lastEventId);
	}
}
