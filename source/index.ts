/*
The public API: what a library user composes a proxy from. Transports, operators, the listener, `link`, HTTP
middleware and credentials, the modes, errors with their guards, message guards, and the types of all of them.
Anything else is internal and may change in any release; test/index.ts lists these names so none is added by accident.
*/

// The shape of everything.
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
	isRequest, isNotification, isResponse, isErrorResponse,
} from './wire/message.js';

// Transports.
export {spawnStdio, type SpawnStdioOptions} from './transports/stdio-child/index.js';
export {processStdio, type ProcessStdioOptions} from './transports/process-stdio.js';
export {streamableHttpClient, type StreamableHttpClientOptions} from './transports/streamable-http/index.js';
export {sseClient, type SseClientOptions} from './transports/sse/index.js';
export {remote, type RemoteOptions, type RemoteTransportKind} from './transports/remote.js';
export {fromSdkTransport, toSdkTransport} from './transports/sdk-transport.js';
export type {HttpClientOptions} from './http/client-options.js';
export type {SettingNames} from './setting-names.js';

// Operators.
export {
	multiplex, type Multiplexer, type MultiplexOptions, type MultiplexStatus, type UpstreamState,
} from './operators/multiplex/index.js';
export {reconnect, type ReconnectOptions} from './operators/reconnect/index.js';
export {guardRequests, type GuardRequestsOptions} from './operators/guard-requests/index.js';
export {
	tapMessages, type TapMessagesOptions, type TappedMessage, type MessageDirection,
} from './operators/tap-messages.js';
export {messageLog, type MessageLog} from './operators/message-log.js';
export {closeWhen} from './operators/close-when.js';
export {drainOnEnd, type DrainOnEndOptions} from './operators/drain-on-end.js';

// The listener.
export {
	httpListener, type Session, type HttpListenerOptions, type ListenerStats,
} from './listeners/http-listener.js';

// HTTP: the connection pool, fetch middleware and credentials.
export {httpAgent, transportFetch, type HttpAgentOptions} from './http/http-agent.js';
export {
	withAuth, composeFetch, type AuthProvider, type FetchLike, type FetchMiddleware,
} from './http/fetch-middleware.js';
export {combineAuth} from './auth/auth-provider.js';
export {staticHeaders, bearerToken} from './auth/static-headers.js';
export {clientCredentials, type ClientCredentialsOptions} from './auth/client-credentials.js';
export type {JwtAlgorithm} from './auth/jwt.js';
export {authorizationCode, type AuthorizationCodeOptions} from './auth/authorization-code/index.js';
export {
	tokenStore, defaultAuthDirectory, type TokenStore, type TokenStoreOptions, type StoredAuth,
} from './auth/token-store.js';

// Modes: the CLI's pipelines as wiring, and the named-server configuration server mode serves.
export {clientMode, type ClientModeOptions} from './modes/client-mode.js';
export {serverMode, type ServerModeOptions} from './modes/server-mode.js';
export {signInOnly, type SignInOnlyOptions} from './modes/sign-in-only.js';
export {
	loadNamedServers, type ServerConfig, type StdioServerConfig, type RemoteServerConfig,
} from './config/named-servers.js';

// Logging, and the secrets no log line or error text may show.
export {
	createLogger, type Logger, type LogLevel, type LoggerOptions,
} from './logger.js';
export {createRedactor, noRedaction, type Redactor} from './redactor.js';

// Errors, each with its guard (true for another copy of this package's errors too).
export {
	McpProxyError,
	UsageError,
	TransportError,
	SpawnError,
	ChildExitError,
	HttpError,
	RedirectError,
	UnsupportedTransportError,
	ConnectError,
	SessionExpiredError,
	AuthError,
	SignInError,
	ProtocolError,
	LimitError,
	MessageTooLargeError,
	TimeoutError,
	isMcpProxyError,
	isUsageError,
	isTransportError,
	isSpawnError,
	isChildExitError,
	isHttpError,
	isRedirectError,
	isUnsupportedTransportError,
	isConnectError,
	isSessionExpiredError,
	isAuthError,
	isSignInError,
	isProtocolError,
	isLimitError,
	isMessageTooLargeError,
	isTimeoutError,
	errorCodes,
	type ErrorCode,
} from './errors.js';

/*
Intentionally not exported:
- checkMessage, errorResponse: the framing's own check and builder; a transport hands out only valid messages, and an
  error answer is a plain object literal.
- hasCause, describeError: how the proxy words its logs; the guards above and `error.cause` serve a caller.
- childEnvironment: what `spawnStdio` gives a child; its `env` and `passEnvironment` options say it.
- readEventStream, OversizeEvent, ReadEventStreamOptions: the SSE transports' parser, not a transport.
- ToolHeaders: the map a remote's transports share for the 2026 `Mcp-Param-*` headers; `remote()` makes one, and
  `StreamableHttpClientOptions['toolHeaders']` names its type where a caller shares one itself.
- defaultLogger, setLogLevel: one logger shared by every caller in the process; pass `logger: createLogger({level})`.
- isInsufficientScope: the test `withAuth` applies before calling `AuthProvider.onInsufficientScope`.
- readPrivateKey: `crypto.createPrivateKey(pem)` gives the `KeyObject` `clientCredentials` takes.
- defaultCallbackPort, authFileName: the defaults `authorizationCode` and `tokenStore` apply themselves.
- listenForCallback, CallbackOptions, CallbackServer, openBrowser, OpenBrowserOptions, systemBrowserCommand: the
  steps of the browser sign-in; `authorizationCode`'s `callbackPort` and `browserCommand` options choose them.
- deviceAuthorization, DeviceAuthorizationOptions, deviceCodeGrantType: the device sign-in; `authorizationCode({deviceCode: true})`.
*/
