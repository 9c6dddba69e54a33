import type {IncomingMessage, ServerResponse} from 'node:http';
import {deleteChecks, type SessionFacts} from '../checks/streamable.js';
import type {ListenerContext} from '../context.js';
import {headerValue, sendEmpty} from '../http-io.js';
import {firstRefusal, sendRefusal} from '../refusal.js';
import {endSession} from '../sessions/index.js';
import {streamableSessionOf} from './session-of.js';

/*
DELETE `/mcp`: the client ends its session.
*/

export function handleDelete(context: ListenerContext, request: IncomingMessage, response: ServerResponse, server: string): void {
	const sessionId = headerValue(request, 'mcp-session-id');
	const facts: SessionFacts = {sessionId, session: streamableSessionOf(context, sessionId, server)};
	const refusal = firstRefusal(deleteChecks, facts);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return;
	}

	endSession(facts.session!, 'deleted');
	sendEmpty(response, 200);
}
