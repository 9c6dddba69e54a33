import {errorCodes} from '../../errors.js';
import type {Message, Request, RequestId} from '../../types.js';
import {stringifyJson} from '../../wire/exact-numbers.js';
import {isJsonContentType} from '../http-io.js';
import type {Refusal} from '../refusal.js';

/*
Refusals and checks both faces share: the session that is not there, the body that is not JSON or not JSON-RPC, the request id already in use, the server shutting down or not taking messages.
*/

export const sessionNotFound: Refusal = Object.freeze({status: 404, code: -32_001, message: 'Session not found'});
export const shuttingDown: Refusal = Object.freeze({status: 503, message: 'The server is shutting down', headers: Object.freeze({connection: 'close'})});
export const notTakingMessages: Refusal = Object.freeze({status: 503, code: errorCodes.overloaded, message: 'The server is not taking messages; try again later'});
export const notJson: Refusal = Object.freeze({status: 415, message: 'Unsupported Media Type: Content-Type must be application/json'});

export function invalidRequest(reason: string): Refusal {
	return {status: 400, code: errorCodes.invalidRequest, message: `Invalid Request: ${reason}`};
}

/**
415 for a body that says it is not JSON (no `Content-Type` passes).
*/
export function contentTypeRefusal(contentType: string | undefined): Refusal | undefined {
	return isJsonContentType(contentType) ? undefined : notJson;
}

/**
400 for a body that is not JSON-RPC (`invalid` says why).
*/
export function invalidRefusal(invalid: string | undefined): Refusal | undefined {
	return invalid === undefined ? undefined : invalidRequest(invalid);
}

/**
400 for a request id that is already waiting for its answer in the session, or used twice in one batch.
*/
export function duplicateRefusal(requests: readonly Message[], pending: {has(id: RequestId): boolean} | undefined): Refusal | undefined {
	const duplicate = duplicateId(requests, pending);
	return duplicate === undefined ? undefined : invalidRequest(`request id ${stringifyJson(duplicate)} is already in use`);
}

/**
The first request id that is already waiting for its answer (`pending`), or used twice among `requests`.
*/
export function duplicateId(requests: readonly Message[], pending: {has(id: RequestId): boolean} | undefined): RequestId | undefined {
	if (requests.length === 1) {
		const {id} = requests[0] as Request;
		return pending?.has(id) ? id : undefined;
	}

	const seen = new Set<RequestId>();
	for (const message of requests) {
		const {id} = message as Request;
		if (seen.has(id) || pending?.has(id)) {
			return id;
		}

		seen.add(id);
	}

	return undefined;
}
