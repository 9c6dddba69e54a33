/*
Reading what the server sends on the session's HTTP bodies into messages for the session: a JSON body or SSE data parsed and delivered (an unreadable answer to the request waiting becomes its error answer), and an SSE body read to its end with what resuming it needs.
*/
import {errorCodes} from '../../errors.js';
import {errorResponse, isResponse, sniffMessage} from '../../wire/message.js';
import {readEventStream, type OversizeEvent} from '../../wire/sse-reader.js';
import type {Request} from '../../types.js';
import {parseMessages, previewText} from '../../http/body.js';
import {eventSettingNames} from '../../http/client-options.js';
import type {ExchangeContext} from './context.js';

/**
What reading an SSE body found: where it got to (the last event id, the server's `retry:`), whether it answered the request it was for, how many events it carried, and the error that ended it, if any (an event over the limit ends a response stream with a `MessageTooLargeError`).
*/
export type StreamOutcome = {
	lastEventId: string | undefined;
	retry: number | undefined;
	answered: boolean;
	events: number;
	error: unknown;
};

export type ReadStreamOptions = {
	/**
	The request a response stream answers.
	*/
	pending?: Request;
	/**
	Skip an event over the limit (a long-lived stream), instead of ending the stream.
	*/
	onOversize?: (event: OversizeEvent) => void;
};

/**
Deliver the messages of a JSON body or an event's data. Returns whether one of them answered `pending`.
*/
export function deliver(context: ExchangeContext, text: string, origin: string, pending?: Request): boolean {
	let answered = false;
	for (const message of parseMessages(text, reason => {
		context.logger.error(`The remote server sent ${origin} that is ${reason}: ${previewText(text, 120)}`);
		const head = sniffMessage(text.slice(0, 1024), text.slice(-1024));
		if (pending !== undefined && head?.kind === 'response' && head.id === pending.id) {
			answered = true;
			context.dispatch({type: 'receive', message: errorResponse(pending.id, errorCodes.parseError, `The remote server's answer to \`${pending.method}\` is ${reason}`)});
		}
	})) {
		if (pending !== undefined && isResponse(message) && message.id === pending.id) {
			answered = true;
		}

		context.dispatch({type: 'receive', message});
	}

	return answered;
}

/**
Read an SSE body to its end, delivering its messages. A response stream (`pending`: the request it answers) ends at an event over the limit; the GET stream gives `onOversize`, which skips it.
*/
export async function readStream(context: ExchangeContext, body: ReadableStream<Uint8Array>, origin: string, options: ReadStreamOptions): Promise<StreamOutcome> {
	const {pending, onOversize} = options;
	const outcome: StreamOutcome = {
		lastEventId: undefined, retry: undefined, answered: false, events: 0, error: undefined,
	};
	const where = `an event on ${origin}`;
	try {
		await readEventStream(body, {
			maxEventBytes: context.maxMessageBytes,
			settingNames: eventSettingNames(context.settingNames),
			...(onOversize ? {onOversize} : {}),
			onEvent(event) {
				outcome.events++;
				if (event.id !== undefined) {
					outcome.lastEventId = event.id;
				}

				// Priming events and keep-alives carry no data.
				if (event.data === '' || (event.event !== undefined && event.event !== 'message')) {
					return;
				}

				if (deliver(context, event.data, where, pending)) {
					outcome.answered = true;
				}
			},
			onRetry(milliseconds) {
				outcome.retry = milliseconds;
			},
		});
	} catch (error) {
		outcome.error = error;
	}

	return outcome;
}
