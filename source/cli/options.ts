import type {LogLevel} from '../logger.js';

/*
The options the command line resolves to: plain data, what the modes are given. The CLI is the only place that builds them (`resolve.ts`); a new flag adds its field here. Types only, so no test of its own: test/cli/resolve.ts checks what the fields hold.
*/

export type RemoteTransportKind = 'auto' | 'sse' | 'streamablehttp';

export type NamedServerDefinition = {
	name: string;
	command: string;
	args: string[];
};

export type CliOptions = {
	mode: 'client' | 'server';
	// Client mode.
	url: string | undefined;
	headers: Array<[string, string]>;
	transport: RemoteTransportKind;
	/**
	OAuth 2 client credentials: a client secret, or a private key file for `private_key_jwt`.
	*/
	oauth: {
		clientId: string;
		clientSecret: string | undefined;
		privateKeyFile: string | undefined;
		keyAlgorithm: string | undefined;
		audience: string | undefined;
		tokenUrl: string;
		scope: string | undefined;
	} | undefined;
	/**
	Browser sign-in (the MCP authorization flow), used when the remote server answers 401 and no other credentials are given.
	*/
	signIn: {
		/**
		Where tokens and client registrations are kept.
		*/
		authDir: string | undefined;
		/**
		The loopback port of the redirect URI; `undefined`: derived from the URL.
		*/
		callbackPort: number | undefined;
		/**
		The command that opens the sign-in URL; `false`: only print it; `undefined`: the system's.
		*/
		browserCommand: string[] | false | undefined;
		/**
		A pre-registered client.
		*/
		clientId: string | undefined;
		clientSecret: string | undefined;
		clientMetadataUrl: string | undefined;
		scope: string | undefined;
		timeout: number;
		/**
		Sign in with the device authorization grant (RFC 8628) instead of a browser redirect.
		*/
		deviceCode: boolean;
		/**
		Sign in (if the server asks) and exit, without serving MCP on standard input and output.
		*/
		only: boolean;
		/**
		Forget the stored tokens and registration of this server before starting.
		*/
		reset: boolean;
	};
	/**
	`true`/`false`, or the path of a CA bundle to trust.
	*/
	verifySsl: boolean | string;
	reconnectDelay: number;
	reconnectMaxDelay: number;
	maxQueuedMessages: number;
	// Server mode.
	command: string | undefined;
	args: string[];
	env: Record<string, string>;
	cwd: string | undefined;
	passEnvironment: boolean;
	namedServers: NamedServerDefinition[];
	namedServerConfig: string | undefined;
	host: string;
	port: number;
	stateless: boolean;
	allowOrigins: string[];
	allowHeaders: string[];
	allowHosts: string[];
	exposeHeaders: string[];
	isolateSessions: boolean;
	apiKey: string | undefined;
	allowUnauthenticated: boolean;
	sessionTimeout: number;
	/**
	How long a client may take to complete initialization (send anything after `initialize`).
	*/
	handshakeTimeout: number;
	maxBodyBytes: number;
	maxSessions: number;
	/**
	Bytes of messages the listener may hold for all clients together.
	*/
	maxQueuedBytes: number;
	maxSessionsPerClient: number;
	restartDelay: number;
	restartMaxDelay: number;
	/**
	How long a shared server may take to answer the proxy's `initialize` before it is restarted.
	*/
	startupTimeout: number;
	/**
	How long an HTTP client may take to send a whole request.
	*/
	readTimeout: number;
	// Both.
	logLevel: LogLevel;
	/**
	`undefined`: off; `'-'`: standard error; otherwise a file path.
	*/
	logMessages: string | undefined;
	maxMessageBytes: number;
	requestTimeout: number;
	/**
	Warnings to log once logging is set up (flags that do not apply to the mode…).
	*/
	warnings: string[];
};

