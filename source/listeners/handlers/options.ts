import type {IncomingMessage, ServerResponse} from 'node:http';
import {headerValue, sendEmpty} from '../http-io.js';
import type {Security} from '../security.js';

/*
OPTIONS, any route: a CORS preflight, answered 204 with the preflight headers (the checks already refused paths no server could have).
*/

export function handleOptions(security: Security, request: IncomingMessage, response: ServerResponse): void {
	sendEmpty(response, 204, security.preflightHeaders(request.headers.origin, headerValue(request, 'access-control-request-headers')));
}
