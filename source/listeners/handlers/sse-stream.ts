import type {IncomingMessage, ServerResponse} from 'node:http';
import type {ListenerContext} from '../context.js';
import {sendRefusal} from '../refusal.js';
import {clientAddress} from '../session-table/index.js';
import {openLegacy} from '../sessions/index.js';

/*
GET `/sse`: a legacy SSE session opens on the response, if the session table has room for its client; its first event (`endpoint`) names where to POST.
*/

export function handleSseStream(context: ListenerContext, request: IncomingMessage, response: ServerResponse, server: string): void {
	const client = clientAddress(request);
	const refusal = context.table.admit(client);
	if (refusal) {
		sendRefusal(response, refusal, context.logger);
		return;
	}

	const session = openLegacy(context.runtime, context.table.newId(), server, response);
	context.table.add(session, client);
	context.emit(session.session);
}
