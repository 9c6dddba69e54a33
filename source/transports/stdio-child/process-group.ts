import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';

/*
Children run as leaders of their own process group (spawned `detached`), so a signal to the group reaches every grandchild too (`npx` → `node`, `uvx` → `python`, `docker run` …). The groups still alive when this process exits are killed, so no grandchild is orphaned even on an abrupt exit.
*/

const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function registerGroup(pid: number): void {
	liveGroups.add(pid);
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		process.once('exit', () => {
			for (const group of liveGroups) {
				signalGroup(group, 'SIGKILL');
			}
		});
	}
}

export function unregisterGroup(pid: number): void {
	liveGroups.delete(pid);
}

/**
The process groups this process started and has not seen end.
*/
export function liveProcessGroups(): number[] {
	return [...liveGroups];
}

/**
Send a signal to a whole process group. Returns false when the group no longer exists.
*/
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
	try {
		process.kill(-pid, signal);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
			return false;
		}

		// EPERM: the group exists but is not ours to signal (a setuid grandchild).
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/**
Wait until the group is empty, polling, for at most `ms`. Returns whether it emptied.
*/
export async function waitForGroupExit(pid: number, ms: number): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (signalGroup(pid, 0)) {
		if (Date.now() >= deadline) {
			return false;
		}

		// eslint-disable-next-line no-await-in-loop
		await delay(25);
	}

	return true;
}

/**
Make sure nothing of the group survives: SIGTERM, wait, SIGKILL.
*/
export async function reapGroup(pid: number, graceMs: number): Promise<void> {
	if (signalGroup(pid, 'SIGTERM') && !await waitForGroupExit(pid, graceMs)) {
		signalGroup(pid, 'SIGKILL');
		await waitForGroupExit(pid, 1000);
	}

	unregisterGroup(pid);
}
