/*
The event stream of a legacy SSE session (GET on the SSE URL): opened, then read to its end: the `endpoint` event, the server's messages, events over the limit skipped (the request or answer they were answered with an error when their id can be told). Its end completes the session; its failure ends it with an error.
*/
import {
	ConnectError, errorCodes, HttpError, TransportError,
} from '../../errors.js';
import {errorResponse, sniffMessage} from '../../wire/message.js';
import {readEventStream, type OversizeEvent} from '../../wire/sse-reader.js';
import {
	contentType, parseMessages, previewText, readStart,
} from '../../http/body.js';
import {eventSettingNames} from '../../http/client-options.js';
import {describeFetchError, isAbort, isConnectFailure} from '../../http/connect-errors.js';
import {oversizeEventReply} from '../../http/error-replies.js';
import type {SseContext} from './context.js';
import {sseEvents} from './session-state.js';

function onMessage(context: SseContext, data: string): void {
	for (const message of parseMessages(data, reason => {
		context.logger.error(`The remote server sent an event that is ${reason}: ${previewText(data, 120)}`);
		const head = sniffMessage(data.slice(0, 1024), data.slice(-1024));
		if (head?.kind === 'response') {
			context.dispatch({type: 'receive', message: errorResponse(head.id, errorCodes.parseError, `The remote server's answer is ${reason}`)});
		}
	})) {
		context.dispatch({type: 'receive', message});
	}
}

/**
Open the event stream. Resolves to its body, or to nothing when it could not be opened (the transport is told why).
*/
async function open(context: SseContext): Promise<ReadableStream<Uint8Array> | undefined> {
	const {url, signal} = context;
	let response: Response;
	try {
		response = await context.fetch(url, {method: 'GET', headers: {...context.fixedHeaders, accept: 'text/event-stream'}, signal});
	} catch (error) {
		if (signal.aborted || isAbort(error)) {
			return undefined;
		}

		// Credentials that failed, a redirect not followed: the error says it already.
		if (error instanceof TransportError) {
			context.dispatch({type: 'failed', error});
		} else if (isConnectFailure(error)) {
			const text = `Cannot connect to ${url.href}: ${describeFetchError(error, context.settingNames)}`;
			context.dispatch({type: 'failed', error: new ConnectError(text, context.state.held, {cause: error})});
		} else {
			context.dispatch({type: 'failed', error: new TransportError(`Opening the SSE stream ${url.href} failed: ${describeFetchError(error, context.settingNames)}`, {cause: error})});
		}

		return undefined;
	}

	if (!response.ok) {
		const body = await readStart(response, 1024);
		const hint = response.status === 401 || response.status === 403 ? ' Check the credentials.' : '';
		const text = `The remote server answered GET ${url.href} with HTTP ${response.status}${body ? `: ${previewText(body)}` : ''}.${hint}`;
		context.dispatch({type: 'failed', error: new HttpError(text, response.status)});
		return undefined;
	}

	if (!contentType(response).includes('text/event-stream') || !response.body) {
		const type = response.headers.get('content-type') ?? '';
		const body = await readStart(response, 1024);
		const preview = body ? `: ${previewText(body)}` : '';
		const text = `The remote server answered GET ${url.href} with \`${type || 'no content type'}\` instead of an event stream${preview}`;
		context.dispatch({type: 'failed', error: new HttpError(text, response.status)});
		return undefined;
	}

	return response.body;
}

/**
Open the session's event stream and read it to its end, reporting everything to the session.
*/
export async function runEventStream(context: SseContext): Promise<void> {
	const body = await open(context);
	if (!body) {
		return;
	}

	context.dispatch(sseEvents.streamOpened);
	/**
	An event over the limit, skipped: the request of the remote's or the answer it was is answered with an error, when its id can be told.
	*/
	const onOversize = (event: OversizeEvent) => {
		const {log, toRemote, toClient} = oversizeEventReply(event, context.maxMessageBytes, 'the SSE stream', context.settingNames);
		context.logger.error(log);
		if (toRemote) {
			context.dispatch({type: 'send', message: toRemote});
		} else if (toClient) {
			context.dispatch({type: 'receive', message: toClient});
		}
	};

	try {
		await readEventStream(body, {
			maxEventBytes: context.maxMessageBytes,
			settingNames: eventSettingNames(context.settingNames),
			onOversize,
			onEvent(event) {
				if (context.state.ended) {
					return;
				}

				if (event.event === 'endpoint') {
					context.dispatch({type: 'endpoint', data: event.data});
				} else if ((event.event === undefined || event.event === 'message') && event.data !== '') {
					onMessage(context, event.data);
				}
			},
		});
	} catch (error) {
		if (!context.signal.aborted) {
			context.dispatch({type: 'broken', error: new TransportError(`The SSE stream from ${context.url.href} broke: ${describeFetchError(error, context.settingNames)}`, {cause: error})});
		}

		return;
	}

	context.dispatch(sseEvents.streamEnded);
}
