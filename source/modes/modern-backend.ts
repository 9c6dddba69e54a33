import type {ServerConfig} from '../config/named-servers.js';
import {pipeTransport} from '../link.js';
import type {Session} from '../listeners/http-listener.js';
import {multiplex, type Multiplexer} from '../operators/multiplex/index.js';
import type {Transport, TransportOperator} from '../types.js';

/*
Where server mode sends the requests of the 2026-07-28 revision, per served server: one upstream of that revision shared by all of them (stateless by the spec, so never one per client), through the multiplexer in its modern mode (ids and progress tokens remapped, cancellation forwarded, its handshake the `server/discover` probe). For a command it is the same command started once more, lazily, on the first modern request; a child that speaks only 2025 is closed after the probe and modern requests get -32022 naming the 2025 versions (so dual-era clients fall back to `initialize`). A remote server is reached the same way: one connection for its modern requests, POSTed as modern ones (the Streamable HTTP client reads each message's era), probed with `server/discover` first; a remote that answers it as a 2025-only server (an error) is a verdict too, and its modern requests get the same -32022.
*/

export type ModernBackend = {
	connect(session: Session): Transport;
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
}): ModernBackend {
	let mux: Multiplexer | undefined;
	return {
		connect(session) {
			if (!mux) {
				mux = multiplex(options.upstream(), {...options.multiplexOptions, era: 'modern'});
				// It completes after `close()`, once the child has exited.
				mux.run$.subscribe();
			}

			return pipeTransport(mux.session(session.id), ...options.perSession(session));
		},
		close() {
			mux?.close();
		},
	};
}
