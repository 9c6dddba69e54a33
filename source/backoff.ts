/*
The one backoff of the code base: how long to wait before the next attempt after a number of failures in a row. Reconnection, child restarts and stream reopening all take their delays from it, each with its own bounds.
*/

export type BackoffOptions = {
	/**
	The delay after the first failure, in milliseconds.
	*/
	initialDelay: number;
	/**
	The longest delay, in milliseconds.
	*/
	maxDelay: number;
	/**
	The most doublings: past it the delay stops growing even if `maxDelay` is not reached.

	@default 30
	*/
	maxDoublings?: number;
	/**
	Draw each delay between half and all of its nominal value, so that many clients that failed together do not come back together.

	@default false
	*/
	jitter?: boolean;
	/**
	The source of jitter, a number in [0, 1).

	@default Math.random
	*/
	random?: () => number;
};

/**
The delay before the next attempt after `failures` failures in a row: `initialDelay` doubled `failures` times (at most `maxDoublings`), capped at `maxDelay`; with `jitter`, a random point between half and all of that.

@example
```
const delay = exponentialBackoff({initialDelay: 500, maxDelay: 30_000, jitter: true});
delay(0); //=> between 250 and 500
delay(3); //=> between 2000 and 4000
```
*/
export function exponentialBackoff(options: BackoffOptions): (failures: number) => number {
	const {
		initialDelay, maxDelay, maxDoublings = 30, jitter = false, random = Math.random,
	} = options;
	if (!Number.isFinite(initialDelay) || initialDelay < 0) {
		throw new TypeError(`Expected \`initialDelay\` to be a number ≥ 0, got \`${initialDelay}\``);
	}

	if (!(maxDelay >= initialDelay)) {
		throw new TypeError(`Expected \`maxDelay\` to be a number ≥ \`initialDelay\` (${initialDelay}), got \`${maxDelay}\``);
	}

	return failures => {
		const nominal = Math.min(maxDelay, initialDelay * (2 ** Math.min(Math.max(0, failures), maxDoublings)));
		return jitter ? (nominal / 2) + (random() * nominal / 2) : nominal;
	};
}
