import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import test, {type ExecutionContext} from 'ava';
import {
	assertAccounted,
	HttpPeer,
	isRunning,
	Ledger,
	SsePeer,
	type Answer,
} from '../helpers/accounting.js';
import {fixture} from '../helpers/fixtures.js';
import {eventually} from '../helpers/remote.js';
import {startServerMode, type RunningProxy} from '../helpers/server-mode.js';

/*
The fault matrix of server mode, against the real CLI and real children: whatever happens to the child or to a client, every request that entered the proxy gets exactly one answer naming the cause, /status and the log tell the truth, and the proxy recovers once the fault is gone.
*/

const faultyServer = fixture('faulty-server.js');
const causes = /killed by SIGKILL|exited|closed|timed out|did not answer|not available|not valid JSON|invalid response|Session not found|shutting down/;
const settleBound = 20_000;

type Peer = HttpPeer | SsePeer;

async function connectPeers(proxy: RunningProxy, ledger: Ledger, counts: {http: number; sse: number}, path = ''): Promise<Peer[]> {
	const peers: Peer[] = [
		...Array.from({length: counts.http}, () => new HttpPeer(`${proxy.base}${path}/mcp`, ledger)),
		...Array.from({length: counts.sse}, () => new SsePeer(proxy.base, ledger, `${path}/sse`)),
	];
	const answers = await Promise.all(peers.map(async peer => peer.initialize()));
	for (const answer of answers) {
		if (answer?.kind !== 'result') {
			throw new Error(`a peer could not initialize: ${JSON.stringify(answer)}`);
		}
	}

	return peers;
}

const call = async (peer: Peer, name: string, parameters: Record<string, unknown> = {}) => peer.call('tools/call', {name, arguments: parameters});

const textOf = (answer: Answer | undefined) => (answer?.result as {content?: Array<{text?: string}>} | undefined)?.content?.[0]?.text;

type ServerStatus = {
	statusCode: number;
	state: string;
	pid?: number;
	restarts: number;
	sessions: number;
	inFlight?: number;
	lastError?: string;
};

const defaultServer = async (proxy: RunningProxy): Promise<ServerStatus> => {
	const {statusCode, body} = await proxy.status();
	return {statusCode, ...body.servers.default};
};

/**
Poll /status until the default server's entry satisfies `check` (bounded).
*/
const until = async (proxy: RunningProxy, check: (status: ServerStatus) => boolean, ms = 10_000) => eventually(async () => check(await defaultServer(proxy)), ms);

/**
Every peer calls `echo` once more: the proxy serves again.
*/
async function assertServing(t: ExecutionContext, peers: Peer[], label: string): Promise<void> {
	const answers = await Promise.all(peers.map(async (peer, index) => call(peer, 'echo', {text: `${label} ${index}`})));
	t.deepEqual(answers.map(answer => textOf(answer)), peers.map((_, index) => `${label} ${index}`), `${label}: every peer is served again`);
}

test.serial('multiplexed: the child SIGKILLed with calls in flight; every call answered, /status says restarting then running, the next calls succeed', async t => {
	const proxy = await startServerMode(t, ['--restart-delay', '1s', '--request-timeout', '8s', '--', process.execPath, faultyServer]);
	const ledger = new Ledger();
	const peers = await connectPeers(proxy, ledger, {http: 3, sse: 1});
	const before = await defaultServer(proxy);
	t.like(before, {
		statusCode: 200, state: 'running', restarts: 0, sessions: 4,
	});
	const slow = peers.flatMap(peer => [1, 2, 3].map(async () => call(peer, 'slow', {ms: 30_000})));
	const quick = peers.flatMap(peer => [1, 2, 3].map(async (index: number) => call(peer, 'echo', {text: `before ${index}`})));
	t.true(await until(proxy, status => status.inFlight === 12, 10_000), 'the slow calls reached the child');
	process.kill(before.pid!, 'SIGKILL');

	t.true(await until(proxy, status => status.state === 'restarting', 5000));
	const during = await defaultServer(proxy);
	t.is(during.statusCode, 503, 'the default server down: /status is 503');
	t.is(during.pid, undefined, 'no pid while no child runs');
	t.regex(during.lastError ?? '', /killed by SIGKILL/);
	// Calls made while the child restarts wait for it.
	const waiting = peers.map(async (peer, index) => call(peer, 'echo', {text: `during ${index}`}));
	const slowAnswers = await Promise.all(slow);
	for (const answer of slowAnswers) {
		t.regex(answer?.message ?? '', /killed by SIGKILL.*\(while handling `tools\/call`\); it is being restarted/);
	}

	const waited = await Promise.all(waiting);
	t.deepEqual(waited.map(answer => textOf(answer)), peers.map((_, index) => `during ${index}`));
	await Promise.all(quick);
	assertAccounted(t, await ledger.settle(settleBound, causes));

	const after = await defaultServer(proxy);
	t.like(after, {
		statusCode: 200, state: 'running', restarts: 1, inFlight: 0, sessions: 4,
	});
	t.not(after.pid, before.pid);
	t.true(isRunning(after.pid!));
	t.false(isRunning(before.pid!));
	await assertServing(t, peers, 'after');
	t.true(await proxy.logged(/killed by SIGKILL.*; restarting in \d+ ms/), `${proxy.stderr()}`);
	t.true(await proxy.logged(/The server is running again \(restart 1\)/), `${proxy.stderr()}`);
});

for (const code of [0, 3]) {
	test.serial(`multiplexed: the child exits on its own (code ${code}) with calls in flight; every call answered, the proxy restarts it`, async t => {
		const proxy = await startServerMode(t, ['--restart-delay', '200ms', '--request-timeout', '8s', '--', process.execPath, faultyServer]);
		const ledger = new Ledger();
		const peers = await connectPeers(proxy, ledger, {http: 2, sse: 1});
		const {pid} = await defaultServer(proxy);
		const slow = peers.map(async peer => call(peer, 'slow', {ms: 30_000}));
		t.true(await until(proxy, status => status.inFlight === 3, 10_000));
		const exit = await call(peers[0]!, 'exit', {code, ms: 50});
		t.regex(exit?.message ?? '', code === 0 ? /The server closed \(while handling `tools\/call`\)/ : /exited with code 3/);
		for (const answer of await Promise.all(slow)) {
			t.is(answer?.kind, 'error');
		}

		assertAccounted(t, await ledger.settle(settleBound, causes));
		t.true(await until(proxy, status => status.state === 'running' && status.pid !== pid));
		const after = await defaultServer(proxy);
		t.like(after, {statusCode: 200, restarts: 1});
		t.regex(after.lastError ?? '', code === 0 ? /it exited/ : /exited with code 3/);
		await assertServing(t, peers, 'after');
		t.true(await proxy.logged(code === 0 ? /exited with code 0/ : /exited with code 3/), `${proxy.stderr()}`);
	});
}

test.serial('multiplexed: the child writes half a line and hangs; the stuck call times out, the answer glued to the half line is kept, and it serves again', async t => {
	const proxy = await startServerMode(t, ['--request-timeout', '2s', '--', process.execPath, faultyServer]);
	const ledger = new Ledger();
	const peers = await connectPeers(proxy, ledger, {http: 3, sse: 1});
	const {pid} = await defaultServer(proxy);
	const stuck = call(peers[0]!, 'half-line', {ms: 3500});
	await delay(200);
	const others = peers.flatMap(peer => [1, 2].map(async index => call(peer, 'echo', {text: `glued ${index}`})));
	const stuckAnswer = await stuck;
	t.regex(stuckAnswer?.message ?? '', /did not answer `tools\/call` within 2000 ms/);
	// The answer written right after the half line is glued to it: the proxy finds it at the end of that line.
	const glued = await Promise.all(others);
	t.deepEqual(glued.map(answer => textOf(answer)), peers.flatMap(() => ['glued 1', 'glued 2']));
	const summary = await ledger.settle(settleBound, causes);
	assertAccounted(t, summary);
	t.is(summary.errors, 1, 'only the stuck call failed');
	// The child is alive and was never restarted: /status says so.
	t.like(await defaultServer(proxy), {
		statusCode: 200, state: 'running', pid, restarts: 0,
	});
	await delay(1500);
	await assertServing(t, peers, 'after');
	t.true(await proxy.logged(/skipped 22 characters that are not JSON before a message on the same line/), `${proxy.stderr()}`);
});

test.serial('multiplexed: junk lines and bytes that are not UTF-8 from the child are skipped; every call gets its real answer', async t => {
	const proxy = await startServerMode(t, ['--request-timeout', '5s', '--', process.execPath, faultyServer]);
	const ledger = new Ledger();
	const peers = await connectPeers(proxy, ledger, {http: 2, sse: 1});
	const answers = await Promise.all(peers.flatMap(peer => [
		call(peer, 'garbage', {ms: 100}),
		call(peer, 'echo', {text: 'next to junk'}),
	]));
	t.deepEqual(answers.map(answer => textOf(answer)), peers.flatMap(() => ['garbage, then 100 ms', 'next to junk']));
	const summary = await ledger.settle(settleBound, causes);
	assertAccounted(t, summary);
	t.is(summary.errors, 0);
	t.like(await defaultServer(proxy), {state: 'running', restarts: 0});
	t.true(await proxy.logged(/skipped a line that is not JSON/), `${proxy.stderr()}`);
	t.true(await proxy.logged(/skipped a message that is not JSON-RPC 2\.0/), `${proxy.stderr()}`);
});

test.serial('multiplexed: a child that never answers initialize is restarted after --startup-timeout; clients get errors that say so until it behaves', async t => {
	const state = path.join(mkdtempSync(path.join(os.tmpdir(), 'rx-mcp-proxy-faulty-')), 'starts');
	const proxy = await startServerMode(t, [
		'--startup-timeout', '1s', '--restart-delay', '100ms', '--request-timeout', '6s', '--', process.execPath, faultyServer, '--silent-starts', '2', '--state', state,
	]);
	const ledger = new Ledger();
	const early = await defaultServer(proxy);
	t.is(early.statusCode, 503);
	t.regex(early.state, /^(?:starting|failed|restarting)$/);
	// Sessions opened now wait for the server, then are told it is not available.
	const waiting = [new HttpPeer(`${proxy.base}/mcp`, ledger), new HttpPeer(`${proxy.base}/mcp`, ledger)];
	const refused = await Promise.all(waiting.map(async peer => peer.initialize()));
	for (const answer of refused) {
		t.regex(answer?.message ?? '', /not available: it did not answer `initialize` within 1000 ms/);
	}

	t.true(await until(proxy, status => status.state === 'running', 15_000), 'it runs once it behaves');
	const after = await defaultServer(proxy);
	t.like(after, {statusCode: 200, restarts: 2});
	t.regex(after.lastError ?? '', /did not answer `initialize` within 1000 ms/);
	const peers = await connectPeers(proxy, ledger, {http: 2, sse: 1});
	await assertServing(t, peers, 'after');
	assertAccounted(t, await ledger.settle(settleBound, causes));
	t.true(await proxy.logged(/did not answer `initialize` within 1000 ms; trying again in \d+ ms/), `${proxy.stderr()}`);
});

test.serial('clients that vanish mid-stream: the proxy cancels or finishes their calls, reaps their sessions, and serves the others', async t => {
	const proxy = await startServerMode(t, ['--session-timeout', '1s', '--', process.execPath, faultyServer]);
	const ledger = new Ledger();
	const [stayer] = await connectPeers(proxy, ledger, {http: 1, sse: 0}) as [HttpPeer];
	const ghosts = new Ledger();
	const streaming = new HttpPeer(`${proxy.base}/mcp`, ghosts);
	await streaming.initialize();
	const legacy = new SsePeer(proxy.base, ghosts);
	await legacy.initialize();
	const opened = await defaultServer(proxy);
	t.is(opened.sessions, 3);
	// One leaves after the first progress event of a long call; the other closes its SSE stream while a call waits.
	let progress = 0;
	const vanished = streaming.call('tools/call', {name: 'progress', arguments: {steps: 40, delayMs: 100}, _meta: {progressToken: 'p'}}, {
		onEvent(message) {
			if (message['method'] === 'notifications/progress') {
				progress++;
				return true;
			}

			return false;
		},
	});
	void legacy.call('tools/call', {name: 'slow', arguments: {ms: 30_000}});
	t.true(await until(proxy, status => status.inFlight === 2, 10_000));
	t.is(await vanished, undefined);
	t.is(progress, 1);
	await legacy.close();
	// The legacy session ends with its stream, and its call is cancelled upstream.
	t.true(await until(proxy, status => status.inFlight === 1, 5000), 'the vanished SSE client\'s call is cancelled');
	await assertServing(t, [stayer], 'meanwhile');
	// The Streamable HTTP session stays (its client may come back) until it is idle for --session-timeout; its call is cancelled then.
	t.true(await eventually(async () => {
		await call(stayer, 'echo', {text: 'keep alive'});
		const status = await defaultServer(proxy);
		return status.sessions === 1 && status.inFlight === 0;
	}, 10_000), 'the abandoned session is reaped and its call cancelled');
	assertAccounted(t, await ledger.settle(settleBound, causes));
	t.like(await defaultServer(proxy), {state: 'running', restarts: 0});
});

for (const isolated of [false, true]) {
	test.serial(`${isolated ? 'isolated' : 'multiplexed'}: a child that answers a request never sent, and answers twice: each call answered once on both faces, every drop logged`, async t => {
		const proxy = await startServerMode(t, [...(isolated ? ['--isolate-sessions'] : []), '--', process.execPath, faultyServer]);
		const ledger = new Ledger();
		const peers = await connectPeers(proxy, ledger, {http: 2, sse: 2});
		t.teardown(async () => Promise.all(peers.map(async peer => peer.close())));
		const answers = await Promise.all(peers.flatMap((peer, index) => [1, 2, 3].map(async round => call(peer, 'twice', {text: `${index}.${round}`}))));
		t.deepEqual(answers.map(answer => textOf(answer)), peers.flatMap((_, index) => [1, 2, 3].map(round => `${index}.${round}`)));
		assertAccounted(t, await ledger.settle(settleBound, causes));
		t.true(await proxy.logged(/\[W [^\]]*] .*[Dd]ropped an answer .*to request "stray"/), `${proxy.stderr()}`);
		t.true(await proxy.logged(/\[W [^\]]*] .*[Dd]ropped an answer .*to request (?!"stray")("[^"]+"|\d+)/), 'the second answers are logged too');
	});
}

test.serial('isolated: a session\'s child SIGKILLed mid-call; its calls are answered, its session ends (404 after), other sessions carry on, a new one works', async t => {
	const proxy = await startServerMode(t, ['--isolate-sessions', '--request-timeout', '8s', '--', process.execPath, faultyServer]);
	const ledger = new Ledger();
	const [victim, bystander] = await connectPeers(proxy, ledger, {http: 2, sse: 0}) as [HttpPeer, HttpPeer];
	const victimPid = Number(textOf(await call(victim, 'whoami')));
	const bystanderPid = Number(textOf(await call(bystander, 'whoami')));
	t.not(victimPid, bystanderPid);
	const slow = [1, 2, 3].map(async () => call(victim, 'slow', {ms: 30_000}));
	const safe = call(bystander, 'slow', {ms: 300});
	await delay(300);
	process.kill(victimPid, 'SIGKILL');
	for (const answer of await Promise.all(slow)) {
		t.regex(answer?.message ?? '', /killed by SIGKILL/);
	}

	t.is(textOf(await safe), 'slept 300 ms');
	t.true(await until(proxy, status => status.sessions === 1, 5000), 'the session ended with its child');
	const gone = await call(victim, 'echo', {text: 'anyone?'});
	t.regex(gone?.message ?? '', /HTTP 404: Session not found/);
	const [newcomer] = await connectPeers(proxy, ledger, {http: 1, sse: 0});
	await assertServing(t, [bystander, newcomer!], 'after');
	assertAccounted(t, await ledger.settle(settleBound, causes));
	const status = await defaultServer(proxy);
	t.like(status, {statusCode: 200, state: 'running', sessions: 2});
	t.regex(status.lastError ?? '', /killed by SIGKILL/);
	t.true(isRunning(bystanderPid));
});
