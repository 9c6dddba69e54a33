export type {
	Message,
	Request,
	Notification,
	Response,
	SuccessResponse,
	ErrorResponse,
	RequestId,
	Transport,
	TransportOperator,
	MessageOperator,
} from './types.js';
export {link, pipeTransport} from './link.js';
export {
	McpProxyError,
	UsageError,
	TransportError,
	SpawnError,
	ChildExitError,
	HttpError,
	ProtocolError,
	LimitError,
	TimeoutError,
	AuthError,
	errorCodes,
	describeError,
	type ErrorCode,
} from './errors.js';
export {
	isRequest,
	isNotification,
	isResponse,
	isErrorResponse,
	checkMessage,
	errorResponse,
} from './message.js';
export {
	createLogger,
	defaultLogger,
	setLogLevel,
	redactSecret,
	type Logger,
	type LogLevel,
	type LoggerOptions,
} from './logger.js';
export {spawnStdio, childEnvironment, type SpawnStdioOptions} from './transports/stdio-child.js';
export {processStdio, type ProcessStdioOptions} from './transports/process-stdio.js';
export {
	tapMessages,
	type TapMessagesOptions,
	type TappedMessage,
	type MessageDirection,
} from './operators/tap-messages.js';
export {messageLog, type MessageLog} from './operators/message-log.js';
export {guardRequests, type GuardRequestsOptions} from './operators/guard-requests.js';
export {fromSdkTransport, toSdkTransport} from './transports/sdk-transport.js';
export {
	httpListener,
	type Session,
	type HttpListenerOptions,
	type ListenerStats,
} from './listeners/http-listener.js';
