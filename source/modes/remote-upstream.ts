import type {RemoteServerConfig} from '../config/named-servers.js';
import {pipeTransport} from '../link.js';
import type {Logger} from '../logger.js';
import type {SettingNames} from '../setting-names.js';
import {reconnect, type ReconnectOptions} from '../operators/reconnect/index.js';
import {httpAgent} from '../http/http-agent.js';
import {remote} from '../transports/remote.js';
import type {Transport} from '../types.js';

/*
The upstream of a remote server from the config file: its own connection pool, its headers, and, when asked, reconnection. Server mode imports this module only when the configuration names a remote server, so a proxy of stdio servers never loads the HTTP client stack (undici and the SSE and auth code). Tested with server mode (test/modes/server-mode.ts: a legacy SSE remote from the config).
*/

export type RemoteUpstreamOptions = {
	maxMessageBytes: number | undefined;
	/**
	Reconnect when the session is lost (a session's own remote, replaying that client's handshake); `undefined`: do not (a shared remote is re-initialized by the multiplexer).
	*/
	reconnect: Pick<ReconnectOptions, 'initialDelay' | 'maxDelay'> | undefined;
	/**
	How the transport's messages name the settings they suggest (see `HttpClientOptions`).
	*/
	settingNames: SettingNames | undefined;
	logger: Logger;
};

/**
A factory of transports to the remote server `config` names (the secrets of its headers are the caller's to register for redaction).

@example
```
const upstream = remoteUpstream(config, {maxMessageBytes: undefined, reconnect: undefined, settingNames: undefined, logger});
link(session.transport, upstream());
```
*/
export function remoteUpstream(config: RemoteServerConfig, options: RemoteUpstreamOptions): () => Transport {
	const headers: Record<string, string> = {};
	for (const [name, value] of config.headers) {
		headers[name.toLowerCase()] = value;
	}

	const {logger} = options;
	const connection = remote({
		url: config.url,
		transport: config.transport,
		headers,
		dispatcher: httpAgent({verifyTls: true}),
		maxMessageBytes: options.maxMessageBytes,
		...(options.settingNames ? {settingNames: options.settingNames} : {}),
		logger,
	});
	const reconnectOptions = options.reconnect;
	return reconnectOptions
		? () => pipeTransport(connection, reconnect({...reconnectOptions, logger}))
		: () => connection;
}
