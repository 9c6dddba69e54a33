import {Buffer} from 'node:buffer';
import {JsonPieces} from '../wire/long-strings.js';

/*
A message serialized once for the HTTP listener's streams and stores, shared by every one that holds it.
*/

/**
Messages at least this long (in UTF-16 units) are kept as UTF-8 bytes that every stream writes as they are, so a broadcast held by many sessions is in memory once; shorter ones stay text, copied into each stream's frame.
*/
const sharedBytesLength = 16 * 1024;

/**
What a message is to the queue budget: notifications may be shed, responses and server→client requests never.
*/
export type PayloadKind = 'notification' | 'request' | 'response';

/**
A serialized JSON-RPC message. `holders` counts the queues, stores and sockets that hold it: the queue budget counts its `size` once while it is above 0, however many sessions share it.

@example
```
const payload = new Payload('{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}', 'notification');
stream.sendPayload(payload, {id: 'g1-1'});
```
*/
export class Payload {
	/**
	The JSON text of a short message; `undefined` once shed.
	*/
	text: string | undefined;
	/**
	The UTF-8 bytes of a long message; `undefined` once shed.
	*/
	bytes: Uint8Array | undefined;
	/**
	Bytes it holds in memory (UTF-8 length; for a short text, its length in UTF-16 units).
	*/
	readonly size: number;
	readonly kind: PayloadKind;
	holders = 0;
	/**
	Shed by the queue budget: every queue and store that still holds it skips it and lets go of it when it comes to it; its text or bytes are gone already.
	*/
	shed = false;
	/**
	A held notification's neighbours in the queue budget's list of what may be shed, oldest first.
	*/
	older: Payload | undefined = undefined;
	newer: Payload | undefined = undefined;
	/**
	The session that last had to queue it for its client (a slow stream, no stream at all), or that keeps it for resumption: the warning about shed notifications names it.
	*/
	queuedBy: string | undefined = undefined;

	constructor(json: string | JsonPieces, kind: PayloadKind) {
		this.kind = kind;
		if (json instanceof JsonPieces) {
			// Long strings kept as bytes are copied once, into the bytes every stream shares.
			const buffer = Buffer.allocUnsafeSlow(json.maxByteLength());
			this.bytes = buffer.subarray(0, json.writeInto(buffer));
			this.size = buffer.length;
		} else if (json.length >= sharedBytesLength) {
			this.bytes = Buffer.from(json, 'utf8');
			this.size = this.bytes.length;
		} else {
			this.text = json;
			this.size = json.length;
		}
	}

	get sheddable(): boolean {
		return this.kind === 'notification';
	}

	/**
	The JSON text (made from the bytes for a long message).
	*/
	toString(): string {
		return this.text ?? Buffer.from(this.bytes!.buffer, this.bytes!.byteOffset, this.bytes!.byteLength).toString('utf8');
	}
}

/**
What the queue budget counts: a payload, or bytes held for a client elsewhere (a JSON answer in its connection's buffer, responses collected for a batch). `holders` counts the places that hold it; its `size` counts once while it is above 0.
*/
export type Counted = {
	readonly size: number;
	readonly sheddable: boolean;
	holders: number;
	readonly shed?: boolean;
};

/**
What counts held payloads: the listener's queue budget.
*/
export type PayloadCounter = {
	hold(payload: Counted): void;
	release(payload: Counted): void;
	/**
	Forget a holder that holds nothing any more.
	*/
	delete(holder: Holder): void;
	/**
	How many payloads were shed so far: a queue need look for shed ones only when it changed.
	*/
	shedSoFar(): number;
};

/**
Who holds payloads for a client: a session, for its streams, its store and its messages waiting for a stream. `heldBytes` counts each payload that may not be shed as a notification (responses, requests, JSON answers) once per place it sits; holding also counts the payload in the listener's queue budget.
*/
export type Holder = {
	readonly id: string;
	heldBytes: number;
	readonly budget: PayloadCounter | undefined;
};

/**
`holder` takes `payload` into one more place (a queue, a store, a socket).
*/
export function hold(holder: Holder, payload: Counted): void {
	if (!payload.sheddable) {
		holder.heldBytes += payload.size;
	}

	holder.budget?.hold(payload);
}

/**
`holder` lets go of `payload` in one place.
*/
export function release(holder: Holder, payload: Counted): void {
	if (!payload.sheddable) {
		holder.heldBytes -= payload.size;
	}

	holder.budget?.release(payload);
}
