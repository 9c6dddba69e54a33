import type {IncomingMessage, ServerResponse} from 'node:http';
import {errorCodes} from '../../errors.js';
import type {ListenerContext} from '../context.js';
import {sendJson} from '../http-io.js';
import {sendRefusal, type Refusal} from '../refusal.js';

/*
GET `/status`: what the listener's `status` function says, as JSON, never cached.
*/

const unavailable: Refusal = Object.freeze({status: 500, code: errorCodes.internalError, message: 'The status is unavailable'});

export function handleStatus(context: ListenerContext, _request: IncomingMessage, response: ServerResponse): void {
	let answer: {statusCode: number; body: unknown};
	try {
		answer = context.status();
	} catch (error) {
		context.logger.error('The status function failed:', error);
		sendRefusal(response, unavailable, context.logger);
		return;
	}

	sendJson(response, answer.statusCode, answer.body, {'Cache-Control': 'no-store'});
}
