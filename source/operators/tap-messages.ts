/*
The `tapMessages` operator: show each message passing through a transport, either way, to a sink, with its time, direction and session, changing nothing.
*/
import {Observable, tap} from 'rxjs';
import type {Message, TransportOperator} from '../types.js';

export type MessageDirection = 'client-to-server' | 'server-to-client';

export type TappedMessage = {
	/**
	ISO 8601 time the message passed.
	*/
	time: string;
	direction: MessageDirection;
	/**
	The client session the message belongs to, if the mode has sessions.
	*/
	session: string | undefined;
	message: Message;
};

export type TapMessagesOptions = {
	session?: string;
	/**
	Which end of the conversation the tapped transport talks to. Messages sent into a transport that reaches a server travel client-to-server.

	@default 'server'
	*/
	peer?: 'server' | 'client';
};

/**
Show every message that passes through a transport to a sink, without changing anything. For debugging, auditing and tests.

@example
```
const upstream = pipeTransport(spawnStdio({command: 'node', args: ['server.js']}), tapMessages(entry => {
	console.error(entry.direction, entry.message);
}));
```
*/
export function tapMessages(sink: (entry: TappedMessage) => void, options: TapMessagesOptions = {}): TransportOperator {
	const {session, peer = 'server'} = options;
	const sent: MessageDirection = peer === 'server' ? 'client-to-server' : 'server-to-client';
	const received: MessageDirection = peer === 'server' ? 'server-to-client' : 'client-to-server';
	const emit = (direction: MessageDirection) => (message: Message) => {
		sink({
			time: new Date().toISOString(), direction, session, message,
		});
	};

	return transport => outgoing$ => new Observable<Message>(subscriber => transport(outgoing$.pipe(tap(emit(sent))))
		.pipe(tap(emit(received)))
		.subscribe(subscriber));
}
