/*
Bounded maps for rewritten ids: the proxy's ids to the peers' (by their exact text), with limits so no peer can grow them without end.
*/
import {stringifyJson} from './exact-numbers.js';

/**
How many entries an `IdMap` keeps in its arrays before it moves them to a `Map`.
*/
const arrayLimit = 16;

/**
A map for the few request ids in flight at a time (a session's requests waiting for their answers, the requests a shared server or a remote is working on): two short arrays while it holds at most 16 entries, a `Map` beyond that until it empties again.

Why not a `Map` alone: a `Map` that empties and fills again with every request reallocates its table each time (V8 shrinks it on delete and grows it on set), and once the `Map` has lived long enough to be in the old generation, so do its new tables. On the proxy's hot path that was about 3 µs per request, most of it page faults on freshly used old-generation memory. The arrays keep their storage.

Iteration order is not insertion order.

@example
```
const pending = new IdMap<RequestId, Exchange>();
pending.set(7, exchange);
pending.get(7); //=> exchange
pending.delete(7); //=> true
```
*/
export class IdMap<K, V> {
	private readonly keyList: K[] = [];
	private readonly valueList: V[] = [];
	private map: Map<K, V> | undefined;

	get size(): number {
		return this.map === undefined ? this.keyList.length : this.map.size;
	}

	get(key: K): V | undefined {
		if (this.map !== undefined) {
			return this.map.get(key);
		}

		const index = this.keyList.indexOf(key);
		return index === -1 ? undefined : this.valueList[index];
	}

	has(key: K): boolean {
		return this.map === undefined ? this.keyList.includes(key) : this.map.has(key);
	}

	set(key: K, value: V): this {
		if (this.map !== undefined) {
			this.map.set(key, value);
			return this;
		}

		const index = this.keyList.indexOf(key);
		if (index !== -1) {
			this.valueList[index] = value;
			return this;
		}

		if (this.keyList.length < arrayLimit) {
			this.keyList.push(key);
			this.valueList.push(value);
			return this;
		}

		this.map = new Map();
		for (const [index, each] of this.keyList.entries()) {
			this.map.set(each, this.valueList[index]!);
		}

		this.keyList.length = 0;
		this.valueList.length = 0;
		this.map.set(key, value);
		return this;
	}

	delete(key: K): boolean {
		if (this.map !== undefined) {
			const deleted = this.map.delete(key);
			if (this.map.size === 0) {
				this.map = undefined;
			}

			return deleted;
		}

		const index = this.keyList.indexOf(key);
		if (index === -1) {
			return false;
		}

		// The last entry takes the place of the deleted one.
		const last = this.keyList.length - 1;
		this.keyList[index] = this.keyList[last]!;
		this.valueList[index] = this.valueList[last]!;
		this.keyList.pop();
		this.valueList.pop();
		return true;
	}

	clear(): void {
		this.map = undefined;
		this.keyList.length = 0;
		this.valueList.length = 0;
	}

	/**
	A snapshot of the entries: the map may be changed while they are walked.
	*/
	entries(): Array<[K, V]> {
		if (this.map !== undefined) {
			return [...this.map];
		}

		return this.keyList.map((key, index) => [key, this.valueList[index]!]);
	}

	/**
	A snapshot of the values.
	*/
	values(): V[] {
		return this.map === undefined ? [...this.valueList] : [...this.map.values()];
	}
}

/**
Add `id` to a set that keeps at most `limit` entries, forgetting the oldest: the recent ids of requests that ended without their answer (cancelled, timed out), whose late answer is expected and dropped quietly.
*/
export function rememberId<K>(set: Set<K>, id: K, limit: number): void {
	if (set.size >= limit) {
		set.delete(set.values().next().value!);
	}

	set.add(id);
}

/**
An id as a log line shows it: its JSON text, cut short (a peer may send an id of megabytes).
*/
export function shownId(id: unknown): string {
	const text = stringifyJson(id) ?? String(id);
	return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
