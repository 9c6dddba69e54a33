// The figures B1…B6: each measures one profile instance for one repetition and returns flat numbers.
import {freemem} from 'node:os';
import {setTimeout as delay} from 'node:timers/promises';
import {treeRss} from './lib/process-tree.js';
import {boundedAll, quantile} from './lib/stats.js';

/** A figure's slice was stopped by the memory guard (the profile "did not survive"). */
export class GuardError extends Error {
	name = 'GuardError';
}

const settleMs = 1000;

/** Time `count` sequential `echo` calls on one session, checking every answer. */
async function timeEchoes(session, count) {
	const times = new Float64Array(count);
	const start = performance.now();
	for (let index = 0; index < count; index++) {
		const text = `m${index}`;
		const before = performance.now();
		// eslint-disable-next-line no-await-in-loop
		const answer = await session.call('echo', {text});
		times[index] = performance.now() - before;
		if (answer !== text) {
			throw new Error(`echo answered ${JSON.stringify(answer).slice(0, 80)} instead of ${text}`);
		}
	}

	const seconds = (performance.now() - start) / 1000;
	const list = [...times];
	return {p50Ms: quantile(list, 0.5), p99Ms: quantile(list, 0.99), callsPerSecond: count / seconds};
}

async function warmUp(session, count) {
	for (let index = 0; index < count; index++) {
		// eslint-disable-next-line no-await-in-loop
		await session.call('echo', {text: 'warm-up'});
	}
}

function checkGuard(instance, guard) {
	const {bytes} = treeRss(instance.pids());
	if (guard.maxTreeRssBytes !== undefined && bytes > guard.maxTreeRssBytes) {
		throw new GuardError(`RSS of the tree passed the ${formatGiB(guard.maxTreeRssBytes)} limit`);
	}

	if (freemem() < guard.minFreeBytes) {
		throw new GuardError(`free memory fell below ${formatGiB(guard.minFreeBytes)}`);
	}

	return bytes;
}

function formatGiB(bytes) {
	return `${(bytes / (1024 ** 3)).toFixed(1)} GiB`;
}

/**
Open `count` sessions with at most `concurrency` opening at once; every session opened is pushed to `sessions`
(so the caller closes them even on failure). The guard is checked every 10 sessions.
*/
async function openSessions({instance, count, concurrency, sessions, guard, timeoutMs}) {
	const start = performance.now();
	await boundedAll(count, concurrency, async index => {
		if (index % 10 === 9) {
			checkGuard(instance, guard);
		}

		sessions.push(await instance.connect({timeoutMs}));
	});
	return performance.now() - start;
}

async function closeAll(sessions) {
	await Promise.all(sessions.splice(0).map(async session => session.close()));
}

/**
`b2Clients` sessions opened with `connect`, warmed up, then `b2Calls` sequential echo calls each, all at once: calls/s
and the median of the sessions' p50.
*/
async function throughput(connect, config) {
	const sessions = [];
	try {
		for (let index = 0; index < config.b2Clients; index++) {
			// eslint-disable-next-line no-await-in-loop
			sessions.push(await connect());
		}

		// Every client warms up as B1's one does: the figure is the steady state of a long-running proxy, not its JIT warm-up.
		await Promise.all(sessions.map(async session => warmUp(session, config.warmup)));
		const start = performance.now();
		const runs = await Promise.all(sessions.map(async session => timeEchoes(session, config.b2Calls)));
		const seconds = (performance.now() - start) / 1000;
		return {
			callsPerSecond: (config.b2Clients * config.b2Calls) / seconds,
			p50Ms: quantile(runs.map(run => run.p50Ms), 0.5),
		};
	} finally {
		await closeAll(sessions);
	}
}

/** Every figure: `group` picks the profiles, `run` measures one repetition of one profile. */
export const figures = [
	{
		id: 'B1',
		group: 'server',
		title: 'server mode latency: 1 client, sequential echo calls over Streamable HTTP',
		async run(instance, config) {
			const session = await instance.connect();
			try {
				await warmUp(session, config.warmup);
				return await timeEchoes(session, config.b1Calls);
			} finally {
				await session.close();
			}
		},
	},
	{
		id: 'B2',
		group: 'server',
		title: 'server mode throughput: concurrent clients, sequential echo calls each (SDK clients, then lean clients)',
		async run(instance, config) {
			const sdk = await throughput(async () => instance.connect(), config);
			const lean = await throughput(async () => instance.connectLean(), config);
			return {
				callsPerSecond: sdk.callsPerSecond, p50Ms: sdk.p50Ms, leanCallsPerSecond: lean.callsPerSecond, leanP50Ms: lean.p50Ms,
			};
		},
	},
	{
		id: 'B3',
		group: 'server',
		title: 'sessions: concurrent sessions held open',
		async run(instance, config, guard) {
			const sessions = [];
			try {
				// One warm-up session first (a lazily spawned shared child is not part of "open all"), ended with DELETE.
				const first = await instance.connect();
				await warmUp(first, 20);
				await first.close();
				// B3 is a fixed count: only the machine's free memory can stop it (not the B6 limit on the tree).
				const openMs = await openSessions({
					instance, count: config.b3Sessions, concurrency: config.b3Sessions, sessions, guard: {minFreeBytes: guard.minFreeBytes}, timeoutMs: config.openTimeoutSeconds * 1000,
				});
				await delay(settleMs);
				const {bytes, processes} = treeRss(instance.pids());
				return {openMs, rssBytes: bytes, processes};
			} finally {
				await closeAll(sessions);
			}
		},
	},
	{
		id: 'B4',
		group: 'client',
		title: 'client mode latency: stdio client → proxy → remote Streamable HTTP, sequential echo calls',
		async run(instance, config) {
			const session = await instance.connect();
			try {
				await warmUp(session, config.warmup);
				return await timeEchoes(session, config.b4Calls);
			} finally {
				await session.close();
			}
		},
	},
	{
		id: 'B5',
		group: 'server',
		title: 'large payloads: sequential `big` results through server mode',
		async run(instance, config) {
			const session = await instance.connect();
			try {
				const bigCall = async () => {
					const text = await session.call('big', {bytes: config.b5Bytes});
					if (text.length !== config.b5Bytes) {
						throw new Error(`big answered ${text.length} bytes instead of ${config.b5Bytes}`);
					}
				};

				await bigCall();
				await bigCall();
				const start = performance.now();
				for (let index = 0; index < config.b5Calls; index++) {
					// eslint-disable-next-line no-await-in-loop
					await bigCall();
				}

				const seconds = (performance.now() - start) / 1000;
				return {mbPerSecond: (config.b5Calls * config.b5Bytes) / 1e6 / seconds};
			} finally {
				await session.close();
			}
		},
	},
	{
		id: 'B6',
		group: 'server',
		title: 'scale curve: S idle sessions open, then sequential calls on one of them and RSS of the tree',
		async run(instance, config, guard) {
			const sessions = [];
			const result = {};
			const points = [];
			let first;
			try {
				for (const target of config.b6Sessions) {
					const missing = target - sessions.length;
					if (points.length >= 2 && missing > 0) {
						// Do not start what cannot fit: project the RSS from the growth per session seen so far.
						const [low, high] = points.slice(-2);
						const perSession = Math.max(0, (high.rssBytes - low.rssBytes) / (high.sessions - low.sessions));
						const projected = high.rssBytes + (perSession * missing);
						if (projected > guard.maxTreeRssBytes) {
							result.stoppedAt = target;
							result.note = `stopped before S=${target}: would need about ${formatGiB(projected)} (limit ${formatGiB(guard.maxTreeRssBytes)})`;
							break;
						}
					}

					try {
						// eslint-disable-next-line no-await-in-loop
						result[`openMs@${target}`] = await openSessions({
							instance, count: missing, concurrency: config.openConcurrency, sessions, guard, timeoutMs: config.openTimeoutSeconds * 1000,
						});
					} catch (error) {
						result.stoppedAt = target;
						result.note = `did not survive S=${target}: ${error.message}`;
						break;
					}

					first ??= sessions[0];
					// eslint-disable-next-line no-await-in-loop
					await delay(settleMs);
					const {bytes} = treeRss(instance.pids());
					// eslint-disable-next-line no-await-in-loop
					await warmUp(first, points.length === 0 ? config.warmup : config.b6Warmup);
					// eslint-disable-next-line no-await-in-loop
					const {p50Ms} = await timeEchoes(first, config.b6Calls);
					result[`rssBytes@${target}`] = bytes;
					result[`p50Ms@${target}`] = p50Ms;
					points.push({sessions: sessions.length, rssBytes: bytes});
				}

				const reached = config.b6Sessions.filter(count => result[`rssBytes@${count}`] !== undefined);
				const low = reached[0];
				const high = reached.at(-1);
				if (high !== undefined && high > low) {
					result.growthBytesPerSession = (result[`rssBytes@${high}`] - result[`rssBytes@${low}`]) / (high - low);
				}

				return result;
			} finally {
				await closeAll(sessions);
			}
		},
	},
];
