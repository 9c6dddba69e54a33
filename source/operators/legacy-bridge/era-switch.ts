/*
Where the bridge engages: modern (2026-07-28) requests go to the server as they are until an answer shows whether it speaks the modern era. A result does. An error to `server/discover` that is not a modern server's (the SDK client's probe table, and the spec's: -32022 naming a modern version, -32020 and -32021 are modern evidence) shows a 2025-only server; to another request, only an error no modern server gives a well-formed request does (-32000 "Server not initialized", a session required; -32600; an HTTP refusal without a JSON-RPC body, -32603; -32022 naming only 2025 versions), since -32601 or -32602 may be that request's own answer. From then on, for the run, modern messages go through the bridge, the request that showed it first. The proxy's own failures (timeout, unavailable, too large, overloaded) decide nothing. Once the server is known to be modern, a connection is the upstream's own.
*/
import {Observable} from 'rxjs';
import {Channel} from '../../channel.js';
import type {Logger} from '../../logger.js';
import type {
	ErrorResponse, Message, Request, RequestId, TransportOperator,
} from '../../types.js';
import {isErrorResponse, isRequest, isResponse} from '../../wire/message.js';
import {isModernVersion, modernVersionOf, unsupportedVersionCode} from '../../wire/modern.js';
import type {LegacyBridge} from './index.js';

/**
The era of the server, shared by every connection to it: unknown until the first modern request is answered.
*/
export type EraVerdict = {era: 'unknown' | 'modern' | 'legacy'};

/**
Codes of the proxy's own failures (timeout, upstream unavailable, message too large, overloaded): they say nothing of the server's era.
*/
const proxyFailures = new Set([-32_001, -32_002, -32_003, -32_004]);

/**
Errors only a modern server gives (a header not matching the body, a client capability missing).
*/
const modernOnly = new Set([-32_020, -32_021]);

/**
Errors a modern server does not give a well-formed request: a 2025 server asking for its session (-32000, the SDK's "Bad Request: Server not initialized"), not taking the request (-32600), or an HTTP refusal without a JSON-RPC body (-32603, e.g. a legacy SSE endpoint's 405). A -32603 is also a modern handler's crash, which the first request of a run, the one that decides, is unlikely to meet: a client probes with `server/discover` first.
*/
const sessionless = new Set([-32_000, -32_600, -32_603]);

/**
Whether an error answer to a modern request for `method` shows a server that does not speak the modern era.
*/
export function showsLegacy(error: ErrorResponse['error'], method: string): boolean {
	if (proxyFailures.has(error.code) || modernOnly.has(error.code)) {
		return false;
	}

	if (error.code === unsupportedVersionCode) {
		const supported = (error.data as {supported?: unknown} | undefined)?.supported;
		return !(Array.isArray(supported) && supported.some(version => typeof version === 'string' && isModernVersion(version)));
	}

	return method === 'server/discover' || sessionless.has(error.code);
}

/**
Send the modern messages of each connection through `bridge()` (made once, when first needed) once the server has shown it speaks only 2025; `name` names it in the log line that says so.
*/
export function bridgeWhenLegacy(options: {verdict: EraVerdict; bridge: () => LegacyBridge; name: string; logger: Logger}): TransportOperator {
	const {verdict, bridge, name, logger} = options;
	// Once the server is known to be modern, a connection is the upstream's own: nothing in between.
	return upstream => outgoing$ => {
		if (verdict.era === 'modern') {
			return upstream(outgoing$);
		}

		return new Observable<Message>(subscriber => {
			const direct = new Channel<Message>();
			let bridged: Channel<Message> | undefined;
			let open = 1;
			const done = () => {
				if (--open === 0) {
					subscriber.complete();
				}
			};

			// Modern requests sent as they are while the verdict is unknown, until answered.
			const asked = new Map<RequestId, Request>();
			const toBridge = (message: Message) => {
				if (!bridged) {
					bridged = new Channel();
					open++;
					subscriber.add(bridge().transport(bridged.observable).subscribe({
						next(answer) {
							subscriber.next(answer);
						},
						error(error: unknown) {
							subscriber.error(error);
						},
						complete: done,
					}));
				}

				bridged.next(message);
			};

			subscriber.add(upstream(direct.observable).subscribe({
				next(message) {
					const id = asked.size > 0 && isResponse(message) ? message.id : undefined;
					const request = id === undefined ? undefined : asked.get(id);
					if (request) {
						asked.delete(id!);
						if (isErrorResponse(message) && verdict.era !== 'modern' && showsLegacy(message.error, request.method)) {
							if (verdict.era === 'unknown') {
								verdict.era = 'legacy';
								const why = `it answered \`${request.method}\` of protocol 2026-07-28 with: ${message.error.message}`;
								logger.info(`${name} speaks the 2025 revisions only (${why}): its 2026-07-28 clients are bridged onto 2025 sessions`);
							}

							toBridge(request);
							return;
						}

						if (verdict.era === 'unknown' && !isErrorResponse(message)) {
							verdict.era = 'modern';
						}
					}

					subscriber.next(message);
				},
				error(error: unknown) {
					subscriber.error(error);
				},
				complete: done,
			}));
			subscriber.add(outgoing$.subscribe({
				next(message) {
					if (verdict.era === 'modern' || modernVersionOf(message) === undefined) {
						direct.next(message);
					} else if (verdict.era === 'legacy') {
						toBridge(message);
					} else {
						if (isRequest(message)) {
							asked.set(message.id, message);
						}

						direct.next(message);
					}
				},
				error(error: unknown) {
					subscriber.error(error);
				},
				complete() {
					direct.complete();
					bridged?.complete();
				},
			}));
		});
	};
}
