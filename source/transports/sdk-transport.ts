/*
Adapters between this library's transports (Observables) and the official SDK's `Transport` interface, in both directions.
*/
import type {Transport as SdkTransport} from '@modelcontextprotocol/sdk/shared/transport.js';
import {concatMap, Observable, type Subscription} from 'rxjs';
import type {Message, Transport} from '../types.js';
import {TransportError} from '../errors.js';
import {plainNumbers} from '../wire/exact-numbers.js';
import {defaultLogger, type Logger} from '../logger.js';

/**
Use a transport of the official MCP SDK (`InMemoryTransport`, `StdioClientTransport`, `WebSocketClientTransport`…) as a transport here.

Subscribing starts it; completing the outgoing messages or unsubscribing closes it. Its `onclose` completes the observable. Errors it reports through `onerror` are logged: SDK transports report recoverable problems there too.
*/
export function fromSdkTransport(transport: SdkTransport, options: {logger?: Logger} = {}): Transport {
	const {logger = defaultLogger} = options;
	return outgoing$ => new Observable<Message>(subscriber => {
		let closed = false;
		// The SDK's transports have callback properties, not events.
		// eslint-disable-next-line unicorn/prefer-add-event-listener
		transport.onmessage = message => {
			subscriber.next(message);
		};

		// eslint-disable-next-line unicorn/prefer-add-event-listener
		transport.onerror = error => {
			logger.debug('SDK transport error:', error.message);
		};

		// eslint-disable-next-line unicorn/prefer-add-event-listener
		transport.onclose = () => {
			closed = true;
			subscriber.complete();
		};

		const started = transport.start();
		started.catch((error: unknown) => {
			subscriber.error(new TransportError('The SDK transport failed to start', {cause: error}));
		});

		const subscription = outgoing$.pipe(concatMap(async message => {
			await started;
			// The SDK serializes with `JSON.stringify`: numbers a double cannot hold go as doubles, not as their stand-ins.
			await transport.send(plainNumbers(message));
		})).subscribe({
			error(error: unknown) {
				subscriber.error(error);
			},
			complete() {
				void transport.close();
			},
		});

		return () => {
			subscription.unsubscribe();
			if (!closed) {
				closed = true;
				void transport.close();
			}
		};
	});
}

/**
Use a transport from here as an SDK transport, so an SDK `Client` or `Server` connects straight to it.

@example
```
const client = new Client({name: 'example', version: '1.0.0'});
await client.connect(toSdkTransport(spawnStdio({command: 'node', args: ['server.js']})));
```
*/
export function toSdkTransport(transport: Transport, options: {closeTimeout?: number} = {}): SdkTransport {
	const {closeTimeout = 10_000} = options;
	let outgoing: {next(message: Message): void; complete(): void} | undefined;
	let subscription: Subscription | undefined;
	let ended: Promise<void> | undefined;
	const sdkTransport: SdkTransport = {
		async start() {
			const outgoing$ = new Observable<Message>(subscriber => {
				outgoing = subscriber;
			});
			ended = new Promise<void>(resolve => {
				subscription = transport(outgoing$).subscribe({
					next(message) {
						// SDK code expects what `JSON.parse` gives: doubles, not stand-ins (see `exact-numbers.ts`).
						sdkTransport.onmessage?.(plainNumbers(message));
					},
					error(error: unknown) {
						resolve();
						sdkTransport.onerror?.(error instanceof Error ? error : new Error(String(error)));
						sdkTransport.onclose?.();
					},
					complete() {
						resolve();
						sdkTransport.onclose?.();
					},
				});
			});
		},
		async send(message) {
			if (!outgoing) {
				throw new TransportError('Not connected');
			}

			outgoing.next(message);
		},
		/**
		Closes gracefully: the outgoing messages complete and the transport gets `closeTimeout` ms to finish (a child exits, a session is deleted) before it is torn down.
		*/
		async close() {
			const current = subscription;
			if (!current || current.closed) {
				return;
			}

			outgoing?.complete();
			outgoing = undefined;
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([ended, new Promise<void>(resolve => {
				timer = setTimeout(resolve, closeTimeout);
			})]);
			clearTimeout(timer);
			if (!current.closed) {
				current.unsubscribe();
				sdkTransport.onclose?.();
			}
		},
	};
	return sdkTransport;
}
