import {finalize, NEVER, type Observable} from 'rxjs';
import {link, pipeTransport} from '../link.js';
import {defaultLogger, type Logger} from '../logger.js';
import {bridgeToModern} from '../operators/bridge-to-modern/index.js';
import {closeWhen} from '../operators/close-when.js';
import {drainOnEnd} from '../operators/drain-on-end.js';
import {guardRequests} from '../operators/guard-requests/index.js';
import {bridgeWhenLegacy} from '../operators/legacy-bridge/era-switch.js';
import {legacyBridge, type LegacyBridge} from '../operators/legacy-bridge/index.js';
import {multiplex, type Multiplexer} from '../operators/multiplex/index.js';
import {reconnect, type ReconnectOptions} from '../operators/reconnect/index.js';
import {redactErrors} from '../operators/redact-errors.js';
import {tapMessages, type TappedMessage} from '../operators/tap-messages.js';
import {noRedaction, type Redactor} from '../redactor.js';
import type {Transport} from '../types.js';

/*
Client mode as wiring: a local client's transport linked to a remote server's, through the bridge for a 2026-07-28 client of a 2025-only remote (engaged when the remote shows it is one), reconnection, the request guard, an optional message tap, a graceful stop and the drain when the client's messages end. It decides no policy (credentials, TLS, signals, deadlines, exit codes are the caller's: the CLI's are in source/cli/client.ts).
*/

export type ClientModeOptions = {
	/**
	The local client: `processStdio()` for our standard input and output.
	*/
	client: Transport;
	/**
	The remote server: `remote({url, …})`, or any transport.
	*/
	upstream: Transport;
	/**
	How the upstream reconnects when its session is lost (the logger is this mode's).
	*/
	reconnect?: Omit<ReconnectOptions, 'logger'>;
	/**
	Milliseconds a request to the remote server may take before it is answered with an error; 0: no limit.

	@default 0
	*/
	requestTimeout?: number;
	/**
	Sees every message both ways (a message log).
	*/
	onMessage?: (entry: TappedMessage) => void;
	/**
	When this emits, the session with the remote server closes first, so the requests in flight are answered (with an error) before the client's side closes; the mode then completes.

	@default NEVER
	*/
	stop?: Observable<unknown>;
	/**
	Milliseconds the requests already sent may take to be answered after the client's messages end, before the session closes anyway (they are then answered with an error).

	@default 30000
	*/
	drainGrace?: number;
	/**
	Hides the secrets it knows in the error responses that reach the client (an error text may quote the remote server, which may echo a credential). The logger is the caller's: create it with the same redactor.

	@default no redaction
	*/
	redactor?: Redactor;
	logger?: Logger;
};

/**
Run client mode while subscribed: completes when the session ends (the client closed its side, or `stop` emitted), errors on a failure that cannot be recovered from; unsubscribing closes both sides at once.

@example
```
clientMode({client: processStdio(), upstream: remote({url: 'https://example.com/mcp'})}).subscribe({error: console.error});
```
*/
export function clientMode(options: ClientModeOptions): Observable<never> {
	const {
		client, upstream, requestTimeout = 0, onMessage, stop = NEVER, drainGrace = 30_000, redactor = noRedaction, logger = defaultLogger,
	} = options;
	// A 2026-07-28 client of a 2025-only remote: its requests become 2025 sessions of their own on a multiplexer over the remote (each a session of the remote's), made when first needed.
	let bridged: {mux: Multiplexer; bridge: LegacyBridge} | undefined;
	const switchEra = bridgeWhenLegacy({
		verdict: {era: 'unknown'},
		bridge() {
			if (!bridged) {
				const mux = multiplex(upstream, {name: 'the remote server', logger});
				mux.run$.subscribe();
				bridged = {mux, bridge: legacyBridge({session: mux.session, logger})};
			}

			return bridged.bridge;
		},
		name: 'The remote server',
		logger,
	});
	return link(client, pipeTransport(
		upstream,
		// Innermost, and both pass through what is not theirs: a 2026-07-28 client of a 2025-only remote is bridged onto 2025 sessions (switchEra); a 2025 client of a 2026-only remote through the same transport, which routes each message by its era (bridgeToModern), so reconnection sees a 2025 session either way.
		switchEra,
		bridgeToModern({modern: () => upstream}),
		reconnect({...options.reconnect, logger}),
		guardRequests({timeout: requestTimeout, peerName: 'the remote server', logger}),
		...(onMessage ? [tapMessages(onMessage)] : []),
		// On stop the remote side closes first, so the requests in flight are answered (with an error) before the client's side closes.
		closeWhen(stop),
		// When the client's messages end, the requests already sent are still answered (within the grace) before the session closes.
		drainOnEnd({grace: drainGrace}),
		// Outermost, so that it sees the errors of every operator before it.
		redactErrors(redactor),
	)).pipe(finalize(() => {
		bridged?.bridge.close();
		bridged?.mux.close();
	}));
}
