import {spawn} from 'node:child_process';
import {once} from 'node:events';
import process from 'node:process';
import test from 'ava';
import {createLogger} from '../../../source/logger.js';
import {childExit, stopChild} from '../../../source/transports/stdio-child/shutdown.js';

const logger = createLogger({level: 'silent'});

test('childExit: waiters wake when the child exits, and time out otherwise', async t => {
	const exit = childExit();
	t.false(await exit.within(10));
	const waiting = exit.within(10_000);
	exit.exit();
	t.true(await waiting);
	t.true(exit.exited);
	t.true(await exit.within(0));
});

test('stopChild: a child that exits when its input closes gets no signal; one that ignores it and SIGTERM gets SIGKILL', async t => {
	const polite = spawn(process.execPath, ['-e', 'process.stdin.resume(); process.stdin.on("end", () => process.exit(0))'], {detached: true, stdio: ['pipe', 'ignore', 'ignore']});
	const stubborn = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000); console.log("ready")'], {detached: true, stdio: ['pipe', 'pipe', 'ignore']});
	t.teardown(() => {
		polite.kill('SIGKILL');
		stubborn.kill('SIGKILL');
	});
	// It ignores SIGTERM once it says so.
	await once(stubborn.stdout, 'data');
	const results: Array<NodeJS.Signals | number | undefined> = [];
	for (const child of [polite, stubborn]) {
		const exit = childExit();
		const closed = once(child, 'exit');
		child.once('exit', () => {
			exit.exit();
		});
		// eslint-disable-next-line no-await-in-loop -- one child after the other
		await stopChild({
			pid: child.pid!, stdin: child.stdin, exit, flushed: async () => undefined, timeout: 300, logger, label: 'test child',
		});
		// eslint-disable-next-line no-await-in-loop
		const [code, signal] = await closed;
		results.push((signal ?? code) as NodeJS.Signals | number | undefined);
	}

	t.deepEqual(results, [0, 'SIGKILL']);
});
