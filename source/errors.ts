/*
The library's errors: their classes, the JSON-RPC codes a request failing because of one is answered with, how they are described, and a guard per class that also knows another copy's errors.
*/
import type {Message} from './types.js';

/**
JSON-RPC error codes used by the proxy. The negative 32000 range is the JSON-RPC "server error" range; `-32000` and `-32001` match the MCP SDK's `ConnectionClosed` and `RequestTimeout`.
*/
export const errorCodes = {
	parseError: -32_700,
	invalidRequest: -32_600,
	methodNotFound: -32_601,
	invalidParams: -32_602,
	internalError: -32_603,
	connectionClosed: -32_000,
	requestTimeout: -32_001,
	upstreamUnavailable: -32_002,
	messageTooLarge: -32_003,
	overloaded: -32_004,
} as const;

export type ErrorCode = typeof errorCodes[keyof typeof errorCodes];

/**
The base class of every error the library raises. Catch this to catch them all.
*/
export class McpProxyError extends Error {
	override name = 'McpProxyError';

	/**
	The JSON-RPC error code a request that fails because of this error is answered with.
	*/
	readonly rpcCode: number = errorCodes.internalError;
}

/**
A command-line or option error: what was wrong and how to fix it. The CLI exits with code 2.
*/
export class UsageError extends McpProxyError {
	override name = 'UsageError';
}

/**
A connection failed or was lost.
*/
export class TransportError extends McpProxyError {
	override name = 'TransportError';
	override readonly rpcCode: number = errorCodes.connectionClosed;
}

/**
A child process could not be started (`ENOENT`, `EACCES`…).
*/
export class SpawnError extends TransportError {
	override name = 'SpawnError';
	readonly command: string;

	constructor(message: string, command: string, options?: ErrorOptions) {
		super(message, options);
		this.command = command;
	}
}

/**
A child process exited while we were still talking to it.
*/
export class ChildExitError extends TransportError {
	override name = 'ChildExitError';

	readonly exitCode: number | undefined;
	readonly signal: string | undefined;

	constructor(message: string, exitCode: number | undefined, signal: string | undefined, options?: ErrorOptions) {
		super(message, options);
		this.exitCode = exitCode;
		this.signal = signal;
	}
}

/**
An HTTP peer answered with an unexpected status.
*/
export class HttpError extends TransportError {
	override name = 'HttpError';
	readonly status: number;

	constructor(message: string, status: number, options?: ErrorOptions) {
		super(message, options);
		this.status = status;
	}
}

/**
A redirect the proxy does not follow: to another origin (which the configured headers, credentials and session must never reach), or past the most hops. `location` is the target, without user name, password, query or fragment.
*/
export class RedirectError extends HttpError {
	override name = 'RedirectError';
	readonly location: string;

	constructor(message: string, status: number, location: string, options?: ErrorOptions) {
		super(message, status, options);
		this.location = location;
	}
}

/**
A peer broke the protocol: invalid JSON, a message that is not JSON-RPC, a missing header…
*/
export class ProtocolError extends McpProxyError {
	override name = 'ProtocolError';
	override readonly rpcCode: number = errorCodes.invalidRequest;
}

/**
A bounded queue, buffer or message hit its limit.
*/
export class LimitError extends McpProxyError {
	override name = 'LimitError';
	override readonly rpcCode: number = errorCodes.overloaded;
}

/**
A message over the proxy's size limit (the `maxMessageBytes` option of the transports, `--max-message-bytes` on the command line): a remote's body or event that grew past it while it arrived. The request it answers is answered with this error's message and code instead.
*/
export class MessageTooLargeError extends LimitError {
	override name = 'MessageTooLargeError';
	override readonly rpcCode: number = errorCodes.messageTooLarge;
	/**
	The limit, in bytes.
	*/
	readonly limit: number;

	constructor(message: string, limit: number, options?: ErrorOptions) {
		super(message, options);
		this.limit = limit;
	}
}

/**
How a message over the limit is described: `what` ("The remote server's answer to `tools/call`") and the limit, with how to raise it (`raise`: `raiseWith(settingNames, 'maxMessageBytes')`, or what to say instead for a limit no setting changes).
*/
export function tooLargeMessage(what: string, limit: number, bytes: number | undefined, raise: string): string {
	return `${what}${bytes === undefined ? '' : ` (${bytes} bytes)`} exceeds the proxy's limit of ${limit} bytes (${raise})`;
}

/**
A request got no answer in time.
*/
export class TimeoutError extends McpProxyError {
	override name = 'TimeoutError';
	override readonly rpcCode: number = errorCodes.requestTimeout;
}

/**
Authentication with the remote server failed (token endpoint errors, a 401 that a fresh token did not cure).
*/
export class AuthError extends TransportError {
	override name = 'AuthError';
}

/**
A sign-in the user did not complete: the browser never came back within the sign-in timeout, the user denied it, or a device code expired. Retrying on a timer would only open page after page for someone who is not there, so the reconnect operator waits for the next client request instead.
*/
export class SignInError extends AuthError {
	override name = 'SignInError';
}

/**
Whether `error`, or one of its causes, is an instance of `type`.
*/
export function hasCause(error: unknown, type: abstract new (...arguments_: any[]) => Error): boolean {
	let current = error;
	for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
		if (current instanceof type) {
			return true;
		}

		current = (current as Error).cause;
	}

	return false;
}

/**
The message of an unknown thrown value, with its causes.
*/
export function describeError(error: unknown): string {
	if (!(error instanceof Error)) {
		return String(error);
	}

	let text = error.message;
	let {cause} = error;
	let depth = 0;
	while (cause instanceof Error && depth < 4) {
		if (!text.includes(cause.message)) {
			text += text.endsWith('.') ? ` (${cause.message})` : `: ${cause.message}`;
		}

		cause = cause.cause;
		depth++;
	}

	return text;
}

/**
A remote server no longer knows our Streamable HTTP session (it answered 404 to our `Mcp-Session-Id`): the session expired or the server restarted. The client must initialize a new session; `reconnect` does that.
*/
export class SessionExpiredError extends TransportError {
	override name = 'SessionExpiredError';
	/**
	Messages the server refused because of the unknown session: they were not processed and can be sent again in the new session.
	*/
	readonly unsent: readonly Message[];

	constructor(message: string, unsent: readonly Message[] = [], options?: ErrorOptions) {
		super(message, options);
		this.unsent = unsent;
	}
}

/**
The remote server could not be reached at all (connection refused, unknown host, TLS failure…). `unsent` holds the messages that certainly never reached it, so they can be sent again once a connection works, without risk of running a request twice.
*/
export class ConnectError extends TransportError {
	override name = 'ConnectError';
	readonly unsent: readonly Message[];

	constructor(message: string, unsent: readonly Message[] = [], options?: ErrorOptions) {
		super(message, options);
		this.unsent = unsent;
	}
}

/**
The remote server does not speak the transport we tried (it answered `initialize` with 400, 404 or 405): with `transport: 'auto'`, the cue to fall back to legacy SSE.
*/
export class UnsupportedTransportError extends HttpError {
	override name = 'UnsupportedTransportError';
}

/*
The guards: one per error class, `true` for an instance of the class or of a subclass. Each class's prototype carries its name under a `Symbol.for` key, so an error made by another copy of this package (two versions in one dependency tree, a bundled copy) passes the guard of this copy too, which `instanceof` alone would miss. Minifiers rename classes, not these strings.
*/
const errorKind = Symbol.for('rx-mcp-proxy.errorKind');

function hasKind(value: unknown, kind: string): boolean {
	if (typeof value !== 'object' || value === null) {
		return false;
	}

	let prototype: unknown = Object.getPrototypeOf(value);
	for (let depth = 0; depth < 16 && typeof prototype === 'object' && prototype !== null; depth++) {
		if (Object.hasOwn(prototype, errorKind) && (prototype as Record<symbol, unknown>)[errorKind] === kind) {
			return true;
		}

		prototype = Object.getPrototypeOf(prototype);
	}

	return false;
}

function guard<T extends McpProxyError>(type: abstract new (...arguments_: any[]) => T, kind: string): (value: unknown) => value is T {
	Object.defineProperty(type.prototype, errorKind, {value: kind});
	return (value: unknown): value is T => value instanceof type || hasKind(value, kind);
}

/** Whether `value` is a `McpProxyError`: any error the library raises. */
export const isMcpProxyError = guard(McpProxyError, 'McpProxyError');
/** Whether `value` is a `UsageError`. */
export const isUsageError = guard(UsageError, 'UsageError');
/** Whether `value` is a `TransportError` (or one of its subclasses: `SpawnError`, `ChildExitError`, `HttpError`, `AuthError`, `ConnectError`, `SessionExpiredError`…). */
export const isTransportError = guard(TransportError, 'TransportError');
/** Whether `value` is a `SpawnError`. */
export const isSpawnError = guard(SpawnError, 'SpawnError');
/** Whether `value` is a `ChildExitError`. */
export const isChildExitError = guard(ChildExitError, 'ChildExitError');
/** Whether `value` is an `HttpError` (or a `RedirectError` or `UnsupportedTransportError`). */
export const isHttpError = guard(HttpError, 'HttpError');
/** Whether `value` is a `RedirectError`. */
export const isRedirectError = guard(RedirectError, 'RedirectError');
/** Whether `value` is a `ProtocolError`. */
export const isProtocolError = guard(ProtocolError, 'ProtocolError');
/** Whether `value` is a `LimitError` (or a `MessageTooLargeError`). */
export const isLimitError = guard(LimitError, 'LimitError');
/** Whether `value` is a `MessageTooLargeError`. */
export const isMessageTooLargeError = guard(MessageTooLargeError, 'MessageTooLargeError');
/** Whether `value` is a `TimeoutError`. */
export const isTimeoutError = guard(TimeoutError, 'TimeoutError');
/** Whether `value` is an `AuthError` (or a `SignInError`). */
export const isAuthError = guard(AuthError, 'AuthError');
/** Whether `value` is a `SignInError`. */
export const isSignInError = guard(SignInError, 'SignInError');
/** Whether `value` is a `SessionExpiredError`. */
export const isSessionExpiredError = guard(SessionExpiredError, 'SessionExpiredError');
/** Whether `value` is a `ConnectError`. */
export const isConnectError = guard(ConnectError, 'ConnectError');
/** Whether `value` is an `UnsupportedTransportError`. */
export const isUnsupportedTransportError = guard(UnsupportedTransportError, 'UnsupportedTransportError');
