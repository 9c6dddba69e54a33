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
	MessageTooLargeError,
	TimeoutError,
	AuthError,
	SignInError,
	hasCause,
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
} from './wire/message.js';
export {
	createLogger,
	defaultLogger,
	setLogLevel,
	type Logger,
	type LogLevel,
	type LoggerOptions,
} from './logger.js';
export {createRedactor, noRedaction, type Redactor} from './redactor.js';
export {spawnStdio, childEnvironment, type SpawnStdioOptions} from './transports/stdio-child/index.js';
export {processStdio, type ProcessStdioOptions} from './transports/process-stdio.js';
export {
	tapMessages,
	type TapMessagesOptions,
	type TappedMessage,
	type MessageDirection,
} from './operators/tap-messages.js';
export {messageLog, type MessageLog} from './operators/message-log.js';
export {guardRequests, type GuardRequestsOptions} from './operators/guard-requests/index.js';
export {fromSdkTransport, toSdkTransport} from './transports/sdk-transport.js';
export {
	httpListener,
	type Session,
	type HttpListenerOptions,
	type ListenerStats,
} from './listeners/http-listener.js';
export {
	SessionExpiredError,
	ConnectError,
	UnsupportedTransportError,
	RedirectError,
} from './errors.js';
export {
	streamableHttpClient,
	type StreamableHttpClientOptions,
} from './transports/streamable-http/index.js';
export {sseClient, type SseClientOptions} from './transports/sse/index.js';
export {remote, type RemoteOptions, type RemoteTransportKind} from './transports/remote.js';
export type {HttpClientOptions} from './http/client-options.js';
export type {SettingNames} from './setting-names.js';
export {httpAgent, transportFetch, type HttpAgentOptions} from './http/http-agent.js';
export {readEventStream, type OversizeEvent, type ReadEventStreamOptions} from './wire/sse-reader.js';
export {reconnect, type ReconnectOptions} from './operators/reconnect/index.js';
export {
	withAuth,
	composeFetch,
	isInsufficientScope,
	type AuthProvider,
	type FetchLike,
	type FetchMiddleware,
} from './http/fetch-middleware.js';
export {combineAuth} from './auth/auth-provider.js';
export {staticHeaders, bearerToken} from './auth/static-headers.js';
export {clientCredentials, type ClientCredentialsOptions} from './auth/client-credentials.js';
export {readPrivateKey, type JwtAlgorithm} from './auth/jwt.js';
export {
	multiplex,
	type Multiplexer,
	type MultiplexOptions,
	type MultiplexStatus,
	type UpstreamState,
} from './operators/multiplex/index.js';
export {
	loadNamedServers, type ServerConfig, type StdioServerConfig, type RemoteServerConfig,
} from './config/named-servers.js';
export {closeWhen} from './operators/close-when.js';
export {drainOnEnd, type DrainOnEndOptions} from './operators/drain-on-end.js';
export {authorizationCode, defaultCallbackPort, type AuthorizationCodeOptions} from './auth/authorization-code/index.js';
export {
	tokenStore, defaultAuthDirectory, authFileName, type TokenStore, type TokenStoreOptions, type StoredAuth,
} from './auth/token-store.js';
export {listenForCallback, type CallbackOptions, type CallbackServer} from './auth/callback-server.js';
export {openBrowser, systemBrowserCommand, type OpenBrowserOptions} from './auth/open-browser.js';
export {deviceAuthorization, deviceCodeGrantType, type DeviceAuthorizationOptions} from './auth/device-code.js';
export {clientMode, type ClientModeOptions} from './modes/client-mode.js';
export {serverMode, type ServerModeOptions} from './modes/server-mode.js';
export {signInOnly, type SignInOnlyOptions} from './modes/sign-in-only.js';
