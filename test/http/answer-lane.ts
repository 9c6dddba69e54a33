import test from 'ava';
import {AnswerLane, maxConcurrentAnswers, maxWaitingAnswers} from '../../source/http/answer-lane.js';
import {createLogger} from '../../source/logger.js';
import type {Message} from '../../source/types.js';

const answer = (id: number): Message => ({jsonrpc: '2.0', id, result: {}});

test('the answer lane POSTs a few at once, the rest in order as they finish; beyond its bound it drops and says so', async t => {
	const logged: string[] = [];
	const started: number[] = [];
	const finish: Array<() => void> = [];
	const lane = new AnswerLane(async message => {
		started.push((message as {id: number}).id);
		await new Promise<void>(resolve => {
			finish.push(resolve);
		});
	}, createLogger({
		write(line) {
			logged.push(line);
		},
	}));
	const total = maxConcurrentAnswers + maxWaitingAnswers + 5;
	for (let id = 0; id < total; id++) {
		lane.send(answer(id));
	}

	t.is(started.length, maxConcurrentAnswers);
	t.is(logged.length, 1);
	t.regex(logged[0]!, /\[E [^\]]*] 10000 messages already wait to be sent to the remote server, which sends requests faster than it takes their answers; dropping the next ones/);
	let idle = false;
	const idlePromise = lane.idle().then(() => {
		idle = true;
	});
	// Finish them one by one (bounded: every message once).
	for (let done = 0; done < total && finish.length > 0; done++) {
		finish.shift()!();
		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => {
			setImmediate(resolve);
		});
	}

	await idlePromise;
	t.true(idle);
	t.deepEqual(started, Array.from({length: maxConcurrentAnswers + maxWaitingAnswers}, (_, id) => id), 'in order, the dropped ones never');
	t.regex(logged.at(-1)!, /\[W [^\]]*] Dropped 5 messages for the remote server while too many waited to be sent/);
});
