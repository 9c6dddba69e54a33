/*
What `status()` reports about a multiplexer, read from its state.
*/
import type {MultiplexState, UpstreamState} from './state.js';

export type MultiplexStatus = {
	state: UpstreamState;
	/**
	How many times the upstream was started again after the first start.
	*/
	restarts: number;
	sessions: number;
	inFlight: number;
	/**
	ISO time of the last message from a client or the upstream.
	*/
	lastActivity: string | undefined;
	lastError: string | undefined;
	serverInfo: unknown;
	/**
	The upstream speaks the other era only (a verdict, not a failure): the versions it named.
	*/
	otherEra: readonly string[] | undefined;
};

export function statusOf(state: MultiplexState): MultiplexStatus {
	const {lifecycle, lastActivity} = state;
	return {
		state: lifecycle.phase,
		restarts: Math.max(0, lifecycle.starts - 1),
		sessions: state.sessions.size,
		inFlight: state.requests.size,
		lastActivity: lastActivity === undefined ? undefined : new Date(lastActivity).toISOString(),
		lastError: lifecycle.lastError,
		serverInfo: lifecycle.initResult?.['serverInfo'],
		otherEra: lifecycle.otherEra?.supported,
	};
}
