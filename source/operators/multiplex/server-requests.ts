/*
Server→client requests (sampling, elicitation, roots) on a shared upstream: which session each goes to, which wait, and what happens to them when sessions answer, leave or the upstream cancels.

The stdio wire does not say which client request a server request belongs to. The sessions that can have caused one are those with a request in flight upstream sent before it came (its horizon). One such session: it goes there. None: the newest session that declared the capability. Several: it is held until the others' requests are answered (elimination); if one of them ends without a result, or several are left after `ambiguousRequestTimeout`, the upstream gets an error. It is never guessed.
*/
import type {
	Notification, RequestId, Request, Response,
} from '../../types.js';
import {errorCodes} from '../../errors.js';
import {settingName} from '../../setting-names.js';
import {rememberId, shownId} from '../../wire/id-map.js';
import {stringifyJson} from '../../wire/exact-numbers.js';
import {errorResponse} from '../../wire/message.js';
import {
	deliver, log, parametersOf, send, type Effect,
} from './events.js';
import {
	maxRetired, type HeldServerRequest, type MultiplexState, type SessionState, type TimerKey,
} from './state.js';

const capabilityFor = new Map<string, string>([
	['sampling/createMessage', 'sampling'],
	['elicitation/create', 'elicitation'],
	['roots/list', 'roots'],
]);

type Candidate = Pick<HeldServerRequest, 'request' | 'capability' | 'horizon'>;

/**
The upstream sent a request: a ping is answered here; any other goes to the session that caused it, or waits.
*/
export function upstreamRequest(state: MultiplexState, out: Effect[], request: Request): void {
	if (request.method === 'ping') {
		send(out, {jsonrpc: '2.0', id: request.id, result: {}});
		return;
	}

	const candidate: Candidate = {request, capability: capabilityFor.get(request.method), horizon: state.nextId - 1};
	if (!placeServerRequest(state, out, candidate, false)) {
		hold(state, out, candidate);
	}
}

/**
The sessions that can have caused a server→client request: those with a request in flight upstream that was sent before it came (`horizon`).
*/
export function causingSessions(state: MultiplexState, horizon: number): Set<SessionState> {
	const found = new Set<SessionState>();
	for (const [upstreamId, entry] of state.requests.entries()) {
		if (upstreamId <= horizon && entry.session.ready && !entry.session.closed) {
			found.add(entry.session);
		}
	}

	return found;
}

function newestReadySession(state: MultiplexState, capability: string | undefined): SessionState | undefined {
	let best: SessionState | undefined;
	for (const session of state.sessions.values()) {
		if (session.ready && (capability === undefined || session.capabilities?.[capability] !== undefined)) {
			best = session;
		}
	}

	return best;
}

function dispatch(state: MultiplexState, out: Effect[], session: SessionState, request: Request): void {
	const proxyId = state.nextServerRequest++;
	state.serverRequests.set(proxyId, {session, upstreamId: request.id});
	state.serverRequestsByUpstream.set(request.id, proxyId);
	session.serverRequests.add(proxyId);
	deliver(out, session, {...request, id: proxyId});
}

/**
Send a server→client request to the session that caused it, answer the upstream with an error, or keep it waiting (`false`) while more than one session could have caused it. `waited`: it was held, so if no session is left that can have caused it, they all ended.
*/
function placeServerRequest(state: MultiplexState, out: Effect[], {request, capability, horizon}: Candidate, waited: boolean): boolean {
	const causing = causingSessions(state, horizon);
	if (causing.size === 0) {
		if (waited) {
			send(out, errorResponse(request.id, errorCodes.connectionClosed, `The client requests that \`${request.method}\` could be for have all ended`));
			return true;
		}

		// Not caused by a request still in flight (e.g. roots/list after initialization): the newest session that can answer it.
		const session = newestReadySession(state, capability);
		if (session) {
			dispatch(state, out, session, request);
		} else {
			const problem = newestReadySession(state, undefined) === undefined ? 'No client session can answer' : `No client session declared the ${capability} capability to answer`;
			send(out, errorResponse(request.id, errorCodes.methodNotFound, `${problem} \`${request.method}\` right now`));
		}

		return true;
	}

	// Any of them may have caused it, whatever it declared (the upstream was told every client capability).
	if (causing.size > 1) {
		return false;
	}

	const [session] = causing;
	if (capability !== undefined && session!.capabilities?.[capability] === undefined) {
		send(out, errorResponse(request.id, errorCodes.methodNotFound, `The client this request is for does not support ${capability} (it did not declare the capability)`));
	} else {
		dispatch(state, out, session!, request);
	}

	return true;
}

function hold(state: MultiplexState, out: Effect[], candidate: Candidate): void {
	const timer: TimerKey = `held:${state.nextHeld++}`;
	state.held.push({...candidate, timer});
	out.push({type: 'set-timer', key: timer, delay: state.config.ambiguousRequestTimeout});
	log(out, 'debug', `${state.config.name}: \`${candidate.request.method}\` ${stringifyJson(candidate.request.id)} waits: several client sessions with requests in flight could have caused it`);
}

function releaseHeld(state: MultiplexState, out: Effect[]): void {
	const waiting = state.held;
	state.held = [];
	for (const entry of waiting) {
		if (placeServerRequest(state, out, entry, true)) {
			out.push({type: 'cancel-timer', key: entry.timer});
		} else {
			state.held.push(entry);
		}
	}
}

/**
A client request left the upstream. Answered with a result: it did not wait for a held server request, so it did not cause one (servers cancel a server request they stop waiting for, as the SDKs do), and a held one may now have a single session left that can have caused it. Otherwise (`unansweredId`: answered with an error, cancelled, timed out, its session ended): it may have caused any held one that came after it was sent, so those can no longer be told apart by elimination and are refused.
*/
export function requestLeft(state: MultiplexState, out: Effect[], unansweredId?: number): void {
	if (state.held.length === 0) {
		return;
	}

	if (unansweredId !== undefined) {
		const refused = state.held.filter(entry => entry.horizon >= unansweredId);
		state.held = state.held.filter(entry => entry.horizon < unansweredId);
		for (const entry of refused) {
			out.push({type: 'cancel-timer', key: entry.timer});
			const message = `A client request that \`${entry.request.method}\` may have been for ended without an answer, so the proxy cannot tell which client it is for; it was sent to none`;
			send(out, errorResponse(entry.request.id, errorCodes.connectionClosed, message));
		}
	}

	releaseHeld(state, out);
}

/**
A held request's `ambiguousRequestTimeout` passed with several sessions still able to have caused it: the upstream gets an error (and the log a warning, the first time).
*/
export function heldTimedOut(state: MultiplexState, out: Effect[], key: TimerKey): void {
	const entry = state.held.find(other => other.timer === key);
	if (!entry) {
		return;
	}

	state.held = state.held.filter(other => other !== entry);
	const {config} = state;
	const count = causingSessions(state, entry.horizon).size;
	const message = `${count} client sessions had requests in flight when \`${entry.request.method}\` came and still have after ${config.ambiguousRequestTimeout} ms: `
		+ 'the proxy cannot tell which client it is for, so it was sent to none. '
		+ `Run the proxy with ${settingName(config.settingNames, 'isolateSessions')} to give each client a server of its own.`;
	if (!state.warnedAmbiguous) {
		state.warnedAmbiguous = true;
		log(out, 'warning', `${config.title}: ${message}`);
	}

	send(out, errorResponse(entry.request.id, errorCodes.requestTimeout, message));
}

/**
The upstream cancelled a request of its own: a held one is dropped; one a session has is retired and the session told, with the id it knows.
*/
export function serverRequestCancelled(state: MultiplexState, out: Effect[], notification: Notification): void {
	const parameters = parametersOf(notification);
	const requestId = parameters['requestId'] as RequestId;
	const held = state.held.find(entry => entry.request.id === requestId);
	if (held) {
		out.push({type: 'cancel-timer', key: held.timer});
		state.held = state.held.filter(entry => entry !== held);
		return;
	}

	const proxyId = state.serverRequestsByUpstream.get(requestId);
	const entry = proxyId === undefined ? undefined : state.serverRequests.get(proxyId);
	if (entry) {
		state.serverRequests.delete(proxyId!);
		state.serverRequestsByUpstream.delete(entry.upstreamId);
		entry.session.serverRequests.delete(proxyId!);
		rememberId(state.retiredServerRequests, proxyId!, maxRetired);
		deliver(out, entry.session, {...notification, params: {...parameters, requestId: proxyId}});
	}
}

/**
A session answered a server request: the answer goes upstream with the upstream's id. One it was not sent (or answered already) is dropped with a warning; a late one to a request the upstream cancelled, quietly.
*/
export function serverRequestAnswered(state: MultiplexState, out: Effect[], session: SessionState, response: Response): void {
	const id = response.id as number;
	const entry = state.serverRequests.get(id);
	if (entry?.session !== session) {
		if (state.retiredServerRequests.delete(id)) {
			log(out, 'debug', `${state.config.name}: dropped the late answer of session ${session.id} to request ${stringifyJson(id)}, which the server cancelled`);
		} else {
			log(out, 'warning', `${state.config.name}: dropped an answer from session ${session.id} to request ${shownId(id)}: the server sent it no such request, or it was answered already`);
		}

		return;
	}

	state.serverRequests.delete(id);
	state.serverRequestsByUpstream.delete(entry.upstreamId);
	session.serverRequests.delete(id);
	send(out, {...response, id: entry.upstreamId});
}

/**
A session closed: the upstream gets an error for each server request it had not answered.
*/
export function refuseServerRequestsOf(state: MultiplexState, out: Effect[], session: SessionState): void {
	for (const proxyId of session.serverRequests) {
		const entry = state.serverRequests.get(proxyId);
		if (entry) {
			state.serverRequests.delete(proxyId);
			state.serverRequestsByUpstream.delete(entry.upstreamId);
			send(out, errorResponse(entry.upstreamId, errorCodes.connectionClosed, 'The client session closed before answering'));
		}
	}
}

/**
The upstream ended: its server requests are forgotten (their late answers retired) and the held ones dropped.
*/
export function forgetServerRequests(state: MultiplexState, out: Effect[]): void {
	for (const [proxyId, entry] of state.serverRequests) {
		entry.session.serverRequests.clear();
		rememberId(state.retiredServerRequests, proxyId, maxRetired);
	}

	state.serverRequests.clear();
	state.serverRequestsByUpstream.clear();
	for (const entry of state.held) {
		out.push({type: 'cancel-timer', key: entry.timer});
	}

	state.held = [];
}
