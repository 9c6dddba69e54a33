import test, {type ExecutionContext} from 'ava';
import {startFaultProxy, type FaultMode, type FaultOptions} from '../../fixtures/fault-proxy.js';
import {
	assertAccounted,
	Ledger,
	StdioPeer,
	type Answer,
} from '../helpers/accounting.js';
import {
	eventually,
	remoteStats,
	startRemoteProcess,
} from '../helpers/remote.js';

/*
The fault matrix of client mode: the real CLI, a real remote server (fixtures/remote-server.js), and between them a fault injector (fixtures/fault-proxy.js) that resets connections, answers 500 or an HTML 502, cuts a response stream in the middle of an event, or stalls. Whatever it does, every request the local client sends gets exactly one answer naming the cause, the log says what happened, and the next calls succeed once the fault is gone.
*/

const causes = /may or may not have been processed|unreachable|HTTP 500|HTTP 502|ended the response stream before answering|timed out|closed|shutting down/;
const settleBound = 20_000;

const textOf = (answer: Answer | undefined) => (answer?.result as {content?: Array<{text?: string}>} | undefined)?.content?.[0]?.text;

async function setup(t: ExecutionContext, extraArguments: string[] = [], peerOptions: {answerTwice?: boolean} = {}) {
	const remote = await startRemoteProcess(t);
	const faults = await startFaultProxy({target: remote.urls.url});
	t.teardown(async () => faults.close());
	const ledger = new Ledger();
	const peer = new StdioPeer([`${faults.url}/mcp`, '--reconnect-delay', '100ms', '--reconnect-max-delay', '500ms', '--request-timeout', '3s', ...extraArguments], ledger, peerOptions);
	t.teardown(() => {
		peer.kill();
	});
	const initialized = await peer.initialize();
	t.is(initialized?.kind, 'result', 'the peer is initialized');
	return {
		remote, faults, ledger, peer,
	};
}

const echo = (peer: StdioPeer, text: string) => peer.send('tools/call', {name: 'echo', arguments: {text}});

/**
Calls `echo` until one succeeds (bounded): the proxy serves again.
*/
async function recovers(peer: StdioPeer): Promise<boolean> {
	return eventually(async () => {
		const answer = await peer.call('tools/call', {name: 'echo', arguments: {text: 'again'}});
		return textOf(answer) === 'again';
	}, 15_000);
}

const onCall: FaultOptions = {match: '"tools/call"'};

const descriptions: Partial<Record<FaultMode, string>> = {reset: 'resets connections', cut: 'cuts response streams mid-event'};
const describe = (mode: FaultMode) => descriptions[mode] ?? `answers ${mode}`;

for (const [mode, options, expected, log] of [
	['reset', {...onCall, count: 2}, /may or may not have been processed/, /Lost the connection to the remote server \(.*\); reconnecting[\s\S]*Reconnected to the remote server/],
	['http-500', {...onCall, count: 3}, /answered `tools\/call` with HTTP 500 Internal Server Error/, /HTTP 500/],
	['html-502', {...onCall, count: 3}, /answered `tools\/call` with HTTP 502 Bad Gateway: 502 Bad Gateway/, /HTTP 502/],
	['cut', {...onCall, count: 3}, /ended the response stream before answering `tools\/call`/, /ended the response stream before answering/],
] as Array<[FaultMode, FaultOptions, RegExp, RegExp]>) {
	test.serial(`the remote ${describe(mode)}: every request answered, the log says so, then served again`, async t => {
		const {faults, ledger, peer} = await setup(t);
		faults.setFault(mode, options);
		const ids = Array.from({length: 8}, (_, index) => echo(peer, `call ${index}`));
		const answers = await Promise.all(ids.map(async id => ledger.wait(id, settleBound)));
		const failed = answers.filter(answer => answer?.kind === 'error');
		t.true(failed.length > 0, 'the fault hit');
		t.true(failed.some(answer => expected.test(answer?.message ?? '')), `${failed.map(answer => answer?.message).join('; ')}`);
		t.true(await recovers(peer));
		assertAccounted(t, await ledger.settle(settleBound, causes));
		t.regex(peer.stderr, log);

		t.true(peer.stdout.every(line => typeof JSON.parse(line) === 'object'), 'standard output carries only messages');
	});
}

for (const mode of ['stall', 'stall-body'] as const) {
	test.serial(`the remote ${mode === 'stall' ? 'stalls before answering' : 'stalls in the middle of an event'}: calls time out with --request-timeout, their exchanges are closed, then served again`, async t => {
		const {faults, ledger, peer} = await setup(t);
		faults.setFault(mode, onCall);
		const ids = Array.from({length: 6}, (_, index) => echo(peer, `stalled ${index}`));
		const answers = await Promise.all(ids.map(async id => ledger.wait(id, settleBound)));
		for (const answer of answers) {
			t.regex(answer?.message ?? '', /Request timed out: the remote server did not answer `tools\/call` within 3000 ms/);
		}

		// Cancelling a timed-out request ends its HTTP exchange: the stalls do not pile up connections.
		t.true(await eventually(() => faults.stalled === 0, 10_000), `${faults.stalled} stalled exchanges are still open`);
		faults.setFault('pass');
		t.true(await recovers(peer));
		assertAccounted(t, await ledger.settle(settleBound, causes));
	});
}

test.serial('a remote and a client that answer requests never sent, and answer twice: each request answered once, nothing else delivered, every drop logged', async t => {
	const {faults, ledger, peer} = await setup(t, [], {answerTwice: true});
	faults.setFault('stray', {match: '"name":"echo"'});
	const ids = Array.from({length: 8}, (_, index) => echo(peer, `call ${index}`));
	const answers = await Promise.all(ids.map(async id => ledger.wait(id, settleBound)));
	t.deepEqual(answers.map(answer => textOf(answer)), ids.map((_, index) => `call ${index}`));
	t.is(faults.stats.byMode.stray, 8, 'the remote answered each call with a stray and twice');
	// The client answers a request the remote never sent, and each request the remote sends twice (\`sample\` sends one).
	peer.write({jsonrpc: '2.0', id: 'never-asked', result: {}});
	const sampled = await peer.call('tools/call', {name: 'sample', arguments: {prompt: 'p'}});
	t.truthy(sampled, 'the call that made the remote ask the client is answered');
	assertAccounted(t, await ledger.settle(settleBound, causes));
	// The log lines come on another pipe than the answers.
	const drops = [
		/\[W [^\]]*] Dropped an answer from the remote server to request "stray-\d+": the client sent no such request, or it was answered already/,
		/\[W [^\]]*] Dropped an answer from the remote server to request "c-\d+": /,
		/\[W [^\]]*] Dropped an answer from the client to request "never-asked": the remote server sent no such request, or it was answered already/,
		/\[W [^\]]*] Dropped an answer from the client to request \d+: /,
	];
	t.true(await eventually(() => drops.every(pattern => pattern.test(peer.stderr))), `${peer.stderr}`);
	// What reached the remote: one answer to its request, nothing to the one it never sent.
	t.false('never-asked' in faults.stats.answers);
	const counts = Object.values(faults.stats.answers);
	t.true(counts.length > 0 && counts.every(count => count === 1), `${JSON.stringify(faults.stats.answers)}`);
	t.true(peer.stdout.every(line => typeof JSON.parse(line) === 'object'), 'standard output carries only messages');
});

test.serial('the remote killed with calls in flight and restarted on its port: every call answered, then served again', async t => {
	const {remote, ledger, peer} = await setup(t);
	const ids = Array.from({length: 4}, () => peer.send('tools/call', {name: 'slow', arguments: {ms: 20_000}}));
	t.true(await eventually(async () => {
		const stats = await remoteStats(remote.urls);
		return stats.sessions === 1;
	}));
	await new Promise(resolve => {
		setTimeout(resolve, 300);
	});
	await remote.stop();
	const answers = await Promise.all(ids.map(async id => ledger.wait(id, settleBound)));
	for (const answer of answers) {
		t.is(answer?.kind, 'error');
	}

	const again = await startRemoteProcess(t, ['--port', String(remote.urls.port)]);
	t.true(await recovers(peer));
	assertAccounted(t, await ledger.settle(settleBound, causes));
	t.regex(peer.stderr, /Reconnected to the remote server/);
	const stats = await remoteStats(again.urls);
	t.true(stats.initializeRequests >= 1);
});

test.serial('the local client vanishes (standard input closes) with calls in flight: the session is deleted and the proxy exits 0 promptly', async t => {
	const {remote, peer} = await setup(t);
	for (let index = 0; index < 3; index++) {
		peer.send('tools/call', {name: 'slow', arguments: {ms: 20_000}});
	}

	t.true(await eventually(async () => {
		const stats = await remoteStats(remote.urls);
		return stats.sessions === 1;
	}));
	const started = Date.now();
	peer.child.stdin.end();
	const {exitCode} = await peer.child;
	t.is(exitCode, 0);
	t.true(Date.now() - started < 10_000, 'it exits within the shutdown bound');
	const stats = await remoteStats(remote.urls);
	t.is(stats.deleteRequests, 1);
});
