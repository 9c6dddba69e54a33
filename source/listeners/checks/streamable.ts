import type {Message, Request} from '../../types.js';
import {accepts} from '../http-io.js';
import type {Check, Refusal} from '../refusal.js';
import {resumeProblem} from '../sessions/streamable/route.js';
import type {StreamableRecord} from '../sessions/streamable/state.js';
import type {RequestEra} from './modern.js';
import {
	contentTypeRefusal, duplicateRefusal, invalidRefusal, invalidRequest, sessionNotFound, shuttingDown,
} from './common.js';

/*
The checks of the Streamable HTTP face (`/mcp`) as ordered tables of pure checks, one per method and stage: GET (before and after the session is touched), DELETE, POST (its headers before the body is read, then the body). The order and every status and message are the listener's contract.
*/

const knownVersions = new Set(['2024-10-07', '2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);
const latestKnownVersion = '2025-11-25';

/**
The version a request without `MCP-Protocol-Version` is taken to speak, when its session did not negotiate one.
*/
export const defaultVersion = '2025-03-26';

/**
Whether an `MCP-Protocol-Version` can be served: one we know, or a newer date-shaped one (passed through: the backend decides).
*/
export function isAcceptableVersion(version: string): boolean {
	return knownVersions.has(version) || (/^\d{4}-\d{2}-\d{2}$/.test(version) && version > latestKnownVersion);
}

/**
The protocol version of a request: its header, else what its session negotiated, else the default.
*/
export function requestVersion(header: string | undefined, session: StreamableRecord | undefined): string {
	return header ?? session?.protocolVersion ?? defaultVersion;
}

/**
What the checks know of the session a request names.
*/
export type SessionFacts = {
	/**
	The `Mcp-Session-Id` header (ignored by a stateless server).
	*/
	readonly sessionId: string | undefined;
	/**
	The Streamable HTTP session of this server with that id, if there is one (ended or not).
	*/
	readonly session: StreamableRecord | undefined;
};

export type GetFacts = SessionFacts & {
	readonly accept: string | undefined;
	readonly versionHeader: string | undefined;
	readonly lastEventId: string | undefined;
};

const sessionIdRequired: Refusal = Object.freeze({status: 400, message: 'Bad Request: Mcp-Session-Id header is required'});
const needsEventStream: Refusal = Object.freeze({status: 406, message: 'Not Acceptable: Client must accept text/event-stream'});
const needsBoth: Refusal = Object.freeze({status: 406, message: 'Not Acceptable: Client must accept both application/json and text/event-stream'});
const oneStream: Refusal = Object.freeze({status: 409, message: 'Conflict: Only one SSE stream is allowed per session'});

const sessionIdPresent: Check<SessionFacts> = facts => facts.sessionId === undefined ? sessionIdRequired : undefined;
const sessionKnown: Check<SessionFacts> = facts => facts.session === undefined || facts.session.ended ? sessionNotFound : undefined;

function versionRefusal(header: string | undefined): Refusal | undefined {
	return header === undefined || isAcceptableVersion(header) ? undefined : {status: 400, message: `Bad Request: Unsupported protocol version: ${header.slice(0, 50)}`};
}

/**
GET `/mcp`, before the session is touched.
*/
export const getChecks: ReadonlyArray<Check<GetFacts>> = [
	facts => accepts(facts.accept, 'text/event-stream') ? undefined : needsEventStream,
	sessionIdPresent,
	sessionKnown,
	facts => versionRefusal(facts.versionHeader),
];

/**
GET `/mcp` once the session is known and touched: a resumption must name an event of it; a new standalone stream must be the only one.
*/
export const streamChecks: ReadonlyArray<Check<GetFacts>> = [
	facts => {
		if (facts.lastEventId === undefined || facts.lastEventId === '') {
			return facts.session!.standalone ? oneStream : undefined;
		}

		const problem = resumeProblem(facts.session!, facts.lastEventId);
		return problem === undefined ? undefined : {status: 400, message: `Bad Request: ${problem}`};
	},
];

/**
DELETE `/mcp`.
*/
export const deleteChecks: ReadonlyArray<Check<SessionFacts>> = [sessionIdPresent, sessionKnown];

export type PostHeadFacts = SessionFacts & {
	readonly contentType: string | undefined;
};

/**
POST `/mcp`, before its body is read: a session it names must exist.
*/
export const postHeadChecks: ReadonlyArray<Check<PostHeadFacts>> = [
	facts => contentTypeRefusal(facts.contentType),
	facts => facts.sessionId !== undefined && (facts.session === undefined || facts.session.ended) ? sessionNotFound : undefined,
];

export type {RequestEra} from './modern.js';

/**
What the checks of a POST's body look at: its messages, its headers, its session (as looked up before the body was read; it may have ended since), and the listener's state.
*/
export type PostFacts = SessionFacts & {
	readonly era: RequestEra;
	readonly stateless: boolean;
	readonly closing: boolean;
	/**
	Why the body is not JSON-RPC, if it is not.
	*/
	readonly invalid: string | undefined;
	readonly messages: readonly Message[];
	readonly requests: readonly Request[];
	readonly batch: boolean;
	/**
	Whether one of its requests is `initialize`.
	*/
	readonly initialize: boolean;
	readonly accept: string | undefined;
	readonly versionHeader: string | undefined;
};

/**
The version of a POST, as the batch rule reads it: an `initialize` is taken as the default version.
*/
function postVersion(facts: PostFacts): string {
	return facts.initialize ? defaultVersion : requestVersion(facts.versionHeader, facts.session);
}

/**
POST `/mcp`, once its body is read and parsed. A POST that passes them all opens a session when it names none (subject to the session table's limits).
*/
export const postChecks: ReadonlyArray<Check<PostFacts>> = [
	facts => invalidRefusal(facts.invalid),
	facts => facts.requests.length === 0 || (accepts(facts.accept, 'application/json') && accepts(facts.accept, 'text/event-stream')) ? undefined : needsBoth,
	facts => facts.initialize ? undefined : versionRefusal(facts.versionHeader),
	facts => facts.batch && !(postVersion(facts) < '2025-06-18') ? invalidRequest(`batches are not part of protocol version ${postVersion(facts)}`) : undefined,
	facts => facts.initialize && (facts.batch || facts.messages.length > 1) ? invalidRequest('initialize must not be part of a batch') : undefined,
	// It ended while the body was read.
	facts => facts.session?.ended ? sessionNotFound : undefined,
	facts => facts.session && facts.initialize ? invalidRequest('this session is already initialized') : undefined,
	facts => !facts.session && !facts.initialize && !facts.stateless ? sessionIdRequired : undefined,
	facts => duplicateRefusal(facts.requests, facts.session?.pending),
	facts => !facts.session && facts.closing ? shuttingDown : undefined,
];
