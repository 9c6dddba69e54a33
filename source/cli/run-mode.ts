import {
	concat, firstValueFrom, merge, of, type Observable,
} from 'rxjs';
import {describeError} from '../errors.js';
import type {Logger} from '../logger.js';

/*
A mode run as a process: subscribe it along with the codes the shutdown forces, and resolve with the exit code. The mode is unsubscribed (cleaned up) once the code is known. Tested through the built bin by the mode tests (test/modes/, test/reliability/shutdown.ts), which check every exit code.
*/

/**
The exit code of a mode's run: 0 when the mode completes, 1 when it fails (logged as critical), or the first code `forced$` emits (a second signal, a deadline that passed).
*/
export async function runMode(mode$: Observable<never>, forced$: Observable<number>, logger: Logger): Promise<number> {
	try {
		return await firstValueFrom(merge(concat(mode$, of(0)), forced$));
	} catch (error) {
		logger.critical(describeError(error));
		return 1;
	}
}
