import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';

export function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/**
Wait until `pid` is gone, up to `ms`. Returns whether it went.
*/
export async function waitForExit(pid: number, ms: number): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (!isAlive(pid)) {
			return true;
		}

		// eslint-disable-next-line no-await-in-loop
		await delay(20);
	}

	return !isAlive(pid);
}
