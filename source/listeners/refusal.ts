import type {OutgoingHttpHeaders, ServerResponse} from 'node:http';
import type {Logger} from '../logger.js';
import type {RequestId} from '../types.js';
import {sendRpcError} from './http-io.js';

/*
A refusal: the answer to a request the listener will not take, as plain data (HTTP status, JSON-RPC error code and message, headers, and a line for the debug log), so that the checks that decide it stay pure and are tested as tables; how a table of checks is run, and the one function that sends a refusal.
*/

export type Refusal = {
	readonly status: number;
	/**
	The JSON-RPC error code of the body.

	@default -32000
	*/
	readonly code?: number;
	readonly message: string;
	/**
	The JSON-RPC error's `data` (the 2026 revision's errors carry one).
	*/
	readonly data?: unknown;
	/**
	The id of the request refused, when the body was read and it had one.

	@default null
	*/
	readonly id?: RequestId;
	readonly headers?: OutgoingHttpHeaders;
	/**
	Logged at debug level when the refusal is sent.
	*/
	readonly log?: string;
};

/**
A pure check of a request: its refusal, or `undefined` when it passes. Checks come in ordered tables (`checks/`); the first refusal wins.
*/
export type Check<Input> = (input: Input) => Refusal | undefined;

/**
The first refusal of an ordered table of checks, or `undefined` when every check passes.
*/
export function firstRefusal<Input>(checks: ReadonlyArray<Check<Input>>, input: Input): Refusal | undefined {
	for (const check of checks) {
		const refusal = check(input);
		if (refusal !== undefined) {
			return refusal;
		}
	}

	return undefined;
}

/**
Answer a request with its refusal: the status, and a JSON-RPC error (its id, else null) as the body.
*/
export function sendRefusal(response: ServerResponse, refusal: Refusal, logger: Logger): void {
	if (refusal.log !== undefined) {
		logger.debug(refusal.log);
	}

	sendRpcError(response, refusal.status, refusal.message, refusal);
}
