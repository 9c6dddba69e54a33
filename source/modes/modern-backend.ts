import type {ServerConfig} from '../config/named-servers.js';
import {pipeTransport} from '../link.js';
import type {Session} from '../listeners/http-listener.js';
import {multiplex, type Multiplexer, type MultiplexStatus} from '../operators/multiplex/index.js';
import {legacyBridge, type LegacyBridge} from '../operators/legacy-bridge/index.js';
import {bridgeWhenLegacy, type EraVerdict} from '../operators/legacy-bridge/era-switch.js';
import type {Logger} from '../logger.js';
import type {Transport, TransportOperator} from '../types.js';

/*
Where server mode sends the requests of the 2026-07-28 revision, per served server: one upstream of that revision shared by all of them (stateless by the spec, so never one per client), through the multiplexer in its modern mode (ids and progress tokens remapped, cancellation forwarded, its handshake the `server/discover` probe). For a command it is the same command started once more, lazily, on the first modern request; a remote server is reached the same way, one connection for its modern requests, POSTed as modern ones (the Streamable HTTP client reads each message's era), probed with `server/discover` first. A server that speaks only 2025 (a child closed after the probe, a remote that answers it with an error) is a verdict, and its modern requests are bridged onto 2025 sessions of the server (operators/legacy-bridge: `legacySession` gives them).
*/

export type ModernBackend = {
	connect(session: Session): Transport;
	/**
	The same transport without the per-session operators: for a 2025 session bridged onto it, which has them already.
	*/
	bridge(session: Session): Transport;
	/**
	The modern upstream's state, once it was started.
	*/
	status(): MultiplexStatus | undefined;
	/**
	Close the modern upstream gracefully, if it was started.
	*/
	close(): void;
};

/**
The modern side of a served server. `upstream` makes its transport (called once, on the first modern request); `name` names it in logs and errors.
*/
export function modernBackend(_config: ServerConfig, options: {
	upstream: () => Transport;
	name: string;
	multiplexOptions: Parameters<typeof multiplex>[1];
	perSession: (session: Session) => TransportOperator[];
	/**
	Sessions on a 2025 multiplexer in front of the same server, for the bridge (called once, when a 2025-only server first gets a modern request).
	*/
	legacySession: () => (id: string) => Transport;
	logger: Logger;
}): ModernBackend {
	let mux: Multiplexer | undefined;
	let legacy: LegacyBridge | undefined;
	const verdict: EraVerdict = {era: 'unknown'};
	const switchEra = bridgeWhenLegacy({
		verdict,
		bridge() {
			legacy ??= legacyBridge({session: options.legacySession(), logger: options.logger});
			return legacy;
		},
		name: options.name.charAt(0).toUpperCase() + options.name.slice(1),
		logger: options.logger,
	});
	const bridge = (session: Session) => {
		if (!mux) {
			mux = multiplex(options.upstream(), {...options.multiplexOptions, era: 'modern'});
			// It completes after `close()`, once the child has exited.
			mux.run$.subscribe();
		}

		return mux.session(session.id);
	};

	return {
		connect: session => pipeTransport(bridge(session), switchEra, ...options.perSession(session)),
		bridge,
		status: () => mux?.status(),
		close() {
			legacy?.close();
			mux?.close();
		},
	};
}
