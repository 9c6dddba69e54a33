import test from 'ava';
import {defer, type Observable} from 'rxjs';
import {resumeAttempts, type ResumeVerdict} from '../../../source/transports/streamable-http/resume.js';
import {testScheduler} from '../../helpers/marbles.js';

/*
The timing of resumption, in virtual time: each attempt after the wait, at most `maxAttempts`, the first verdict that is not `again` taken, `stop$` ending it. The attempts themselves (GET with Last-Event-ID) are tested against real servers in index.ts.
*/

const verdicts: Record<string, ResumeVerdict> = {a: 'again', d: 'answered', g: 'gave-up'};
const frames = (count: number) => '-'.repeat(count);

/**
An attempt$ that is each of `attempts` in turn.
*/
function inTurn(attempts: Array<Observable<ResumeVerdict>>): Observable<ResumeVerdict> {
	let index = 0;
	return defer(() => attempts[index++]!);
}

test('attempts that break again are repeated after the wait, at most maxAttempts times, then exhausted', t => {
	testScheduler(t).run(({cold, expectObservable, expectSubscriptions}) => {
		const attempt$ = cold('--a|', verdicts);
		expectObservable(resumeAttempts(attempt$, {maxAttempts: 3, wait: () => 10})).toBe(`${frames(39)}(x|)`, {x: 'exhausted'});
		expectSubscriptions(attempt$.subscriptions).toBe([`${frames(10)}^--!`, `${frames(23)}^--!`, `${frames(36)}^--!`]);
	});
});

test('the first verdict that is not `again` ends the attempts, and the wait is read before each (the server\'s retry: may change it)', t => {
	testScheduler(t).run(({cold, expectObservable}) => {
		const waits = [10, 30];
		let attempt = 0;
		const attempt$ = inTurn([cold('--a|', verdicts), cold('--d|', verdicts)]);
		expectObservable(resumeAttempts(attempt$, {maxAttempts: 5, wait: () => waits[attempt++]!})).toBe(`${frames(45)}(x|)`, {x: 'answered'});
	});
	testScheduler(t).run(({cold, expectObservable}) => {
		expectObservable(resumeAttempts(cold('--g|', verdicts), {maxAttempts: 5, wait: () => 10})).toBe(`${frames(12)}(x|)`, {x: 'gave-up'});
	});
});

test('stop$ ends the attempts at once, the one under way included; no attempts at all is exhausted at once', t => {
	testScheduler(t).run(({cold, hot, expectObservable, expectSubscriptions}) => {
		const attempt$ = cold('-----a|', verdicts);
		const stop$ = hot(`${frames(12)}s`);
		expectObservable(resumeAttempts(attempt$, {maxAttempts: 5, wait: () => 10, stop$})).toBe(`${frames(12)}(x|)`, {x: 'exhausted'});
		expectSubscriptions(attempt$.subscriptions).toBe(`${frames(10)}^-!`);
	});
	testScheduler(t).run(({cold, expectObservable}) => {
		expectObservable(resumeAttempts(cold('a|', verdicts), {maxAttempts: 0, wait: () => 10})).toBe('(x|)', {x: 'exhausted'});
	});
});
