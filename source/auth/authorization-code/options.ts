/*
The options of authorizationCode: their type and documentation, the checks that turn a bad one into a `TypeError`, the stable default callback port, and the settings the flow runs with once defaults are applied.
*/
import {createHash} from 'node:crypto';
import {defaultLogger, type Logger} from '../../logger.js';
import {noRedaction, type Redactor} from '../../redactor.js';
import {checkSettingNames, renameSettings, type SettingNames} from '../../setting-names.js';
import {fetchWith} from '../../http/http-agent.js';
import type {FetchLike} from '../auth-provider.js';
import {limitAuthBodies} from '../auth-bodies.js';
import type {TokenStore} from '../token-store.js';

export type AuthorizationCodeOptions = {
	/**
	The MCP server (the protected resource).
	*/
	serverUrl: string;
	/**
	Where tokens and the client registration are kept (see `tokenStore`).
	*/
	store: TokenStore;
	/**
	A pre-registered client id; without it the client registers itself (Client ID Metadata Document or Dynamic Client Registration).
	*/
	clientId?: string;
	/**
	The pre-registered client's secret (confidential clients).
	*/
	clientSecret?: string;
	/**
	An `https://` URL that serves this client's metadata document (SEP-991); used as the client id when the authorization server announces `client_id_metadata_document_supported`.
	*/
	clientMetadataUrl?: string;
	/**
	Scopes to request when neither the server's challenge nor its metadata names any.
	*/
	scope?: string;
	/**
	The loopback port of the redirect URI; 0 takes a free one for this process.

	@default a port from 33400 to 34399 derived from `serverUrl`, stable across runs
	*/
	callbackPort?: number;
	/**
	The command that opens the sign-in URL (the URL is appended), or `false` to only print it.

	@default the system's browser opener
	*/
	browserCommand?: readonly string[] | false;
	/**
	Sign in with the device authorization grant (RFC 8628) instead of a browser redirect: the user opens a URL and enters a code on any device; no loopback callback is needed.

	@default false
	*/
	deviceCode?: boolean;
	/**
	How long to wait for the user to sign in, in milliseconds.

	@default 300000
	*/
	signInTimeout?: number;
	/**
	How many times one scope challenge (403 `insufficient_scope`) may send the user to sign in again.

	@default 2
	*/
	maxStepUps?: number;
	/**
	Tokens are refreshed this many milliseconds before they expire (or at 90 % of a short lifetime).

	@default 60000
	*/
	refreshMargin?: number;
	/**
	How messages name the settings they suggest, by option name: `callbackPort` (its port is taken), `deviceCode` (the server offers no device flow) and `headers` (the transport's, for a server that answers 401 without OAuth metadata and may expect a fixed token). By default the options themselves (``the `callbackPort` option``); a command line passes its flags (`{callbackPort: '--callback-port'}`).
	*/
	settingNames?: SettingNames;
	fetch?: FetchLike;
	now?: () => number;
	/**
	Learns the client secret, the codes and the tokens of the sign-ins, so that the log hides it (see `createRedactor`).

	@default no redaction
	*/
	redactor?: Redactor;
	logger?: Logger;
};

/**
The options with their defaults applied, and what the flow derives from them once.
*/
export type Settings = {
	readonly serverUrl: string;
	/**
	The server's host, as messages name it.
	*/
	readonly host: string;
	readonly store: TokenStore;
	readonly clientId: string | undefined;
	readonly clientSecret: string | undefined;
	readonly clientMetadataUrl: string | undefined;
	readonly scope: string | undefined;
	readonly browserCommand: readonly string[] | false | undefined;
	readonly deviceCode: boolean;
	readonly signInTimeout: number;
	readonly maxStepUps: number;
	readonly refreshMargin: number;
	readonly now: () => number;
	readonly settingNames: SettingNames | undefined;
	/**
	The names the callback server's messages use: its `port` is our `callbackPort`.
	*/
	readonly callbackSettingNames: SettingNames;
	/**
	The SDK reads metadata, registrations and tokens whole (`response.json()`): through this `fetch` those reads end at `authBodyLimit`.
	*/
	readonly fetch: FetchLike;
	/**
	The callback port asked for (0: a free one, taken at the first sign-in).
	*/
	readonly configuredPort: number;
	readonly redactor: Redactor;
	readonly logger: Logger;
};

/**
The stable default callback port of a server: 33400 plus a hash of its URL modulo 1000, so each server keeps one redirect URI (its registration stays valid) and two servers rarely share a port.

@example
```
defaultCallbackPort('https://mcp.example.com/mcp'); //=> 33871
```
*/
export function defaultCallbackPort(serverUrl: string): number {
	return 33_400 + (createHash('sha256').update(new URL(serverUrl).href).digest().readUInt32BE(0) % 1000);
}

function validate(options: AuthorizationCodeOptions): void {
	const {serverUrl, clientId, clientSecret, clientMetadataUrl} = options;
	if (!URL.canParse(serverUrl)) {
		throw new TypeError(`Expected \`serverUrl\` to be a URL, got \`${String(serverUrl)}\``);
	}

	if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) {
		throw new TypeError('Expected `clientId` to be a non-empty string');
	}

	if (clientSecret !== undefined && clientId === undefined) {
		throw new TypeError('Expected `clientId` with `clientSecret`');
	}

	if (clientMetadataUrl !== undefined && (!URL.canParse(clientMetadataUrl) || new URL(clientMetadataUrl).protocol !== 'https:' || new URL(clientMetadataUrl).pathname === '/')) {
		throw new TypeError(`Expected \`clientMetadataUrl\` to be an https URL with a path, got \`${String(clientMetadataUrl)}\``);
	}

	const configuredPort = options.callbackPort ?? 0;
	if (!Number.isInteger(configuredPort) || configuredPort < 0 || configuredPort > 65_535) {
		throw new TypeError(`Expected \`callbackPort\` to be an integer from 0 to 65535, got \`${String(configuredPort)}\``);
	}

	checkSettingNames(options.settingNames);
}

/**
Check the options (a `TypeError` names the bad one) and apply their defaults.
*/
export function resolveSettings(options: AuthorizationCodeOptions): Settings {
	validate(options);
	const {serverUrl, settingNames, logger = defaultLogger} = options;
	return {
		serverUrl,
		host: new URL(serverUrl).host,
		store: options.store,
		clientId: options.clientId,
		clientSecret: options.clientSecret,
		clientMetadataUrl: options.clientMetadataUrl,
		scope: options.scope,
		browserCommand: options.browserCommand,
		deviceCode: options.deviceCode ?? false,
		signInTimeout: options.signInTimeout ?? 300_000,
		maxStepUps: options.maxStepUps ?? 2,
		refreshMargin: options.refreshMargin ?? 60_000,
		now: options.now ?? Date.now,
		settingNames,
		callbackSettingNames: renameSettings(settingNames, {port: 'callbackPort'}),
		fetch: limitAuthBodies(options.fetch ?? fetchWith(undefined, logger)),
		configuredPort: options.callbackPort ?? defaultCallbackPort(serverUrl),
		redactor: options.redactor ?? noRedaction,
		logger,
	};
}
