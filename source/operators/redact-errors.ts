/*
The `redactErrors` operator: the error responses a transport brings back have their texts passed through a redactor, since an error text may quote a peer (an HTTP body, a child's standard error) that echoed a credential. Other messages pass untouched.
*/
import {map} from 'rxjs';
import type {Message, TransportOperator} from '../types.js';
import {noRedaction, type Redactor} from '../redactor.js';
import {isErrorResponse} from '../wire/message.js';

/**
Hide `redactor`'s secrets in the message of every error response the transport brings back. With no redaction, the transport is returned as it is; otherwise each message costs one check, and only an error response whose text holds a secret is copied.

@example
```
const upstream = pipeTransport(remote({url}), redactErrors(redactor));
```
*/
export function redactErrors(redactor: Redactor): TransportOperator {
	if (redactor === noRedaction) {
		return transport => transport;
	}

	const redactMessage = (message: Message): Message => {
		if (!isErrorResponse(message)) {
			return message;
		}

		const text = redactor.redact(message.error.message);
		return text === message.error.message ? message : {...message, error: {...message.error, message: text}};
	};

	return transport => outgoing$ => transport(outgoing$).pipe(map(redactMessage));
}
