import type {ServerResponse} from 'node:http';
import {Observable, type Observer} from 'rxjs';
import {settingName, type SettingNames} from '../../setting-names.js';
import {dropAnswers} from '../json-answer.js';
import type {Message} from '../../types.js';
import {isErrorResponse, isResponse} from '../../wire/message.js';
import type {SessionRecord} from './facts.js';
import {
	createLegacySession, endLegacy, routeLegacy, shedLegacy,
} from './legacy/index.js';
import {touch, type SessionEndReason, type SessionRuntime} from './record.js';
import {endStreamable, shedStreamable} from './streamable/close.js';
import {deliverFromBackend} from './streamable/exchange.js';
import {createStreamableRecord, type StreamableRecord} from './streamable/state.js';

/*
Sessions of either face, as the rest of the listener uses them: open one, end one, shed from one, cut one; and each session's transport, the one place where the backend's messages and the client's meet: the backend's are routed by the session's face, the client's come out of the session's `Channel`.
*/

export type {SessionRecord} from './facts.js';
export type {
	Session, SessionBase, SessionEndReason, SessionRuntime,
} from './record.js';

/**
The error text that requests still waiting get when their session ends, by reason; a session closed for holding too much names the setting that raises the limit.
*/
export function closeReasons(settingNames: SettingNames | undefined): Readonly<Record<SessionEndReason, string>> {
	return {
		deleted: 'The client deleted the session',
		'client-closed': 'The client closed the session',
		'backend-ended': 'The server closed the session before answering',
		unsubscribed: 'The connection to the server was closed before it answered',
		idle: 'The session expired',
		'listener-closed': 'The proxy is shutting down',
		answered: 'The request was answered',
		overloaded: `The session was closed: its client did not read what it was sent (${settingName(settingNames, 'maxQueuedBytes')})`,
		refused: 'The server refused to initialize the session',
		uninitialized: 'The client did not complete initialization in time',
	};
}

/**
The runtime that sessions of one listener share (see `SessionRuntime`), with `end` set to end a session whatever its face.
*/
export function createRuntime(options: Omit<SessionRuntime, 'end'>): SessionRuntime {
	return {...options, end: endSession};
}

/**
Open a Streamable HTTP session (or a stateless request, `'modern'` for one of the 2026 revision): its record, counted in the queue budget, with its transport.
*/
export function openStreamable(runtime: SessionRuntime, id: string, server: string, stateless: boolean | 'modern'): StreamableRecord {
	const record = createStreamableRecord(runtime, id, server, stateless);
	runtime.budget.add(record);
	openTransport(record);
	return record;
}

/**
Open a legacy SSE session on the GET response that carries its stream.
*/
export function openLegacy(runtime: SessionRuntime, id: string, server: string, response: ServerResponse): SessionRecord {
	const record = createLegacySession(runtime, id, server, response);
	runtime.budget.add(record);
	openTransport(record);
	return record;
}

/**
End a session: its face closes its streams (requests still waiting get an error where their client listens), the table and the budget forget it, and the client's messages complete.
*/
export function endSession(record: SessionRecord, reason: SessionEndReason): void {
	if (record.kind === 'streamable') {
		endStreamable(record, reason);
	} else {
		endLegacy(record, reason);
	}
}

/**
Let go of the session's oldest notification wherever it holds it. Returns its size, 0 when it holds none.
*/
export function shedOne(record: SessionRecord): number {
	return record.kind === 'streamable' ? shedStreamable(record) : shedLegacy(record);
}

/**
Close the session because it holds more than the queue budget allows: its streams are cut, and so are the connections of its JSON answers still waiting to be read or written (the client sees the connection drop, and a resumption finds no session), then it ends.
*/
export function cutSession(record: SessionRecord): void {
	for (const stream of record.streams) {
		stream.onClose = undefined;
		stream.destroy();
	}

	dropAnswers(record);
	if (record.kind === 'streamable') {
		for (const exchange of record.exchanges) {
			exchange.response?.destroy();
		}
	}

	endSession(record, 'overloaded');
}

function openTransport(record: SessionRecord): void {
	record.session.transport = outgoing$ => transportOf(record, outgoing$);
}

/**
The session's transport: subscribing takes what the backend sends (`outgoing$`) and routes it to the client, and gives out what the client sends, held in the session's channel until then. It may be subscribed once; unsubscribing ends the session, and so does the end of `outgoing$`.
*/
function transportOf(record: SessionRecord, outgoing$: Observable<Message>): Observable<Message> {
	// One Observable per session rather than `defer`, `using` and `finalize`: each operator is kept alive per open session (see `sessionMessages` in the multiplexer).
	return new Observable<Message>(subscriber => {
		if (record.subscribed) {
			subscriber.error(new Error(`The transport of session ${record.id} was subscribed twice`));
			return;
		}

		record.subscribed = true;
		record.waiting = 0;
		if (record.ended) {
			subscriber.complete();
			return;
		}

		const backend = outgoing$.subscribe(fromBackend(record));
		record.channel.observable.subscribe(subscriber);
		return () => {
			backend.unsubscribe();
			endSession(record, 'unsubscribed');
		};
	});
}

/**
What the backend sends, routed by the session's face; one observer per session.
*/
function fromBackend(record: SessionRecord): Partial<Observer<Message>> {
	return {
		next(message) {
			if (record.ended) {
				return;
			}

			if (record.initialized || !isResponse(message)) {
				route(record, message);
			} else {
				routeHandshake(record, message);
			}
		},
		error() {
			endSession(record, 'backend-ended');
		},
		complete() {
			endSession(record, 'backend-ended');
		},
	};
}

function route(record: SessionRecord, message: Message): void {
	if (record.kind === 'streamable') {
		deliverFromBackend(record, message);
	} else {
		routeLegacy(record, message);
	}
}

/**
A response before the client completed initialization: the answer to its `initialize` starts the time it has to complete it, and a refusal ends the session at once (nothing can be done in it).
*/
function routeHandshake(record: SessionRecord, message: Message): void {
	touch(record, Date.now());
	route(record, message);
	if (record.initializeId !== undefined && isResponse(message) && message.id === record.initializeId && isErrorResponse(message)) {
		endSession(record, 'refused');
	}
}
