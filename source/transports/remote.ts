/*
A remote MCP server at a URL: Streamable HTTP or legacy SSE, chosen by configuration or detected (POST `initialize`, fall back to legacy SSE on 400, 404 or 405), the choice remembered for reconnections once it is certain.
*/
import {
	concat, from, Observable, Subject,
} from 'rxjs';
import type {Message, Transport} from '../types.js';
import {
	describeError,
	HttpError,
	UnsupportedTransportError,
} from '../errors.js';
import {defaultLogger} from '../logger.js';
import {isRequest, isResponse} from '../wire/message.js';
import {type HttpClientOptions, checkUrl} from '../http/client-options.js';
import {sseClient, type SseClientOptions} from './sse/index.js';
import {streamableHttpClient, type StreamableHttpClientOptions} from './streamable-http/index.js';

export type RemoteTransportKind = 'auto' | 'streamablehttp' | 'sse';

export type RemoteOptions = HttpClientOptions & Omit<StreamableHttpClientOptions, 'detectUnsupported'> & SseClientOptions & {
	/**
	`'streamablehttp'` or `'sse'` (legacy HTTP+SSE) force a transport. `'auto'` POSTs `initialize` as Streamable HTTP and falls back to legacy SSE on the same URL when the server answers 400, 404 or 405; the choice is remembered for reconnections once it is certain: a Streamable HTTP exchange that succeeded (not an error, such as a 401 or a 503, which leaves it open), or a legacy SSE session.

	@default 'auto'
	*/
	transport?: RemoteTransportKind;
};

const names = {streamablehttp: 'Streamable HTTP', sse: 'legacy SSE'} as const;

/**
A remote MCP server at a URL, over Streamable HTTP or legacy SSE, detected automatically by default. Logs at info level which transport it uses.

@example
```
link(processStdio(), remote({url: 'https://example.com/mcp'})).subscribe();
```
*/
export function remote(options: RemoteOptions): Transport {
	const {transport: kind = 'auto', logger = defaultLogger} = options;
	if (!['auto', 'streamablehttp', 'sse'].includes(kind)) {
		throw new TypeError(`Expected \`transport\` to be 'auto', 'streamablehttp' or 'sse', got \`${String(kind)}\``);
	}

	const url = checkUrl(options.url);
	// One remote, one set of tool declarations: the connection that detects the transport learns them for the later ones.
	const toolHeaders = options.toolHeaders ?? new Map();
	const streamable = streamableHttpClient({...options, detectUnsupported: false, toolHeaders});
	const probing = streamableHttpClient({...options, detectUnsupported: true, toolHeaders});
	const legacy = sseClient(options);
	let detected: 'streamablehttp' | 'sse' | undefined = kind === 'auto' ? undefined : kind;
	let announced = false;

	const announce = (chosen: 'streamablehttp' | 'sse', how: string) => {
		if (!announced) {
			announced = true;
			logger.info(how === '' ? `Using ${names[chosen]} to reach ${url.href} (as configured)` : `Connected to ${url.href} over ${names[chosen]}${how}`);
		}
	};

	return outgoing$ => {
		if (detected !== undefined) {
			announce(detected, '');
		}

		if (detected === 'streamablehttp') {
			return streamable(outgoing$);
		}

		if (detected === 'sse') {
			return legacy(outgoing$);
		}

		return new Observable<Message>(subscriber => {
			const live = new Subject<Message>();
			let history: Message[] | undefined = [];
			let probeStatus: number | undefined;
			let probeReason = '';

			const decide = (chosen: 'streamablehttp' | 'sse', how: string) => {
				if (history) {
					history = undefined;
					detected = chosen;
					announce(chosen, how);
				}
			};

			const fallBack = () => {
				const replay = history ?? [];
				logger.info(`${url.href} answered the Streamable HTTP initialize with HTTP ${probeStatus}; trying legacy SSE`);
				subscriber.add(legacy(concat(from(replay), live)).subscribe({
					next(message) {
						decide('sse', ` (auto-detected: Streamable HTTP was refused with HTTP ${probeStatus})`);
						subscriber.next(message);
					},
					error(error: unknown) {
						if (history && error instanceof HttpError) {
							const text = `${url.href} speaks neither Streamable HTTP (POST initialize: ${probeReason}) nor legacy SSE (${describeError(error)}). Check the URL.`;
							subscriber.error(new UnsupportedTransportError(text, error.status, {cause: error}));
							return;
						}

						subscriber.error(error);
					},
					complete() {
						subscriber.complete();
					},
				}));
			};

			subscriber.add(probing(live).subscribe({
				next(message) {
					if (isResponse(message) && 'error' in message) {
						// Possibly made up by the client (an HTTP error, a failed connection): it proves nothing. The request is answered, so it is not replayed if we fall back.
						history = history?.filter(entry => !(isRequest(entry) && entry.id === message.id));
					} else {
						// A result, or a message of the server's own: Streamable HTTP works.
						decide('streamablehttp', ' (auto-detected)');
					}

					subscriber.next(message);
				},
				error(error: unknown) {
					if (history && error instanceof UnsupportedTransportError) {
						probeStatus = error.status;
						probeReason = error.message.replace(/^.* initialize with /, '');
						fallBack();
						return;
					}

					subscriber.error(error);
				},
				complete() {
					subscriber.complete();
				},
			}));

			subscriber.add(outgoing$.subscribe({
				next(message) {
					history?.push(message);
					live.next(message);
				},
				error(error: unknown) {
					live.error(error);
				},
				complete() {
					live.complete();
				},
			}));
		});
	};
}
