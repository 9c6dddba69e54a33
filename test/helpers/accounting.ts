import {readdirSync, readFileSync} from 'node:fs';
import process from 'node:process';
import {createInterface} from 'node:readline';
import type {ExecutionContext} from 'ava';
import {execa, type ResultPromise} from 'execa';
import {createParser} from 'eventsource-parser';
import {cli} from './fixtures.js';

/*
The accounting invariant, checked from the outside: every request sent to the proxy gets exactly one answer (its result, or a JSON-RPC error whose message names the cause) within a bound. Peers speak raw JSON-RPC (no SDK in between to retry, time out or drop duplicates), so what the proxy does is exactly what is counted.
*/

export type Answer = {
	kind: 'result' | 'error';
	/**
	The JSON-RPC error message, or for an HTTP-level refusal `HTTP <status>: <message>`.
	*/
	message?: string;
	code?: number;
	result?: unknown;
	ms: number;
};

export type Summary = {
	sent: number;
	results: number;
	errors: number;
	/**
	Requests without an answer within the bound.
	*/
	lost: string[];
	/**
	Requests answered more than once.
	*/
	duplicated: string[];
	/**
	Answers to ids never sent.
	*/
	strays: string[];
	/**
	Errors whose message does not name a known cause.
	*/
	unexplained: string[];
	/**
	Requests whose HTTP exchange broke without any answer (a reset, a cut), which the proxy must never do to its clients.
	*/
	broken: string[];
	errorsByMessage: Record<string, number>;
};

/**
Who sent what, and what came back.
*/
export class Ledger {
	private readonly sent = new Map<string, {method: string; at: number}>();
	private readonly answers = new Map<string, Answer[]>();
	private readonly waiters = new Map<string, Array<(answer: Answer) => void>>();
	private readonly strays: string[] = [];
	private readonly broken = new Map<string, string>();

	send(id: string, method: string): void {
		this.sent.set(id, {method, at: Date.now()});
	}

	/**
	Record a JSON-RPC response (parsed) that came back.
	*/
	receive(response: {id?: unknown; result?: unknown; error?: {code?: number; message?: string}}): void {
		this.answer(String(response.id), response.error
			? {kind: 'error', code: response.error.code, message: response.error.message ?? ''}
			: {kind: 'result', result: response.result});
	}

	/**
	Record an answer for a request: a response, or an HTTP refusal of the request.
	*/
	answer(id: string, answer: Omit<Answer, 'ms'>): void {
		const sent = this.sent.get(id);
		if (!sent) {
			this.strays.push(id);
			return;
		}

		const full = {...answer, ms: Date.now() - sent.at};
		const list = this.answers.get(id) ?? [];
		list.push(full);
		this.answers.set(id, list);
		for (const wake of this.waiters.get(id) ?? []) {
			wake(full);
		}

		this.waiters.delete(id);
	}

	/**
	The client gave up on a request on purpose (it vanished): no answer is owed any more.
	*/
	abandon(id: string): void {
		this.sent.delete(id);
		this.waiters.delete(id);
	}

	/**
	The HTTP exchange of a request broke with no answer.
	*/
	break(id: string, reason: string): void {
		this.broken.set(id, reason);
		for (const wake of this.waiters.get(id) ?? []) {
			wake({kind: 'error', message: `broken: ${reason}`, ms: 0});
		}

		this.waiters.delete(id);
	}

	/**
	The first answer to `id`, or `undefined` after `ms`.
	*/
	async wait(id: string, ms: number): Promise<Answer | undefined> {
		const first = this.answers.get(id)?.[0];
		if (first) {
			return first;
		}

		return new Promise(resolve => {
			const timer = setTimeout(() => {
				resolve(undefined);
			}, ms);
			const list = this.waiters.get(id) ?? [];
			list.push(answer => {
				clearTimeout(timer);
				resolve(answer);
			});
			this.waiters.set(id, list);
		});
	}

	/**
	Wait (bounded) for every request sent so far, then give the summary.
	*/
	async settle(ms: number, causes: RegExp): Promise<Summary> {
		const deadline = Date.now() + ms;
		await Promise.all([...this.sent.keys()].map(async id => this.wait(id, Math.max(0, deadline - Date.now()))));
		return this.summary(causes);
	}

	summary(causes: RegExp): Summary {
		const summary: Summary = {
			sent: this.sent.size, results: 0, errors: 0, lost: [], duplicated: [], strays: [...this.strays], unexplained: [], broken: [], errorsByMessage: {},
		};
		for (const [id, {method}] of this.sent) {
			const answers = this.answers.get(id) ?? [];
			const broken = this.broken.get(id);
			if (broken !== undefined) {
				summary.broken.push(`${id} (${method}): ${broken}`);
			}

			if (answers.length === 0) {
				if (broken === undefined) {
					summary.lost.push(`${id} (${method})`);
				}

				continue;
			}

			if (answers.length > 1) {
				summary.duplicated.push(`${id} (${method}) ×${answers.length}`);
			}

			const [answer] = answers as [Answer];
			if (answer.kind === 'result') {
				summary.results++;
				continue;
			}

			summary.errors++;
			const text = answer.message ?? '';
			const key = text.replaceAll(/\d+/g, 'N').slice(0, 140);
			summary.errorsByMessage[key] = (summary.errorsByMessage[key] ?? 0) + 1;
			if (!causes.test(text)) {
				summary.unexplained.push(`${id} (${method}): ${JSON.stringify(text)}`);
			}
		}

		return summary;
	}
}

/**
Assert the invariant on a summary: nothing lost, duplicated, stray, broken or unexplained.
*/
export function assertAccounted(t: ExecutionContext, summary: Summary, label = ''): void {
	t.log(`${label ? `${label}: ` : ''}${summary.sent} requests, ${summary.results} results, ${summary.errors} errors`, summary.errorsByMessage);
	t.true(summary.sent > 0, `${label}: requests were sent`);
	t.deepEqual(summary.lost, [], `${label}: no request is left unanswered`);
	t.deepEqual(summary.duplicated, [], `${label}: no request is answered twice`);
	t.deepEqual(summary.strays, [], `${label}: no answer to a request never sent`);
	t.deepEqual(summary.broken, [], `${label}: no HTTP exchange breaks without an answer`);
	t.deepEqual(summary.unexplained, [], `${label}: every error names its cause`);
}

export const postHeaders = {'content-type': 'application/json', accept: 'application/json, text/event-stream'};

const initializeParameters = {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'accounting', version: '1.0.0'}};

let peerCounter = 0;

/**
Feed a response body (JSON or SSE) to the ledger. Returns when the body ends.
*/
async function readAnswer(response: Response, ledger: Ledger, onEvent?: (message: Record<string, unknown>) => void): Promise<void> {
	const type = response.headers.get('content-type') ?? '';
	const take = (value: unknown) => {
		for (const message of (Array.isArray(value) ? value : [value]) as Array<Record<string, unknown>>) {
			onEvent?.(message);
			if ('id' in message && !('method' in message)) {
				ledger.receive(message);
			}
		}
	};

	if (type.includes('application/json')) {
		take(JSON.parse(await response.text()));
		return;
	}

	if (!type.includes('text/event-stream') || !response.body) {
		await response.body?.cancel();
		return;
	}

	const parser = createParser({
		onEvent(event) {
			if (event.data !== '') {
				take(JSON.parse(event.data));
			}
		},
	});
	const decoder = new TextDecoder();
	for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
		parser.feed(decoder.decode(chunk, {stream: true}));
	}
}

/**
An HTTP-level refusal of a request, as its answer (the body's JSON-RPC error when it has one).
*/
async function refusal(response: Response): Promise<Omit<Answer, 'ms'>> {
	const text = await response.text();
	let message = text.slice(0, 200);
	let code: number | undefined;
	try {
		const parsed = JSON.parse(text) as {error?: {message?: string; code?: number}};
		message = parsed.error?.message ?? message;
		code = parsed.error?.code;
	} catch {
		// Not JSON: the text is the message.
	}

	return {kind: 'error', code, message: `HTTP ${response.status}: ${message}`};
}

/**
A raw Streamable HTTP client of the proxy.
*/
export class HttpPeer {
	readonly name = `h${++peerCounter}`;
	sessionId: string | undefined;
	private counter = 0;
	private readonly url: string;
	private readonly ledger: Ledger;
	private readonly deadline: number;
	private readonly controllers = new Set<AbortController>();

	constructor(url: string, ledger: Ledger, deadline = 20_000) {
		this.url = url;
		this.ledger = ledger;
		this.deadline = deadline;
	}

	/**
	Initialize a session. Resolves to the answer (a result, or an error that names why not).
	*/
	async initialize(): Promise<Answer | undefined> {
		const answer = await this.call('initialize', initializeParameters);
		if (answer?.kind === 'result') {
			await this.notify('notifications/initialized');
		}

		return answer;
	}

	async notify(method: string, parameters?: unknown): Promise<number> {
		const response = await fetch(this.url, {method: 'POST', headers: this.headers(), body: JSON.stringify({jsonrpc: '2.0', method, ...(parameters === undefined ? {} : {params: parameters})})});
		await response.body?.cancel();
		return response.status;
	}

	/**
	Send a request and wait for its answer (bounded by the peer's deadline). `onEvent` sees every message of the answer's stream; `abortAfter` cuts the exchange (the client vanishes) once it returns true.
	*/
	async call(method: string, parameters?: unknown, options: {onEvent?: (message: Record<string, unknown>) => boolean | void} = {}): Promise<Answer | undefined> {
		const id = `${this.name}-${++this.counter}`;
		this.ledger.send(id, method);
		const controller = new AbortController();
		this.controllers.add(controller);
		const timer = setTimeout(() => {
			controller.abort();
		}, this.deadline);
		let vanished = false;
		try {
			const response = await fetch(this.url, {
				method: 'POST',
				headers: this.headers(),
				body: JSON.stringify({
					jsonrpc: '2.0', id, method, ...(parameters === undefined ? {} : {params: parameters}),
				}),
				signal: controller.signal,
			});
			if (method === 'initialize' && response.ok) {
				this.sessionId = response.headers.get('mcp-session-id') ?? undefined;
			}

			if (response.ok) {
				await readAnswer(response, this.ledger, message => {
					if (options.onEvent?.(message) === true) {
						vanished = true;
						controller.abort();
					}
				});
			} else {
				this.ledger.answer(id, await refusal(response));
			}
		} catch (error) {
			if (vanished) {
				this.ledger.abandon(id);
				return undefined;
			}

			if (!controller.signal.aborted) {
				this.ledger.break(id, (error as Error).message);
			}
		} finally {
			clearTimeout(timer);
			this.controllers.delete(controller);
		}

		return this.ledger.wait(id, 0);
	}

	async close(): Promise<void> {
		for (const controller of this.controllers) {
			controller.abort();
		}

		if (this.sessionId !== undefined) {
			await fetch(this.url, {method: 'DELETE', headers: this.headers()}).then(async response => response.body?.cancel(), () => undefined);
		}
	}

	private headers(): Record<string, string> {
		return {
			...postHeaders,
			...(this.sessionId === undefined ? {} : {'mcp-session-id': this.sessionId, 'mcp-protocol-version': '2025-06-18'}),
		};
	}
}

/**
A raw legacy SSE client of the proxy: one GET stream carries every answer.
*/
export class SsePeer {
	readonly name = `s${++peerCounter}`;
	private counter = 0;
	private endpoint: string | undefined;
	private readonly controller = new AbortController();
	private readonly ledger: Ledger;
	private readonly base: string;
	private readonly path: string;
	private readonly deadline: number;
	private streamEnded: Promise<void> | undefined;

	constructor(base: string, ledger: Ledger, path = '/sse', deadline = 20_000) {
		this.base = base;
		this.ledger = ledger;
		this.path = path;
		this.deadline = deadline;
	}

	async initialize(): Promise<Answer | undefined> {
		const response = await fetch(new URL(this.path, this.base), {headers: {accept: 'text/event-stream'}, signal: this.controller.signal});
		if (!response.ok || !response.body) {
			throw new Error(`GET ${this.path} answered ${response.status}`);
		}

		let gotEndpoint: () => void = () => undefined;
		const endpoint = new Promise<void>(resolve => {
			gotEndpoint = resolve;
		});
		const parser = createParser({
			onEvent: event => {
				if (event.event === 'endpoint') {
					this.endpoint = new URL(event.data, this.base).href;
					gotEndpoint();
				} else if (event.data !== '') {
					const message = JSON.parse(event.data) as Record<string, unknown>;
					if ('id' in message && !('method' in message)) {
						this.ledger.receive(message);
					}
				}
			},
		});
		this.streamEnded = (async () => {
			const decoder = new TextDecoder();
			try {
				for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
					parser.feed(decoder.decode(chunk, {stream: true}));
				}
			} catch {
				// Closed by us, or cut.
			}
		})();
		await endpoint;
		const answer = await this.call('initialize', initializeParameters);
		if (answer?.kind === 'result') {
			await this.post({jsonrpc: '2.0', method: 'notifications/initialized'});
		}

		return answer;
	}

	async call(method: string, parameters?: unknown): Promise<Answer | undefined> {
		const id = `${this.name}-${++this.counter}`;
		this.ledger.send(id, method);
		try {
			const response = await this.post({
				jsonrpc: '2.0', id, method, ...(parameters === undefined ? {} : {params: parameters}),
			});
			if (response.status !== 202) {
				this.ledger.answer(id, await refusal(response));
			}
		} catch (error) {
			this.ledger.break(id, (error as Error).message);
		}

		return this.ledger.wait(id, this.deadline);
	}

	/**
	Close the stream: the client vanishes.
	*/
	async close(): Promise<void> {
		this.controller.abort();
		await this.streamEnded;
	}

	private async post(message: unknown): Promise<Response> {
		const response = await fetch(this.endpoint!, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(message)});
		if (response.status === 202) {
			await response.body?.cancel();
		}

		return response;
	}
}

/**
A raw stdio client of the proxy in client mode: writes request lines to its standard input, reads answers from its standard output. Answers the proxy's own requests (ping) so that nothing waits on the client.
*/
export class StdioPeer {
	readonly child: ResultPromise<{stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; reject: false}>;
	private counter = 0;
	private stderrText = '';
	private readonly ledger: Ledger;
	private readonly deadline: number;
	private readonly stdoutLines: string[] = [];

	/**
	@param options.answerTwice Answer each request of the proxy twice (a buggy client): the proxy must pass on only the first.
	*/
	constructor(args: string[], ledger: Ledger, options: {env?: Record<string, string>; deadline?: number; answerTwice?: boolean} = {}) {
		this.ledger = ledger;
		this.deadline = options.deadline ?? 20_000;
		const answers = options.answerTwice ? 2 : 1;
		this.child = execa(process.execPath, [cli, ...args], {
			stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, env: options.env,
		});
		this.child.stderr.setEncoding('utf8');
		this.child.stderr.on('data', (chunk: string) => {
			this.stderrText += chunk;
		});
		createInterface({input: this.child.stdout}).on('line', line => {
			this.stdoutLines.push(line);
			const message = JSON.parse(line) as Record<string, unknown>;
			if ('method' in message && 'id' in message) {
				for (let count = 0; count < answers; count++) {
					this.write(message['method'] === 'ping'
						? {jsonrpc: '2.0', id: message['id'], result: {}}
						: {jsonrpc: '2.0', id: message['id'], error: {code: -32_601, message: 'Not supported by the accounting peer'}});
				}
			} else if ('id' in message) {
				this.ledger.receive(message);
			}
		});
	}

	get stderr(): string {
		return this.stderrText;
	}

	/**
	Every line the proxy wrote to standard output (each must be a JSON-RPC message).
	*/
	get stdout(): readonly string[] {
		return this.stdoutLines;
	}

	async initialize(): Promise<Answer | undefined> {
		const answer = await this.call('initialize', initializeParameters);
		if (answer?.kind === 'result') {
			this.write({jsonrpc: '2.0', method: 'notifications/initialized'});
		}

		return answer;
	}

	/**
	Send a request; resolves to its answer, or `undefined` after the deadline.
	*/
	async call(method: string, parameters?: unknown): Promise<Answer | undefined> {
		return this.ledger.wait(this.send(method, parameters), this.deadline);
	}

	/**
	Send a request without waiting; returns its id.
	*/
	send(method: string, parameters?: unknown): string {
		const id = `c-${++this.counter}`;
		this.ledger.send(id, method);
		this.write({
			jsonrpc: '2.0', id, method, ...(parameters === undefined ? {} : {params: parameters}),
		});
		return id;
	}

	write(message: unknown): void {
		if (this.child.stdin.writable) {
			this.child.stdin.write(`${JSON.stringify(message)}\n`);
		}
	}

	kill(): void {
		this.child.kill('SIGKILL');
	}
}

/**
The pids of a process's descendants, read from /proc (children, grandchildren…).
*/
export function descendants(pid: number): number[] {
	const parents = new Map<number, number[]>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) {
			continue;
		}

		let stat: string;
		try {
			stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue;
		}

		// The command name is in parentheses and may hold spaces; the parent pid is the second field after it.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		const parent = Number(fields[1]);
		const children = parents.get(parent) ?? [];
		children.push(Number(entry));
		parents.set(parent, children);
	}

	const result: number[] = [];
	const queue = [pid];
	while (queue.length > 0) {
		for (const child of parents.get(queue.shift()!) ?? []) {
			result.push(child);
			queue.push(child);
		}
	}

	return result;
}

/**
Whether a pid is alive and not a zombie.
*/
export function isRunning(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

/**
How many file descriptors a process has open.
*/
export function openFileDescriptors(pid: number): number {
	return readdirSync(`/proc/${pid}/fd`).length;
}

/**
A process's resident set size in bytes.
*/
export function residentBytes(pid: number): number {
	const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return match ? Number(match[1]) * 1024 : 0;
}
