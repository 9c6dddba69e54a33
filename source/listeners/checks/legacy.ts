import type {Message} from '../../types.js';
import type {Check, Refusal} from '../refusal.js';
import type {LegacyRecord} from '../sessions/legacy/state.js';
import {
	contentTypeRefusal, duplicateRefusal, invalidRefusal, sessionNotFound,
} from './common.js';

/*
The checks of a legacy SSE session's POST (`/messages/?session_id=ID`) as ordered tables of pure checks: before its body is read, then the body.
*/

export type MessagesHeadFacts = {
	/**
	The `session_id` (or `sessionId`) query parameter.
	*/
	readonly sessionId: string | undefined;
	/**
	The legacy session of this server with that id, if there is one (ended or not).
	*/
	readonly session: LegacyRecord | undefined;
	readonly contentType: string | undefined;
};

export type MessagesFacts = {
	readonly session: LegacyRecord;
	readonly invalid: string | undefined;
	/**
	The requests among the body's messages.
	*/
	readonly requests: readonly Message[];
};

const sessionIdRequired: Refusal = Object.freeze({status: 400, message: 'Bad Request: the session_id query parameter is required'});

export const messagesHeadChecks: ReadonlyArray<Check<MessagesHeadFacts>> = [
	facts => facts.sessionId === undefined ? sessionIdRequired : undefined,
	facts => facts.session === undefined || facts.session.ended ? sessionNotFound : undefined,
	facts => contentTypeRefusal(facts.contentType),
];

export const messagesChecks: ReadonlyArray<Check<MessagesFacts>> = [
	facts => invalidRefusal(facts.invalid),
	// It ended while the body was read.
	facts => facts.session.ended ? sessionNotFound : undefined,
	facts => duplicateRefusal(facts.requests, facts.session.pending),
];
