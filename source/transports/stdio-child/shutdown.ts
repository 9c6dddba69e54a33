/*
A child's end: knowing when it has exited, and stopping it as the MCP specification says (close its standard input, wait, SIGTERM, wait, SIGKILL), its whole process group with it.
*/
import type {Writable} from 'node:stream';
import {setTimeout as delay} from 'node:timers/promises';
import type {Logger} from '../../logger.js';
import {reapGroup, signalGroup} from './process-group.js';

export type ChildExit = {
	readonly exited: boolean;
	/**
	The child has exited: every waiter wakes.
	*/
	exit(): void;
	/**
	True once the child has exited, false if it has not after `ms` milliseconds.
	*/
	within(ms: number): Promise<boolean>;
};

export function childExit(): ChildExit {
	let exited = false;
	let waiters: Array<() => void> = [];
	return {
		get exited() {
			return exited;
		},
		exit() {
			exited = true;
			for (const wake of waiters) {
				wake();
			}

			waiters = [];
		},
		async within(ms) {
			if (exited) {
				return true;
			}

			const controller = new AbortController();
			const exitPromise = new Promise<boolean>(resolve => {
				waiters.push(() => {
					resolve(true);
				});
			});
			const timeout = delay(ms, false, {signal: controller.signal}).catch(() => false);
			const result = await Promise.race([exitPromise, timeout]);
			controller.abort();
			return result;
		},
	};
}

export type StopChildOptions = {
	pid: number;
	stdin: Writable;
	exit: ChildExit;
	/**
	Resolves once the messages queued for the child were written: they reach it before its input closes.
	*/
	flushed: () => Promise<void>;
	/**
	How long each step waits.
	*/
	timeout: number;
	logger: Logger;
	label: string;
};

/**
Stop a child still running: let queued messages reach it, close its standard input, then SIGTERM and SIGKILL its process group, each after `timeout` without an exit; then reap the group (grandchildren too).
*/
export async function stopChild(options: StopChildOptions): Promise<void> {
	const {
		pid, stdin, exit, flushed, timeout, logger, label,
	} = options;
	if (!exit.exited) {
		await Promise.race([flushed(), delay(timeout)]);
		stdin.end();
		if (!await exit.within(timeout)) {
			logger.debug(`${label}: did not exit after its standard input closed; sending SIGTERM`);
			signalGroup(pid, 'SIGTERM');
			if (!await exit.within(timeout)) {
				logger.warning(`${label}: did not exit after SIGTERM; sending SIGKILL`);
				signalGroup(pid, 'SIGKILL');
				await exit.within(timeout);
			}
		}
	}

	await reapGroup(pid, timeout);
}
