import process from 'node:process';
import test from 'ava';
import {
	assertAccounted,
	descendants,
	HttpPeer,
	isRunning,
	Ledger,
	SsePeer,
	StdioPeer,
} from '../helpers/accounting.js';
import {fixture} from '../helpers/fixtures.js';
import {eventually, remoteStats, startRemoteProcess} from '../helpers/remote.js';
import {startServerMode} from '../helpers/server-mode.js';

/*
SIGTERM with calls in flight: every call is answered (finished or failed with a reason), sessions close, every child's process group is killed, and the proxy exits 0 within a bounded time. The process tree is read from /proc before and after: nothing the proxy started survives it.
*/

const faultyServer = fixture('faulty-server.js');
const stubbornServer = fixture('stubborn-server.js');
const causes = /shutting down|closed/;
/**
Generous: the stubborn child alone takes two shutdown steps of 2 s before SIGKILL.
*/
const exitBound = 20_000;

for (const isolate of [false, true]) {
	test.serial(`server mode${isolate ? ' with --isolate-sessions' : ''}: SIGTERM answers the calls in flight, kills every child group (a stubborn one too) and exits 0`, async t => {
		const proxy = await startServerMode(t, [
			...(isolate ? ['--isolate-sessions'] : []),
			'--named-server',
			'stubborn',
			`${process.execPath} ${stubbornServer}`,
			'--',
			process.execPath,
			faultyServer,
		]);
		const ledger = new Ledger();
		const peers = [new HttpPeer(`${proxy.base}/mcp`, ledger), new HttpPeer(`${proxy.base}/mcp`, ledger), new SsePeer(proxy.base, ledger)];
		for (const answer of await Promise.all(peers.map(async peer => peer.initialize()))) {
			t.is(answer?.kind, 'result');
		}

		const calls = peers.flatMap(peer => [1, 2].map(async () => peer.call('tools/call', {name: 'slow', arguments: {ms: 60_000}})));
		if (isolate) {
			// A session of its own starts the stubborn server, which never answers its initialize.
			calls.push(new HttpPeer(`${proxy.base}/servers/stubborn/mcp`, ledger).initialize());
		}

		const pid = proxy.process.pid!;
		// The default server's children (one, or one per session), the stubborn one and its grandchild.
		const expected = isolate ? 3 + 2 : 1 + 2;
		t.true(await eventually(() => descendants(pid).length >= expected, 10_000), 'every child started');
		await new Promise(resolve => {
			setTimeout(resolve, 300);
		});
		const before = descendants(pid);
		t.log('process tree before SIGTERM:', before);
		const started = Date.now();
		// Not through execa, which would SIGKILL it after 5 s.
		process.kill(pid, 'SIGTERM');
		const {exitCode} = await proxy.process;
		const took = Date.now() - started;
		t.is(exitCode, 0);
		t.true(took < exitBound, `it exited within ${exitBound} ms (took ${took} ms)`);
		await Promise.all(calls);
		assertAccounted(t, await ledger.settle(5000, causes));
		t.true(await eventually(() => before.every(child => !isRunning(child)), 5000), 'no child, grandchild or orphan is left');
		t.regex(proxy.stderr(), /SIGTERM: shutting down/);
	});
}

test.serial('client mode: SIGTERM answers the calls in flight on standard output before it closes, deletes the session and exits 0', async t => {
	const {urls} = await startRemoteProcess(t);
	const ledger = new Ledger();
	const peer = new StdioPeer([urls.mcp], ledger);
	t.teardown(() => {
		peer.kill();
	});
	const initialized = await peer.initialize();
	t.is(initialized?.kind, 'result');
	const ids = [1, 2, 3].map(() => peer.send('tools/call', {name: 'slow', arguments: {ms: 60_000}}));
	t.true(await eventually(async () => {
		const stats = await remoteStats(urls);
		return stats.sessions === 1;
	}));
	await new Promise(resolve => {
		setTimeout(resolve, 300);
	});
	const started = Date.now();
	process.kill(peer.child.pid!, 'SIGTERM');
	const {exitCode} = await peer.child;
	t.is(exitCode, 0);
	t.true(Date.now() - started < 10_000, 'it exits within the shutdown bound');
	// The answers were on standard output before it closed.
	const answers = await Promise.all(ids.map(async id => ledger.wait(id, 0)));
	for (const answer of answers) {
		t.regex(answer?.message ?? '', /The connection to the remote server closed \(while waiting for the answer to `tools\/call`\)/);
	}

	assertAccounted(t, await ledger.settle(0, causes));
	const stats = await remoteStats(urls);
	t.is(stats.deleteRequests, 1);
	t.deepEqual(descendants(peer.child.pid!), []);
});
