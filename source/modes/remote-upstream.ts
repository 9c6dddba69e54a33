import type {CliOptions} from '../cli/options.js';
import type {ServerConfig} from '../config/named-servers.js';
import {pipeTransport} from '../link.js';
import {redactNamedSecret, type Logger} from '../logger.js';
import {reconnect} from '../operators/reconnect/index.js';
import {httpAgent} from '../http/http-agent.js';
import {remote} from '../transports/remote.js';
import type {Transport} from '../types.js';

/**
The upstream of a remote server from the config file: its own connection pool, its headers (secrets redacted in logs), and, for isolated sessions, reconnection. Server mode imports this module only when the configuration names a remote server, so a proxy of stdio servers never loads the HTTP client stack (undici and the SSE and auth code).

@example
```
const upstream = remoteUpstream(config, options, logger);
link(session.transport, upstream());
```
*/
export function remoteUpstream(config: Extract<ServerConfig, {kind: 'remote'}>, options: CliOptions, logger: Logger): () => Transport {
	const headers: Record<string, string> = {};
	for (const [name, value] of config.headers) {
		headers[name.toLowerCase()] = value;
		redactNamedSecret(name, value);
	}

	const dispatcher = httpAgent({verifyTls: true});
	const connection = remote({
		url: config.url,
		transport: config.transport,
		headers,
		dispatcher,
		maxMessageBytes: options.maxMessageBytes,
		logger,
	});
	// Shared (multiplexed) remotes are re-initialized by the multiplexer when they drop; a session's own remote reconnects by itself, replaying that client's handshake.
	return options.isolateSessions && !options.stateless
		? () => pipeTransport(connection, reconnect({initialDelay: options.restartDelay, maxDelay: options.restartMaxDelay, logger}))
		: () => connection;
}
