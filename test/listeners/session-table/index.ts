import test from 'ava';
import {NEVER} from 'rxjs';
import {createSessionTable} from '../../../source/listeners/session-table/index.js';
import {openedStreamable, quiet, testRuntime} from '../../helpers/listener-records.js';
import {testScheduler} from '../../helpers/marbles.js';

/*
The session table's glue in virtual time: the reap timer runs every quarter of the shortest timeout while there are sessions, ends each at the first tick past its timeout (its transport completes then), and stops with the last session (else the virtual clock would never stop).
*/

test('the reap timer: an idle session ends at the first tick past the session timeout, a touch postpones, a quiet half-open one goes after the handshake timeout', t => {
	t.timeout(10_000);
	const scheduler = testScheduler(t);
	scheduler.run(({expectObservable}) => {
		const table = createSessionTable({
			maxSessions: 10, maxSessionsPerClient: 10, sessionTimeout: 400, handshakeTimeout: 250, logger: quiet, scheduler,
		});
		const runtime = testRuntime((record, reason) => {
			table.ended(record, reason);
		});
		const open = (id: string, initialized: boolean) => {
			const session = openedStreamable(runtime, id);
			session.initialized = initialized;
			table.add(session, '127.0.0.1');
			table.touch(session);
			return session;
		};

		const idle = open('idle', true);
		const touched = open('touched', true);
		const halfOpen = open('half-open', false);
		scheduler.schedule(() => {
			table.touch(touched);
		}, 300);
		// Ticks every 62 ms (a quarter of 250): 62, 124, …
		expectObservable(halfOpen.session.transport(NEVER)).toBe('310ms |');
		expectObservable(idle.session.transport(NEVER)).toBe('434ms |');
		expectObservable(touched.session.transport(NEVER)).toBe('744ms |');
	});
});

test('admit and add through the glue: a refusal comes back, an eviction ends its session', t => {
	const table = createSessionTable({
		maxSessions: 1, maxSessionsPerClient: 10, sessionTimeout: 60_000, handshakeTimeout: 60_000, logger: quiet,
	});
	const runtime = testRuntime((record, reason) => {
		table.ended(record, reason);
	});
	const first = openedStreamable(runtime, 'first');
	table.add(first, 'x');
	t.is(table.admit('y'), undefined, 'the half-open first makes room');
	t.true(first.ended);
	t.is(table.size(), 0);
	const second = openedStreamable(runtime, 'second');
	second.initialized = true;
	table.add(second, 'y');
	t.like(table.admit('z'), {status: 503});
	t.is(table.get('second'), second);
	t.deepEqual(table.countByServer(), {'': 1});
	table.endAll();
	t.true(second.ended);
	t.is(table.size(), 0);
});
