import test from 'ava';
import {
	countByServer, createTableState, step, type TableEffect, type TableLimits, type TableState,
} from '../../../source/listeners/session-table/step.js';
import type {SessionRecord} from '../../../source/listeners/sessions/index.js';
import {registerExchange} from '../../../source/listeners/sessions/streamable/route.js';
import {handle, legacy, streamable} from '../../helpers/listener-records.js';

/*
The session table's step as tables: a state and events in, effects and the state out. No sockets, no timers: time is the `now` of the events.
*/

const limits: TableLimits = {
	maxSessions: 3, maxSessionsPerClient: 2, sessionTimeout: 1000, handshakeTimeout: 400,
};

/**
What the effects say, in short: `end s1 (idle)`, `forgotten s1 (idle), 2 left`, `refuse 429: …`, `arm 100`, `disarm`.
*/
function show(effects: readonly TableEffect[]): string[] {
	return effects.map(effect => describe(effect));
}

function describe(effect: TableEffect): string {
	switch (effect.type) {
		case 'end': {
			return `end ${effect.session.id} (${effect.reason})`;
		}

		case 'forgotten': {
			return `forgotten ${effect.session.id} (${effect.reason}), ${effect.left} left`;
		}

		case 'refuse': {
			return `refuse ${effect.refusal.status}: ${effect.refusal.message}`;
		}

		case 'arm': {
			return `arm ${effect.interval}`;
		}

		case 'disarm': {
			return 'disarm';
		}
	}
}

/**
A table holding `sessions` (id, client address, whether initialized), all active at time 0.
*/
function tableWith(sessions: Array<[SessionRecord, string]>, tableLimits = limits): TableState {
	const state = createTableState(tableLimits);
	for (const [session, client] of sessions) {
		step(state, {type: 'add', session, client});
		step(state, {type: 'touch', session, now: 0});
	}

	return state;
}

function initialized<T extends SessionRecord>(record: T): T {
	record.initialized = true;
	return record;
}

test('add: counted in all and per address; the reap timer starts with the first, every quarter of the shortest timeout', t => {
	const state = createTableState(limits);
	const a = streamable('a');
	t.deepEqual(show(step(state, {type: 'add', session: a, client: '10.0.0.1'})), ['arm 100']);
	t.deepEqual(show(step(state, {type: 'add', session: initialized(streamable('b')), client: '10.0.0.1'})), []);
	t.is(state.sessions.size, 2);
	t.is(state.perClient.get('10.0.0.1'), 2);
	t.is(a.client, '10.0.0.1');
	t.deepEqual([...state.halfOpen].map(session => session.id), ['a'], 'only the session that has not completed initialization is half-open');
	t.deepEqual(show(step(createTableState({...limits, sessionTimeout: 100, handshakeTimeout: 100}), {type: 'add', session: streamable('c'), client: ''})), ['arm 50'], 'at least 50 ms');
	const hours = 10 * 60 * 60 * 1000;
	t.deepEqual(show(step(createTableState({...limits, sessionTimeout: hours, handshakeTimeout: hours}), {type: 'add', session: streamable('d'), client: ''})), ['arm 30000'], 'at most 30 s');
});

test('admit: within the limits nothing happens', t => {
	const state = tableWith([[initialized(streamable('a')), 'x']]);
	t.deepEqual(show(step(state, {type: 'admit', client: 'x'})), []);
});

test('admit: an address at its limit makes room by ending its oldest half-open session that waits for nothing', t => {
	const waiting = streamable('waiting');
	registerExchange(waiting, handle('response'), [{jsonrpc: '2.0', id: 1, method: 'initialize'}], false);
	const quiet = streamable('quiet');
	const other = streamable('other');
	const state = tableWith([[waiting, 'x'], [other, 'y'], [quiet, 'x']], {...limits, maxSessions: 10});
	t.deepEqual(show(step(state, {type: 'admit', client: 'x'})), [
		'end quiet (uninitialized)',
		'forgotten quiet (uninitialized), 2 left',
	], 'not the one waiting for its answer, not another address\'s');
	t.false(state.sessions.has('quiet'), 'it left the table at once');
	t.is(state.perClient.get('x'), 1);
});

/**
A completed session in use: its GET stream is open.
*/
function streaming(id: string): SessionRecord {
	const record = initialized(streamable(id));
	record.standalone = {sse: handle('sse'), stream: 1};
	return record;
}

test('admit: an address at its limit with nothing to evict (every session in use) is refused 429, naming the limit and its setting', t => {
	const state = tableWith([[streaming('a'), 'x'], [initialized(legacy('b')), 'x']], {...limits, settingNames: {maxSessionsPerClient: '--max-sessions-per-client'}});
	const effects = step(state, {type: 'admit', client: 'x'});
	const refusal = 'refuse 429: Too many sessions from one client address: it has 2 open, the limit per address (--max-sessions-per-client)';
	t.deepEqual(show(effects), [`${refusal}; end unused sessions (DELETE) or try again later`]);
	t.like(effects[0], {refusal: {code: -32_004, headers: {'Retry-After': '5'}}});
	t.deepEqual(show(step(state, {type: 'admit', client: 'y'})), [], 'another address is not affected');
});

test('admit: the whole table full makes room with the oldest half-open session of any address, else 503 naming the option', t => {
	const state = tableWith([[initialized(streamable('a')), 'x'], [streamable('b'), 'y'], [initialized(streamable('c')), 'z']]);
	t.deepEqual(show(step(state, {type: 'admit', client: 'w'})), ['end b (uninitialized)', 'forgotten b (uninitialized), 2 left']);
	step(state, {type: 'add', session: initialized(streamable('d')), client: 'w'});
	t.deepEqual(show(step(state, {type: 'admit', client: 'w'})), ['refuse 503: Too many sessions: 3 are open, the proxy\'s limit (the `maxSessions` option); try again later']);
});

test('admit: an address at its limit with no half-open session ends its least recently active idle one; sessions in use and other addresses\' are kept', t => {
	const used = streaming('used');
	const older = initialized(streamable('older'));
	const newer = initialized(streamable('newer'));
	const waiting = initialized(streamable('waiting'));
	registerExchange(waiting, handle('response'), [{jsonrpc: '2.0', id: 1, method: 'tools/call'}], false);
	const elsewhere = initialized(streamable('elsewhere'));
	const state = tableWith([[used, 'x'], [newer, 'x'], [older, 'x'], [waiting, 'x'], [elsewhere, 'y']], {...limits, maxSessions: 10, maxSessionsPerClient: 4});
	step(state, {type: 'touch', session: newer, now: 50});
	step(state, {type: 'touch', session: older, now: 20});
	step(state, {type: 'touch', session: elsewhere, now: 1});
	const effects = step(state, {type: 'admit', client: 'x'});
	t.deepEqual(show(effects), ['end older (idle)', 'forgotten older (idle), 4 left'], 'the least recently active idle session of that address');
	t.regex((effects[0] as TableEffect & {type: 'end'}).why!, /least recently active idle session of its client address/);
	t.is(state.perClient.get('x'), 3);
	step(state, {type: 'add', session: initialized(streamable('new')), client: 'x'});
	t.deepEqual(show(step(state, {type: 'admit', client: 'x'})), ['end newer (idle)', 'forgotten newer (idle), 4 left']);
	step(state, {type: 'touch', session: state.sessions.get('new')!, now: 60});
	step(state, {type: 'add', session: initialized(streamable('newest')), client: 'x'});
	step(state, {type: 'touch', session: state.sessions.get('newest')!, now: 70});
	t.deepEqual(show(step(state, {type: 'admit', client: 'x'})), ['end new (idle)', 'forgotten new (idle), 4 left']);
	t.true(state.sessions.has('used') && state.sessions.has('waiting') && state.sessions.has('elsewhere'), 'a session with a stream, one waiting for an answer, another address\'s: never taken');
});

test('admit: a half-open session seen initialized since is no longer a candidate', t => {
	const late = streamable('late');
	const state = tableWith([[late, 'x'], [streaming('b'), 'x']]);
	late.initialized = true;
	late.standalone = {sse: handle('sse'), stream: 1};
	const refusal = 'refuse 429: Too many sessions from one client address: it has 2 open, the limit per address (the `maxSessionsPerClient` option)';
	t.deepEqual(show(step(state, {type: 'admit', client: 'x'})), [`${refusal}; end unused sessions (DELETE) or try again later`]);
	t.is(state.halfOpen.size, 0, 'and it left the half-open list');
});

test('reap: half-open sessions quiet past the handshake timeout and idle sessions past the session timeout end; busy ones stay', t => {
	const halfOpen = streamable('half-open');
	const answering = streamable('answering');
	registerExchange(answering, handle('response'), [{jsonrpc: '2.0', id: 1, method: 'initialize'}], false);
	const idle = initialized(streamable('idle'));
	const streaming = initialized(streamable('streaming'));
	streaming.standalone = {sse: handle('sse'), stream: 1};
	const open = initialized(legacy('open'));
	const closed = initialized(legacy('closed', {open: false}));
	const state = tableWith([[halfOpen, 'x'], [answering, 'x'], [idle, 'x'], [streaming, 'x'], [open, 'x'], [closed, 'x']], {...limits, maxSessionsPerClient: 10});
	t.deepEqual(show(step(state, {type: 'reap', now: 400})), [], 'nothing is past its timeout yet');
	t.deepEqual(show(step(state, {type: 'reap', now: 401})), ['end half-open (uninitialized)', 'forgotten half-open (uninitialized), 5 left']);
	t.deepEqual(show(step(state, {type: 'reap', now: 1001})), [
		'end idle (idle)',
		'forgotten idle (idle), 4 left',
		'end closed (idle)',
		'forgotten closed (idle), 3 left',
	], 'a session waiting for an answer, one with a GET stream and an open legacy stream are not idle');
	step(state, {type: 'touch', session: streaming, now: 1500});
	streaming.standalone = undefined;
	t.deepEqual(show(step(state, {type: 'reap', now: 2001})), [], 'a touch postpones');
	t.deepEqual(show(step(state, {type: 'reap', now: 2501})), ['end streaming (idle)', 'forgotten streaming (idle), 2 left']);
	t.deepEqual([...state.sessions.keys()], ['answering', 'open'], 'a request waits for its answer; a legacy stream is open');
});

test('ended: the table forgets the session; the timer stops with the last; an unknown one is ignored', t => {
	const a = streamable('a');
	const b = streamable('b');
	const state = tableWith([[a, 'x'], [b, 'y']]);
	t.deepEqual(show(step(state, {type: 'ended', session: a, reason: 'deleted'})), ['forgotten a (deleted), 1 left']);
	t.false(state.perClient.has('x'));
	t.deepEqual(show(step(state, {type: 'ended', session: a, reason: 'deleted'})), [], 'a second time: nothing');
	t.deepEqual(show(step(state, {type: 'ended', session: b, reason: 'idle'})), ['forgotten b (idle), 0 left', 'disarm']);
	t.false(state.armed);
});

test('end-all: every session is to end, and the timer stops', t => {
	const state = tableWith([[streamable('a'), 'x'], [legacy('b'), 'y']]);
	t.deepEqual(show(step(state, {type: 'end-all'})), ['end a (listener-closed)', 'end b (listener-closed)', 'disarm']);
	t.is(state.sessions.size, 2, 'each leaves the table as it ends');
});

test('countByServer: sessions per served server, whatever its name', t => {
	const state = tableWith([[streamable('a', {server: '__proto__'}), 'x'], [streamable('b', {server: ''}), 'y'], [legacy('c', {server: '__proto__'}), 'z']]);
	const counts = countByServer(state);
	t.deepEqual(Object.entries(counts), [['__proto__', 2], ['', 1]]);
});
