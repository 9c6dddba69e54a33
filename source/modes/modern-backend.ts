import {filter, map} from 'rxjs';
import type {ServerConfig} from '../config/named-servers.js';
import {pipeTransport} from '../link.js';
import type {Session} from '../listeners/http-listener.js';
import {sessionProtocolVersions} from '../operators/multiplex/handshake.js';
import {multiplex, type Multiplexer} from '../operators/multiplex/index.js';
import type {Message, Transport, TransportOperator} from '../types.js';
import {errorResponse, isRequest} from '../wire/message.js';

/*
Where server mode sends the requests of the 2026-07-28 revision, per served server: one upstream of that revision shared by all of them (stateless by the spec, so never one per client), through the multiplexer in its modern mode (ids and progress tokens remapped, cancellation forwarded, its handshake the `server/discover` probe). For a command it is the same command started once more, lazily, on the first modern request; a child that speaks only 2025 is closed after the probe and modern requests get -32022 naming the 2025 versions (so dual-era clients fall back to `initialize`). A remote server is not yet spoken to in the modern way: its modern requests get the same -32022.
*/

export type ModernBackend = {
	connect(session: Session): Transport;
	/**
	The same transport without the per-session operators: for a 2025 session bridged onto it, which has them already.
	*/
	bridge(session: Session): Transport;
	/**
	Close the modern upstream gracefully, if it was started.
	*/
	close(): void;
};

/**
The modern side of a served server. `upstream` makes its transport (called once, on the first modern request); `name` names it in logs and errors.
*/
export function modernBackend(config: ServerConfig, options: {
	upstream: () => Transport;
	name: string;
	multiplexOptions: Parameters<typeof multiplex>[1];
	perSession: (session: Session) => TransportOperator[];
}): ModernBackend {
	if (config.kind === 'remote') {
		const refuse = refuseModern(options.name);
		return {
			connect: () => refuse,
			bridge: () => refuse,
			close() {
				// Nothing was started.
			},
		};
	}

	let mux: Multiplexer | undefined;
	const bridge = (session: Session) => {
		if (!mux) {
			mux = multiplex(options.upstream(), {...options.multiplexOptions, era: 'modern'});
			// It completes after `close()`, once the child has exited.
			mux.run$.subscribe();
		}

		return mux.session(session.id);
	};

	return {
		connect: session => pipeTransport(bridge(session), ...options.perSession(session)),
		bridge,
		close() {
			mux?.close();
		},
	};
}

function refuseModern(name: string): Transport {
	const refusal = (message: Message) => errorResponse(
		(message as {id: string | number}).id,
		-32_022,
		`Unsupported protocol version: ${name} is a remote server, which the proxy does not yet reach with protocol 2026-07-28`,
		{supported: sessionProtocolVersions},
	);
	return outgoing$ => outgoing$.pipe(filter(message => isRequest(message)), map(message => refusal(message)));
}
