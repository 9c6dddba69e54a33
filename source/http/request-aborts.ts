/*
The abort controllers of a client transport's open request exchanges, by request id: cancelling a request ends its HTTP exchange, and ending the transport ends them all.
*/
import {IdMap} from '../wire/id-map.js';
import {isRequest} from '../wire/message.js';
import type {Message, Request, RequestId} from '../types.js';

/**
The abort controllers of the requests whose HTTP exchange is open, by request id: one can be aborted alone (a cancelled request), and aborting `signal` (the transport's) aborts every open one with its reason, those whose id a later request took included. One listener on the transport's signal, where an `AbortSignal.any` per request cost about 30 µs of CPU per call in Node 20 (weak references and a finalization registry for every composite signal).
*/
export class RequestAborts extends IdMap<RequestId, AbortController> {
	private readonly signal: AbortSignal;
	private readonly open = new Set<AbortController>();

	constructor(signal: AbortSignal) {
		super();
		this.signal = signal;
		signal.addEventListener('abort', () => {
			for (const own of this.open) {
				own.abort(signal.reason);
			}
		}, {once: true});
	}

	/**
	Run the HTTP exchange of `message`: a request's with a controller of its own (found by its id meanwhile, unless a later request takes the id), anything else's with the transport's signal. `exchange` gets the message, the request when it is one, and the signal: one function serves every message.
	*/
	async run(message: Message, exchange: (message: Message, request: Request | undefined, signal: AbortSignal) => Promise<void>): Promise<void> {
		if (!isRequest(message)) {
			await exchange(message, undefined, this.signal);
			return;
		}

		const own = this.start(message.id);
		try {
			await exchange(message, message, own.signal);
		} finally {
			this.close(message.id, own);
		}
	}

	/**
	A new controller for request `id`, already aborted if the transport is.
	*/
	private start(id: RequestId): AbortController {
		const own = new AbortController();
		if (this.signal.aborted) {
			own.abort(this.signal.reason);
		}

		this.open.add(own);
		this.set(id, own);
		return own;
	}

	/**
	The exchange of request `id` that `own` was started for is over.
	*/
	private close(id: RequestId, own: AbortController): void {
		this.open.delete(own);
		if (this.get(id) === own) {
			this.delete(id);
		}
	}
}
