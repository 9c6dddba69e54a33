/*
An abort signal that lives for a subscription: `using(() => new AbortScope(parent), scope => …)` aborts it when the subscription ends, and it aborts with its parent (the transport's signal).
*/
import type {Unsubscribable} from 'rxjs';

export class AbortScope implements Unsubscribable {
	private readonly controller = new AbortController();
	private readonly parent: AbortSignal;
	private readonly onAbort: () => void;

	constructor(parent: AbortSignal) {
		this.parent = parent;
		this.onAbort = () => {
			this.controller.abort(parent.reason);
		};

		if (parent.aborted) {
			this.controller.abort(parent.reason);
		} else {
			parent.addEventListener('abort', this.onAbort, {once: true});
		}
	}

	get signal(): AbortSignal {
		return this.controller.signal;
	}

	unsubscribe(): void {
		this.parent.removeEventListener('abort', this.onAbort);
		this.controller.abort();
	}
}
