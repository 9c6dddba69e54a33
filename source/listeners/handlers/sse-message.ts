import type {IncomingMessage, ServerResponse} from 'node:http';
import {LimitError} from '../../errors.js';
import {isRequest, toMessages} from '../../wire/message.js';
import {
	messagesChecks, messagesHeadChecks, type MessagesFacts, type MessagesHeadFacts,
} from '../checks/legacy.js';
import {notTakingMessages} from '../checks/common.js';
import type {ListenerContext} from '../context.js';
import {headerValue, readJsonBody, sendEmpty} from '../http-io.js';
import {firstRefusal, sendRefusal} from '../refusal.js';
import {queryParameter} from '../routes.js';
import {track} from '../sessions/legacy/state.js';
import {receive} from '../sessions/record.js';
import {legacySessionOf} from './session-of.js';

/*
POST `/messages/?session_id=ID`: a legacy SSE session's client messages, taken for the backend (202); the answers go down the session's stream.
*/

export function handleSseMessage(context: ListenerContext, request: IncomingMessage, response: ServerResponse, server: string): void {
	const target = request.url ?? '';
	const sessionId = queryParameter(target, 'session_id') ?? queryParameter(target, 'sessionId');
	const head: MessagesHeadFacts = {sessionId, session: legacySessionOf(context, sessionId, server), contentType: headerValue(request, 'content-type')};
	const refusal = firstRefusal(messagesHeadChecks, head);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return;
	}

	const session = head.session!;
	readJsonBody(request, response, {limit: context.maxBodyBytes, tooLarge: context.tooLarge}, (parsed, textLength) => {
		let invalid: string | undefined;
		const messages = toMessages(parsed, reason => {
			invalid ??= reason;
		}, textLength);
		const facts: MessagesFacts = {session, invalid, requests: messages.filter(message => isRequest(message))};
		const bodyRefusal = firstRefusal(messagesChecks, facts);
		if (bodyRefusal) {
			sendRefusal(response, bodyRefusal, context.logger);
			return;
		}

		context.table.touch(session);
		try {
			for (const message of messages) {
				receive(session, message);
				// Only once it is taken: a message refused for lack of room (503) may be sent again with its id.
				track(session, message);
			}
		} catch (error) {
			if (!(error instanceof LimitError)) {
				throw error;
			}

			context.logger.warning(error.message);
			sendRefusal(response, notTakingMessages, context.logger);
			return;
		}

		sendEmpty(response, 202);
	});
}
