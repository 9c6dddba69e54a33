import test from 'ava';
import fc from 'fast-check';
import {Observable, Subject, type Subscriber} from 'rxjs';
import {guardRequests} from '../../source/operators/guard-requests/index.js';
import {createLogger} from '../../source/logger.js';
import type {Message, RequestId, Transport} from '../../source/types.js';

/*
The accounting invariant of client mode, at the mechanism that owns it: between a client (client mode's stdio client) and a peer (the remote) that misbehaves in any order (answers twice, answers requests never sent, cancels its own requests, ends or fails at any point), and a client that answers the peer's requests twice or answers requests never sent, `guardRequests` lets through exactly one answer per request in each direction, and logs each one it drops.
*/

type Action
	= | {kind: 'request'}
		| {kind: 'cancel'; pick: number}
		| {kind: 'answer'; pick: number; stray: boolean}
		| {kind: 'peerRequest'}
		| {kind: 'peerCancel'; pick: number}
		| {kind: 'clientAnswer'; pick: number; stray: boolean};

const action: fc.Arbitrary<Action> = fc.oneof(
	{weight: 3, arbitrary: fc.constant({kind: 'request' as const})},
	{weight: 1, arbitrary: fc.record({kind: fc.constant('cancel' as const), pick: fc.nat()})},
	{weight: 4, arbitrary: fc.record({kind: fc.constant('answer' as const), pick: fc.nat(), stray: fc.boolean()})},
	{weight: 2, arbitrary: fc.constant({kind: 'peerRequest' as const})},
	{weight: 1, arbitrary: fc.record({kind: fc.constant('peerCancel' as const), pick: fc.nat()})},
	{weight: 3, arbitrary: fc.record({kind: fc.constant('clientAnswer' as const), pick: fc.nat(), stray: fc.boolean()})},
);

const answer = (id: RequestId, from: string): Message => ({jsonrpc: '2.0', id, result: {from}});
const cancelled = (requestId: RequestId): Message => ({jsonrpc: '2.0', method: 'notifications/cancelled', params: {requestId}});

function count<T>(values: T[], value: T): number {
	return values.filter(each => each === value).length;
}

type State = 'waiting' | 'answered' | 'cancelled' | 'late';

/**
Plays the actions on the client and the peer, and keeps what the invariant expects: each request's state, and how many answers must be dropped with a warning.
*/
class Scenario {
	readonly sent: string[] = [];
	readonly state = new Map<RequestId, State>();
	readonly peerSent: number[] = [];
	readonly peerState = new Map<RequestId, State>();
	expectedWarnings = 0;
	private counter = 0;

	private readonly client: Subject<Message>;
	private readonly peer: () => Subscriber<Message>;

	constructor(client: Subject<Message>, peer: () => Subscriber<Message>) {
		this.client = client;
		this.peer = peer;
	}

	play(step: Action): void {
		switch (step.kind) {
			case 'request': {
				const id = `c${++this.counter}`;
				this.sent.push(id);
				this.state.set(id, 'waiting');
				this.client.next({jsonrpc: '2.0', id, method: 'tools/call'});
				break;
			}

			case 'cancel': {
				this.cancel(this.sent, this.state, step.pick, this.client);
				break;
			}

			case 'answer': {
				const id = step.stray || this.sent.length === 0 ? `stray${step.pick % 3}` : this.sent[step.pick % this.sent.length]!;
				// The first answer to a waiting request passes; the first to a cancelled request is late, and dropped quietly; the rest are warned about.
				this.answered(this.state, id, 'late');
				this.peer().next(answer(id, 'peer'));
				break;
			}

			case 'peerRequest': {
				const id = ++this.counter;
				this.peerSent.push(id);
				this.peerState.set(id, 'waiting');
				this.peer().next({jsonrpc: '2.0', id, method: 'roots/list'});
				break;
			}

			case 'peerCancel': {
				this.cancel(this.peerSent, this.peerState, step.pick, this.peer());
				break;
			}

			case 'clientAnswer': {
				const id = step.stray || this.peerSent.length === 0 ? 1000 + (step.pick % 3) : this.peerSent[step.pick % this.peerSent.length]!;
				// The client's answer to a request the peer cancelled is passed on, for the peer to ignore.
				this.answered(this.peerState, id, 'answered');
				this.client.next(answer(id, 'client'));
				break;
			}
		}
	}

	private cancel(sent: RequestId[], state: Map<RequestId, State>, pick: number, sender: {next: (message: Message) => void}): void {
		const id = sent[pick % Math.max(1, sent.length)];
		if (id !== undefined && state.get(id) === 'waiting') {
			state.set(id, 'cancelled');
			sender.next(cancelled(id));
		}
	}

	private answered(state: Map<RequestId, State>, id: RequestId, afterCancel: State): void {
		const before = state.get(id);
		if (before === 'waiting') {
			state.set(id, 'answered');
		} else if (before === 'cancelled') {
			state.set(id, afterCancel);
		} else {
			this.expectedWarnings++;
		}
	}
}

test('exactly one answer per request in each direction, whatever the peer and the client send, and a warning for each answer dropped', t => {
	fc.assert(fc.property(fc.array(action, {maxLength: 60}), fc.constantFrom('complete', 'error'), (actions, end) => {
		let warnings = 0;
		const logger = createLogger({
			level: 'warning',
			write() {
				warnings++;
			},
		});
		let peer: Subscriber<Message> | undefined;
		const toPeer: Message[] = [];
		const transport: Transport = outgoing$ => new Observable<Message>(subscriber => {
			peer = subscriber;
			return outgoing$.subscribe(message => {
				toPeer.push(message);
			});
		});
		const client = new Subject<Message>();
		const toClient: Message[] = [];
		guardRequests({logger, peerName: 'the remote'})(transport)(client).subscribe({
			next(message) {
				toClient.push(message);
			},
			error() {
				// Ending is part of the scenario.
			},
		});

		const scenario = new Scenario(client, () => peer!);
		for (const step of actions) {
			scenario.play(step);
		}

		if (end === 'complete') {
			peer!.complete();
		} else {
			peer!.error(new Error('lost'));
		}

		const {sent, state, peerSent, peerState} = scenario;
		const answersToClient = toClient.filter(message => !('method' in message)).map(message => (message as {id: RequestId}).id);
		const answersToPeer = toPeer.filter(message => !('method' in message)).map(message => (message as {id: RequestId}).id);
		t.deepEqual(answersToClient.filter(id => !sent.includes(id as string)), [], 'the client gets no answer to a request it never sent');
		// Exactly one answer each, unless the client cancelled the request before any came.
		t.deepEqual(sent.map(id => count(answersToClient, id)), sent.map(id => (state.get(id) === 'cancelled' || state.get(id) === 'late' ? 0 : 1)));
		t.deepEqual(answersToPeer.filter(id => !peerSent.includes(id as number)), [], 'the peer gets no answer to a request it never sent');
		t.deepEqual(peerSent.map(id => count(answersToPeer, id)), peerSent.map(id => (peerState.get(id) === 'answered' ? 1 : 0)));
		t.is(warnings, scenario.expectedWarnings, 'every answer dropped is logged, late ones excepted');
	}), {numRuns: 500});
});
