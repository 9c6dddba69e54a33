import type {Socket} from 'node:net';
import type {ServerResponse} from 'node:http';
import {
	hold, release, type Counted, type Holder,
} from './payload.js';
import {maxBufferedBytes} from './sse-writer.js';

/*
JSON answers waiting for their client to read them: each is held by its session in the queue budget (never shed) from the moment it is written until its response finishes (the socket took it all) or its connection closes, and the answers waiting on one connection (pipelined requests) stay within the limit of an SSE stream: past it, the connection is closed. The decision is `answerFits` (pure); the rest is its glue.
*/

/**
Who holds JSON answers: a session. `answers` are those still waiting for their connection; a session that ended stays in the queue budget until the last of them and of its streams is gone.
*/
export type AnswerOwner = Holder & {
	readonly answers: Set<HeldAnswer>;
	readonly streams: ReadonlySet<unknown>;
	readonly ended: boolean;
};

/**
An answer's bytes, counted in the queue budget while they wait in its connection's buffer.
*/
export type HeldAnswer = Counted & {
	readonly owner: AnswerOwner;
	readonly socket: Socket;
};

/**
The answers waiting on one connection, and their bytes.
*/
type Waiting = {bytes: number; readonly answers: Set<HeldAnswer>};

const waitingOf = Symbol('waiting');
const answerOf = Symbol('answer');
type AnswerSocket = Socket & {[waitingOf]?: Waiting};
type AnswerResponse = ServerResponse & {[answerOf]?: HeldAnswer};

/**
Whether an answer of `size` bytes may wait on a connection where `waiting` bytes of answers wait already: one alone always may (as one event on an SSE stream), more may until they pass the limit of a stream.
*/
export function answerFits(waiting: number, size: number, limit = maxBufferedBytes): boolean {
	return waiting === 0 || waiting + size <= limit;
}

/**
A JSON answer of `size` bytes was written to `response`: unless the socket took it all at once, `owner` holds it until the response finishes or the connection closes; the connection is closed instead when its waiting answers would pass the limit (the client does not read them).
*/
export function holdAnswer(owner: AnswerOwner, response: ServerResponse, size: number): void {
	if (size === 0 || response.writableFinished || response.writableLength === 0) {
		return;
	}

	const socket = response.req.socket as AnswerSocket;
	if (socket.destroyed) {
		return;
	}

	let waiting = socket[waitingOf];
	if (!answerFits(waiting?.bytes ?? 0, size)) {
		socket.destroy();
		return;
	}

	if (waiting === undefined) {
		waiting = {bytes: 0, answers: new Set()};
		socket[waitingOf] = waiting;
		socket.once('close', onConnectionClose);
	}

	const answer: HeldAnswer = {
		size, sheddable: false, holders: 0, owner, socket,
	};
	waiting.bytes += size;
	waiting.answers.add(answer);
	owner.answers.add(answer);
	hold(owner, answer);
	(response as AnswerResponse)[answerOf] = answer;
	response.once('finish', onAnswerFinish);
}

/**
Close the connections of every answer `owner` still holds (its session is closed for holding too much): their bytes go with them.
*/
export function dropAnswers(owner: AnswerOwner): void {
	for (const answer of owner.answers) {
		answer.socket.destroy();
		letGo(answer);
	}
}

function letGo(answer: HeldAnswer): void {
	const {owner} = answer;
	const waiting = (answer.socket as AnswerSocket)[waitingOf];
	if (!owner.answers.delete(answer)) {
		return;
	}

	if (waiting?.answers.delete(answer)) {
		waiting.bytes -= answer.size;
	}

	release(owner, answer);
	if (owner.ended && owner.streams.size === 0 && owner.answers.size === 0) {
		owner.budget?.delete(owner);
	}
}

// Listeners shared by every answer and connection (each finds its state on its emitter): no closures per answer.
function onAnswerFinish(this: AnswerResponse): void {
	const answer = this[answerOf];
	if (answer) {
		this[answerOf] = undefined;
		letGo(answer);
	}
}

function onConnectionClose(this: AnswerSocket): void {
	const waiting = this[waitingOf];
	this[waitingOf] = undefined;
	for (const answer of waiting?.answers ?? []) {
		letGo(answer);
	}
}
