import {
	asyncScheduler,
	Observable,
	type SchedulerLike,
	type Subscriber,
	type Subscription,
} from 'rxjs';
import type {
	Message,
	Notification,
	Request,
	RequestId,
	Response,
	Transport,
} from '../types.js';
import {
	describeError, errorCodes, TimeoutError, TransportError,
} from '../errors.js';
import {IdMap, rememberId, shownId} from '../wire/id-map.js';
import {stringifyJson} from '../wire/exact-numbers.js';
import {defaultLogger, type Logger} from '../logger.js';
import {
	cancelledNotification,
	errorResponse,
	isErrorResponse,
	isNotification,
	isRequest,
	isResponse,
	progressTokenOf,
} from '../wire/message.js';
import {negotiateProtocolVersion, proxyCapabilities, proxyClientInfo} from './protocol-versions.js';

export type UpstreamState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export type MultiplexOptions = {
	/**
	Names the server in logs and errors.

	@default 'the server'
	*/
	name?: string;
	/**
	First delay before restarting an upstream that ended; doubles on each failure in a row.

	@default 1000
	*/
	restartDelay?: number;
	/**
	@default 30000
	*/
	restartMaxDelay?: number;
	/**
	An upstream that has run this long counts as healthy: the next restart starts from `restartDelay` again.

	@default 10000
	*/
	stableAfter?: number;
	/**
	How long the upstream may take to answer `initialize`.

	@default 60000
	*/
	initializeTimeout?: number;
	/**
	Requests held while the upstream is starting or restarting; more are answered with an error.

	@default 1000
	*/
	maxQueued?: number;
	/**
	How long a server→client request (sampling, elicitation, roots) may wait when several client sessions had requests in flight as it came, and so could each have caused it: it goes to the one left once the others' requests are answered, and the upstream gets an error if more than one is still waiting after this long.

	@default 30000
	*/
	ambiguousRequestTimeout?: number;
	logger?: Logger;
	scheduler?: SchedulerLike;
};

export type MultiplexStatus = {
	state: UpstreamState;
	/**
	How many times the upstream was started again after the first start.
	*/
	restarts: number;
	sessions: number;
	inFlight: number;
	/**
	ISO time of the last message from a client or the upstream.
	*/
	lastActivity: string | undefined;
	lastError: string | undefined;
	serverInfo: unknown;
};

export type Multiplexer = {
	/**
	Runs the upstream: starts it, initializes it once, restarts it with backoff when it ends. Never errors; completes after `close()` once the upstream has closed.
	*/
	run$: Observable<never>;
	/**
	A virtual transport for one client session. Subscribe it (usually through `link`) for as long as the session lasts.
	*/
	session(id: string): Transport;
	/**
	Close gracefully: the upstream's outgoing messages complete (a child's input closes) and every session ends.
	*/
	close(): void;
	status(): MultiplexStatus;
};

type SessionState = {
	id: string;
	subscriber: Subscriber<Message>;
	capabilities: Record<string, unknown> | undefined;
	/**
	Answered its `initialize`: it may receive notifications and server requests.
	*/
	ready: boolean;
	/**
	Its requests in flight upstream: its id → upstream id.
	*/
	inFlight: IdMap<RequestId, number>;
	/**
	Server→client requests waiting for its answer (ids as the session sees them).
	*/
	serverRequests: Set<number>;
	subscriptions: Set<string>;
	logLevel: number | undefined;
	closed: boolean;
};

type ClientRequest = {
	session: SessionState;
	originalId: RequestId;
	method: string;
	originalToken: string | number | undefined;
};

type ServerRequest = {
	session: SessionState;
	upstreamId: RequestId;
};

/**
A server→client request that more than one session could have caused, waiting for all but one of them to be answered.
*/
type HeldServerRequest = {
	request: Request;
	capability: string | undefined;
	/**
	The newest upstream request id when it came: only requests up to this one can have caused it.
	*/
	horizon: number;
	timer: Subscription;
};

/**
How many ids of requests that ended without their answer are remembered, so that their late answers are told from strays.
*/
const maxRetired = 10_000;

const logLevelRanks = new Map<string, number>([
	['debug', 0],
	['info', 1],
	['notice', 2],
	['warning', 3],
	['error', 4],
	['critical', 5],
	['alert', 6],
	['emergency', 7],
]);

const capabilityFor = new Map<string, string>([
	['sampling/createMessage', 'sampling'],
	['elicitation/create', 'elicitation'],
	['roots/list', 'roots'],
]);

type Loose = Record<string, unknown>;

function parametersOf(message: Request | Notification): Loose {
	return (message.params ?? {});
}

/**
Share one upstream (a child process, a remote server) among many client sessions.

- The upstream is initialized once, by the proxy, declaring every client capability; each session's `initialize` is answered from the upstream's result (the protocol version negotiated per session).
- Request ids and progress tokens are rewritten so sessions never collide; responses, progress and cancellations go back to their session only. A response is never broadcast.
- List-changed and log notifications go to every session (logs filtered by each session's `logging/setLevel`); `notifications/resources/updated` goes to the sessions subscribed to that URI.
- A server→client request (sampling, elicitation, roots) goes to the session that caused it: the one with a request in flight upstream when it came (if it did not declare the capability needed, the upstream gets an error). When several had, it waits until the others' requests are answered and goes to the one left; if one of them ends without a result (answered with an error, cancelled, timed out, its session closed), or several are left after `ambiguousRequestTimeout`, the upstream gets an error: it is never guessed, so one client never sees another's request. One that no request in flight can have caused (e.g. `roots/list` after initialization) goes to the newest session that declared the capability. Pings are answered by the proxy.
- When a session ends, its requests still in flight are cancelled upstream. When the upstream ends, every request in flight gets an error at once; it is restarted with backoff, re-initialized, and the sessions' subscriptions and log level are restored; sessions are told the lists may have changed.

@example
```
const mux = multiplex(spawnStdio({command: 'node', args: ['server.js']}));
mux.run$.subscribe();
httpListener().pipe(mergeMap(session => link(session.transport, mux.session(session.id)))).subscribe();
```
*/
export function multiplex(upstream: Transport, options: MultiplexOptions = {}): Multiplexer {
	const {
		name = 'the server',
		restartDelay = 1000,
		restartMaxDelay = 30_000,
		stableAfter = 10_000,
		initializeTimeout = 60_000,
		maxQueued = 1000,
		ambiguousRequestTimeout = 30_000,
		logger = defaultLogger,
		scheduler = asyncScheduler,
	} = options;

	let state: UpstreamState = 'starting';
	let starts = 0;
	let lastError: string | undefined;
	let lastActivity: number | undefined;
	let initResult: Loose | undefined;
	let sink: Subscriber<Message> | undefined;
	let stopping = false;
	let childLogLevel: string | undefined;
	let wakeRun: (() => void) | undefined;

	let nextId = 1;
	let nextInternal = 1;
	let nextServerRequest = 1;
	const sessions = new Map<string, SessionState>();
	const requests = new IdMap<number, ClientRequest>();
	const serverRequests = new Map<number, ServerRequest>();
	const serverRequestsByUpstream = new Map<RequestId, number>();
	const internal = new Map<string, (response: Response) => void>();
	/**
	Recent ids of requests that ended without their answer, upstream ids (cancelled, their session closed) and proxy ids of server requests (cancelled by the upstream, or the upstream restarted): their late answers are dropped quietly; any other unknown answer is a stray or a second answer, and is logged as such.
	*/
	const retiredRequests = new Set<number>();
	const retiredServerRequests = new Set<number>();
	let queue: Array<{session: SessionState; message: Request}> = [];
	let held: HeldServerRequest[] = [];
	let warnedAmbiguous = false;

	const touch = () => {
		lastActivity = scheduler.now();
	};

	const deliver = (session: SessionState, message: Message) => {
		if (!session.closed) {
			session.subscriber.next(message);
		}
	};

	const sendUpstream = (message: Message) => {
		sink?.next(message);
	};

	const sendInternal = (method: string, parameters: Loose, onResponse: (response: Response) => void = () => undefined) => {
		const id = `rx-mcp-proxy/${nextInternal++}`;
		internal.set(id, onResponse);
		sendUpstream({
			jsonrpc: '2.0', id, method, params: parameters,
		});
	};

	const unavailable = (id: RequestId) => {
		const next = stopping ? 'The proxy is shutting down.' : 'The proxy is restarting it.';
		return errorResponse(id, errorCodes.upstreamUnavailable, `${capitalize(name)} is not available${lastError ? `: ${lastError}` : ''}. ${next}`);
	};

	const answerInitialize = (session: SessionState, request: Request) => {
		const parameters = parametersOf(request);
		session.capabilities = (parameters['capabilities'] ?? {}) as Record<string, unknown>;
		const requested = typeof parameters['protocolVersion'] === 'string' ? parameters['protocolVersion'] : undefined;
		const result = {...initResult, protocolVersion: negotiateProtocolVersion(requested, initResult!['protocolVersion'] as string)};
		session.ready = true;
		deliver(session, {jsonrpc: '2.0', id: request.id, result});
	};

	const forwardRequest = (session: SessionState, request: Request) => {
		const {method} = request;
		if (method === 'initialize') {
			answerInitialize(session, request);
			return;
		}

		const upstreamId = nextId++;
		const originalToken = progressTokenOf(request);
		requests.set(upstreamId, {
			session, originalId: request.id, method, originalToken,
		});
		session.inFlight.set(request.id, upstreamId);
		let parameters = request.params;
		if (originalToken !== undefined) {
			parameters = {...parameters, _meta: {...parameters!._meta as Loose, progressToken: upstreamId}};
		}

		if (method === 'logging/setLevel') {
			const {level} = parametersOf(request);
			const rank = typeof level === 'string' ? logLevelRanks.get(level) : undefined;
			if (rank !== undefined) {
				session.logLevel = rank;
				// The upstream's level is the most verbose any session asked for; each session gets only what it asked for.
				childLogLevel = mostVerboseLevel();
				parameters = {...parameters, level: childLogLevel};
			}
		}

		sendUpstream(parameters === request.params ? {...request, id: upstreamId} : {...request, id: upstreamId, params: parameters});
	};

	const mostVerboseLevel = () => {
		let best: number | undefined;
		for (const session of sessions.values()) {
			if (session.logLevel !== undefined && (best === undefined || session.logLevel < best)) {
				best = session.logLevel;
			}
		}

		return best === undefined ? undefined : [...logLevelRanks].find(([, rank]) => rank === best)?.[0];
	};

	const onClientRequest = (session: SessionState, request: Request) => {
		if (request.method === 'ping') {
			deliver(session, {jsonrpc: '2.0', id: request.id, result: {}});
			return;
		}

		if (request.method === 'resources/subscribe' || request.method === 'resources/unsubscribe') {
			const {uri} = parametersOf(request);
			if (typeof uri === 'string') {
				if (request.method === 'resources/subscribe') {
					session.subscriptions.add(uri);
				} else {
					session.subscriptions.delete(uri);
					if (isSubscribed(uri)) {
						// Others still want updates: the upstream stays subscribed.
						deliver(session, {jsonrpc: '2.0', id: request.id, result: {}});
						return;
					}
				}
			}
		}

		if (state === 'running') {
			forwardRequest(session, request);
			return;
		}

		if (state === 'failed' || state === 'stopped') {
			deliver(session, unavailable(request.id));
			return;
		}

		if (queue.length >= maxQueued) {
			deliver(session, errorResponse(request.id, errorCodes.overloaded, `${capitalize(name)} is starting and ${maxQueued} requests are already waiting for it`));
			return;
		}

		queue.push({session, message: request});
	};

	const onClientNotification = (session: SessionState, notification: Notification) => {
		switch (notification.method) {
			case 'notifications/initialized': {
				// The upstream had its own.
				return;
			}

			case 'notifications/cancelled': {
				const requestId = parametersOf(notification)['requestId'] as RequestId | undefined;
				const upstreamId = requestId === undefined ? undefined : session.inFlight.get(requestId);
				if (upstreamId === undefined) {
					// Still waiting for the upstream to start: it never has to see the request.
					queue = queue.filter(item => item.session !== session || item.message.id !== requestId);
					return;
				}

				session.inFlight.delete(requestId!);
				requests.delete(upstreamId);
				rememberId(retiredRequests, upstreamId, maxRetired);
				sendUpstream({...notification, params: {...parametersOf(notification), requestId: upstreamId}});
				requestLeft(upstreamId);
				return;
			}

			default: {
				if (state === 'running') {
					sendUpstream(notification);
				}
			}
		}
	};

	const onClientResponse = (session: SessionState, response: Response) => {
		const id = response.id as number;
		const entry = serverRequests.get(id);
		if (entry?.session !== session) {
			if (retiredServerRequests.delete(id)) {
				logger.debug(`${name}: dropped the late answer of session ${session.id} to request ${stringifyJson(id)}, which the server cancelled`);
			} else {
				logger.warning(`${name}: dropped an answer from session ${session.id} to request ${shownId(id)}: the server sent it no such request, or it was answered already`);
			}

			return;
		}

		serverRequests.delete(id);
		serverRequestsByUpstream.delete(entry.upstreamId);
		session.serverRequests.delete(id);
		sendUpstream({...response, id: entry.upstreamId});
	};

	const isSubscribed = (uri: string) => {
		for (const session of sessions.values()) {
			if (session.subscriptions.has(uri)) {
				return true;
			}
		}

		return false;
	};

	const dispatchServerRequest = (session: SessionState, request: Request) => {
		const proxyId = nextServerRequest++;
		serverRequests.set(proxyId, {session, upstreamId: request.id});
		serverRequestsByUpstream.set(request.id, proxyId);
		session.serverRequests.add(proxyId);
		deliver(session, {...request, id: proxyId});
	};

	/**
	The sessions that can have caused a server→client request: those with a request in flight upstream that was sent before it came (`horizon`). The stdio wire does not say which request a server request belongs to, so when there are several the answer must wait.
	*/
	const causingSessions = (horizon: number): Set<SessionState> => {
		const found = new Set<SessionState>();
		for (const [upstreamId, entry] of requests.entries()) {
			if (upstreamId <= horizon && entry.session.ready && !entry.session.closed) {
				found.add(entry.session);
			}
		}

		return found;
	};

	const newestReadySession = (capability: string | undefined): SessionState | undefined => {
		let best: SessionState | undefined;
		for (const session of sessions.values()) {
			if (session.ready && (capability === undefined || session.capabilities?.[capability] !== undefined)) {
				best = session;
			}
		}

		return best;
	};

	/**
	Send a server→client request to the session that caused it, answer the upstream with an error, or keep it waiting (`false`) while more than one session could have caused it.
	*/
	const placeServerRequest = (request: Request, capability: string | undefined, horizon: number, waited: boolean): boolean => {
		const causing = causingSessions(horizon);
		if (causing.size === 0) {
			if (waited) {
				sendUpstream(errorResponse(request.id, errorCodes.connectionClosed, `The client requests that \`${request.method}\` could be for have all ended`));
				return true;
			}

			// Not caused by a request still in flight (e.g. roots/list after initialization): the newest session that can answer it.
			const session = newestReadySession(capability);
			if (session) {
				dispatchServerRequest(session, request);
			} else {
				const problem = newestReadySession(undefined) === undefined ? 'No client session can answer' : `No client session declared the ${capability} capability to answer`;
				sendUpstream(errorResponse(request.id, errorCodes.methodNotFound, `${problem} \`${request.method}\` right now`));
			}

			return true;
		}

		// Any of them may have caused it, whatever it declared (the upstream was told every client capability).
		if (causing.size > 1) {
			return false;
		}

		const [session] = causing;
		if (capability !== undefined && session!.capabilities?.[capability] === undefined) {
			sendUpstream(errorResponse(request.id, errorCodes.methodNotFound, `The client this request is for does not support ${capability} (it did not declare the capability)`));
		} else {
			dispatchServerRequest(session!, request);
		}

		return true;
	};

	const releaseHeld = () => {
		const waiting = held;
		held = [];
		for (const entry of waiting) {
			if (placeServerRequest(entry.request, entry.capability, entry.horizon, true)) {
				entry.timer.unsubscribe();
			} else {
				held.push(entry);
			}
		}
	};

	/**
	A client request left the upstream. Answered with a result: it did not wait for a held server request, so it did not cause one (servers cancel a server request they stop waiting for, as the SDKs do), and a held one may now have a single session left that can have caused it. Otherwise (`unansweredId`: answered with an error, cancelled, timed out, its session ended): it may have caused any held one that came after it was sent, so those can no longer be told apart by elimination and are refused.
	*/
	const requestLeft = (unansweredId?: number) => {
		if (held.length === 0) {
			return;
		}

		if (unansweredId !== undefined) {
			const refused = held.filter(entry => entry.horizon >= unansweredId);
			held = held.filter(entry => entry.horizon < unansweredId);
			for (const entry of refused) {
				entry.timer.unsubscribe();
				sendUpstream(errorResponse(entry.request.id, errorCodes.connectionClosed, `A client request that \`${entry.request.method}\` may have been for ended without an answer, so the proxy cannot tell which client it is for; it was sent to none`));
			}
		}

		releaseHeld();
	};

	const holdServerRequest = (request: Request, capability: string | undefined, horizon: number) => {
		const entry: HeldServerRequest = {
			request,
			capability,
			horizon,
			timer: scheduler.schedule(() => {
				held = held.filter(other => other !== entry);
				const count = causingSessions(horizon).size;
				const message = `${count} client sessions had requests in flight when \`${request.method}\` came and still have after ${ambiguousRequestTimeout} ms: the proxy cannot tell which client it is for, so it was sent to none. Run the proxy with --isolate-sessions to give each client a server of its own.`;
				if (!warnedAmbiguous) {
					warnedAmbiguous = true;
					logger.warning(`${capitalize(name)}: ${message}`);
				}

				sendUpstream(errorResponse(request.id, errorCodes.requestTimeout, message));
			}, ambiguousRequestTimeout),
		};
		held.push(entry);
		logger.debug(`${name}: \`${request.method}\` ${stringifyJson(request.id)} waits: several client sessions with requests in flight could have caused it`);
	};

	const onUpstreamRequest = (request: Request) => {
		if (request.method === 'ping') {
			sendUpstream({jsonrpc: '2.0', id: request.id, result: {}});
			return;
		}

		const capability = capabilityFor.get(request.method);
		const horizon = nextId - 1;
		if (!placeServerRequest(request, capability, horizon, false)) {
			holdServerRequest(request, capability, horizon);
		}
	};

	const broadcast = (notification: Notification, filter?: (session: SessionState) => boolean) => {
		for (const session of sessions.values()) {
			if (session.ready && (!filter || filter(session))) {
				deliver(session, notification);
			}
		}
	};

	const onUpstreamNotification = (notification: Notification) => {
		const parameters = parametersOf(notification);
		switch (notification.method) {
			case 'notifications/progress': {
				const entry = requests.get(parameters['progressToken'] as number);
				if (entry?.originalToken !== undefined) {
					deliver(entry.session, {...notification, params: {...parameters, progressToken: entry.originalToken}});
				}

				return;
			}

			case 'notifications/cancelled': {
				const heldEntry = held.find(entry => entry.request.id === parameters['requestId']);
				if (heldEntry) {
					heldEntry.timer.unsubscribe();
					held = held.filter(entry => entry !== heldEntry);
					return;
				}

				const proxyId = serverRequestsByUpstream.get(parameters['requestId'] as RequestId);
				const entry = proxyId === undefined ? undefined : serverRequests.get(proxyId);
				if (entry) {
					serverRequests.delete(proxyId!);
					serverRequestsByUpstream.delete(entry.upstreamId);
					entry.session.serverRequests.delete(proxyId!);
					rememberId(retiredServerRequests, proxyId!, maxRetired);
					deliver(entry.session, {...notification, params: {...parameters, requestId: proxyId}});
				}

				return;
			}

			case 'notifications/resources/updated': {
				const {uri} = parameters;
				broadcast(notification, session => typeof uri === 'string' && session.subscriptions.has(uri));
				return;
			}

			case 'notifications/message': {
				const rank = logLevelRanks.get(parameters['level'] as string) ?? 0;
				broadcast(notification, session => session.logLevel === undefined || rank >= session.logLevel);
				return;
			}

			default: {
				broadcast(notification);
			}
		}
	};

	const onUpstreamResponse = (response: Response) => {
		const {id} = response;
		if (typeof id === 'string') {
			const handler = internal.get(id);
			if (handler) {
				internal.delete(id);
				handler(response);
				return;
			}
		}

		const entry = typeof id === 'number' ? requests.get(id) : undefined;
		if (!entry) {
			if (typeof id === 'number' && retiredRequests.delete(id)) {
				logger.debug(`${name}: dropped the late answer to request ${id}, cancelled or of a closed session`);
			} else {
				logger.warning(`${name}: dropped an answer to request ${shownId(id)}: no such request was sent to it, or it was answered already`);
			}

			return;
		}

		requests.delete(id as number);
		entry.session.inFlight.delete(entry.originalId);
		deliver(entry.session, {...response, id: entry.originalId});
		// A failed call may have given up on a server request it sent without cancelling it: it proves nothing.
		requestLeft(isErrorResponse(response) ? id as number : undefined);
	};

	const onUpstreamMessage = (message: Message) => {
		touch();
		if (isResponse(message)) {
			onUpstreamResponse(message);
		} else if (isRequest(message)) {
			onUpstreamRequest(message);
		} else if (isNotification(message)) {
			onUpstreamNotification(message);
		}
	};

	const failInFlight = (reason: string) => {
		const next = stopping ? 'the proxy is shutting down' : 'it is being restarted';
		// Oldest first, as they were sent.
		for (const [upstreamId, entry] of requests.entries().toSorted(([a], [b]) => a - b)) {
			requests.delete(upstreamId);
			entry.session.inFlight.delete(entry.originalId);
			deliver(entry.session, errorResponse(entry.originalId, errorCodes.connectionClosed, `${reason} (while handling \`${entry.method}\`); ${next}`));
		}

		for (const [proxyId, entry] of serverRequests) {
			entry.session.serverRequests.clear();
			rememberId(retiredServerRequests, proxyId, maxRetired);
		}

		serverRequests.clear();
		serverRequestsByUpstream.clear();
		internal.clear();
		for (const entry of held) {
			entry.timer.unsubscribe();
		}

		held = [];
	};

	const failQueue = () => {
		const waiting = queue;
		queue = [];
		for (const {session, message} of waiting) {
			deliver(session, unavailable(message.id));
		}
	};

	const flushQueue = () => {
		const waiting = queue;
		queue = [];
		for (const {session, message} of waiting) {
			if (!session.closed) {
				forwardRequest(session, message);
			}
		}
	};

	const restore = () => {
		if (childLogLevel !== undefined) {
			sendInternal('logging/setLevel', {level: childLogLevel});
		}

		const uris = new Set<string>();
		for (const session of sessions.values()) {
			for (const uri of session.subscriptions) {
				uris.add(uri);
			}
		}

		for (const uri of uris) {
			sendInternal('resources/subscribe', {uri});
		}

		for (const method of ['notifications/tools/list_changed', 'notifications/resources/list_changed', 'notifications/prompts/list_changed']) {
			broadcast({jsonrpc: '2.0', method});
		}
	};

	const run$ = new Observable<never>(subscriber => {
		let current: Subscription | undefined;
		let timer: Subscription | undefined;
		let failures = 0;
		let runningSince: number | undefined;

		const ended = (error?: unknown) => {
			current = undefined;
			sink = undefined;
			timer?.unsubscribe();
			timer = undefined;
			const wasRunning = state === 'running';
			const reason = error === undefined ? `${capitalize(name)} closed` : `${capitalize(name)} failed: ${describeError(error)}`;
			if (error !== undefined || !stopping) {
				lastError = error === undefined ? 'it exited' : describeError(error);
			}

			failInFlight(reason);
			if (stopping) {
				state = 'stopped';
				failQueue();
				for (const session of sessions.values()) {
					session.subscriber.complete();
				}

				subscriber.complete();
				return;
			}

			if (runningSince !== undefined && scheduler.now() - runningSince >= stableAfter) {
				failures = 0;
			}

			runningSince = undefined;
			const delay = Math.min(restartMaxDelay, restartDelay * (2 ** failures));
			failures++;
			if (wasRunning) {
				state = 'restarting';
				logger.error(`${reason}; restarting in ${delay} ms`);
			} else {
				state = 'failed';
				failQueue();
				logger.error(`${reason}; trying again in ${delay} ms`);
			}

			timer = scheduler.schedule(() => {
				timer = undefined;
				start();
			}, delay);
		};

		const start = () => {
			if (stopping) {
				return;
			}

			if (starts > 0) {
				state = 'restarting';
			}

			starts++;
			initResult = undefined;
			const outgoing$ = new Observable<Message>(outgoing => {
				sink = outgoing;
			});
			const attempt = upstream(outgoing$).subscribe({
				next: onUpstreamMessage,
				error: ended,
				complete() {
					ended();
				},
			});
			if (attempt.closed) {
				return;
			}

			current = attempt;
			timer = scheduler.schedule(() => {
				timer = undefined;
				const stuck = current;
				current = undefined;
				stuck?.unsubscribe();
				ended(new TimeoutError(`it did not answer \`initialize\` within ${initializeTimeout} ms`));
			}, initializeTimeout);
			sendInternal('initialize', {protocolVersion: proxyClientInfo.protocolVersion, capabilities: proxyCapabilities, clientInfo: {name: proxyClientInfo.name, version: proxyClientInfo.version}}, response => {
				timer?.unsubscribe();
				timer = undefined;
				if (isErrorResponse(response)) {
					const stuck = current;
					current = undefined;
					stuck?.unsubscribe();
					ended(new TransportError(`it refused \`initialize\`: ${response.error.message}`));
					return;
				}

				initResult = response.result;
				sendUpstream({jsonrpc: '2.0', method: 'notifications/initialized'});
				const restarted = starts > 1;
				state = 'running';
				runningSince = scheduler.now();
				logger.info(`${capitalize(name)} is running${restarted ? ` again (restart ${starts - 1})` : ''}`);
				if (restarted) {
					restore();
				}

				flushQueue();
			});
		};

		wakeRun = () => {
			if (current) {
				// Graceful: the upstream closes its side, then `ended` completes the run.
				sink?.complete();
			} else {
				ended();
			}
		};

		start();
		return () => {
			wakeRun = undefined;
			timer?.unsubscribe();
			current?.unsubscribe();
			sink = undefined;
		};
	});

	const session = (id: string): Transport => outgoing$ => new Observable<Message>(subscriber => {
		const state_: SessionState = {
			id,
			subscriber,
			capabilities: undefined,
			ready: false,
			inFlight: new IdMap(),
			serverRequests: new Set(),
			subscriptions: new Set(),
			logLevel: undefined,
			closed: false,
		};
		sessions.set(id, state_);

		const cleanup = () => {
			if (state_.closed) {
				return;
			}

			state_.closed = true;
			sessions.delete(id);
			let oldestUnanswered: number | undefined;
			for (const upstreamId of state_.inFlight.values()) {
				oldestUnanswered = Math.min(oldestUnanswered ?? upstreamId, upstreamId);
				requests.delete(upstreamId);
				rememberId(retiredRequests, upstreamId, maxRetired);
				sendUpstream(cancelledNotification(upstreamId, 'The client session closed'));
			}

			for (const proxyId of state_.serverRequests) {
				const entry = serverRequests.get(proxyId);
				if (entry) {
					serverRequests.delete(proxyId);
					serverRequestsByUpstream.delete(entry.upstreamId);
					sendUpstream(errorResponse(entry.upstreamId, errorCodes.connectionClosed, 'The client session closed before answering'));
				}
			}

			queue = queue.filter(item => item.session !== state_);
			requestLeft(oldestUnanswered);
			for (const uri of state_.subscriptions) {
				if (!isSubscribed(uri) && state === 'running') {
					sendInternal('resources/unsubscribe', {uri});
				}
			}
		};

		const subscription = outgoing$.subscribe({
			next(message) {
				touch();
				if (isRequest(message)) {
					onClientRequest(state_, message);
				} else if (isResponse(message)) {
					onClientResponse(state_, message);
				} else if (isNotification(message)) {
					onClientNotification(state_, message);
				}
			},
			error(error: unknown) {
				cleanup();
				subscriber.error(error);
			},
			complete() {
				cleanup();
				subscriber.complete();
			},
		});

		return () => {
			subscription.unsubscribe();
			cleanup();
		};
	});

	return {
		session,
		run$,
		close() {
			stopping = true;
			wakeRun?.();
		},
		status: () => ({
			state,
			restarts: Math.max(0, starts - 1),
			sessions: sessions.size,
			inFlight: requests.size,
			lastActivity: lastActivity === undefined ? undefined : new Date(lastActivity).toISOString(),
			lastError,
			serverInfo: initResult?.['serverInfo'],
		}),
	};
}

function capitalize(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}
