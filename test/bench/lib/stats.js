// Small statistics and time helpers of the benchmark.
import {setTimeout as delay} from 'node:timers/promises';

/** The q-quantile (0…1) of some numbers, nearest-rank on a sorted copy; undefined for none. */
export function quantile(values, q) {
	if (values.length === 0) {
		return undefined;
	}

	const sorted = values.toSorted((a, b) => a - b);
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
	return sorted[rank];
}

/** The median of some numbers (mean of the two middle ones for an even count); undefined for none. */
export function median(values) {
	const finite = values.filter(value => Number.isFinite(value));
	if (finite.length === 0) {
		return undefined;
	}

	const sorted = finite.toSorted((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Reject with a clear message when a promise takes longer than `ms`. */
export async function withDeadline(promise, ms, label) {
	const controller = new AbortController();
	try {
		return await Promise.race([
			promise,
			delay(ms, undefined, {signal: controller.signal}).then(() => {
				throw new Error(`${label} took longer than ${Math.round(ms / 1000)} s`);
			}),
		]);
	} finally {
		controller.abort();
	}
}

/**
Run `task(index)` for indexes 0…count-1 with at most `limit` running at once; rejects on the first failure.
*/
export async function boundedAll(count, limit, task) {
	const results = Array.from({length: count});
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const index = next++;
			// eslint-disable-next-line no-await-in-loop
			results[index] = await task(index);
		}
	};

	await Promise.all(Array.from({length: Math.min(limit, count)}, worker));
	return results;
}
