import {loadNamedServers, type ServerConfig} from '../config/named-servers.js';
import {UsageError} from '../errors.js';
import type {Logger} from '../logger.js';
import type {Redactor} from '../redactor.js';
import type {CliOptions} from './options.js';

/*
The servers the command line asks server mode to run: the default one (the command after the flags) and the named ones (from --named-server-config, or else --named-server), and the secrets they carry, registered for redaction before anything logs them. Tested through the built bin by test/modes/server-mode.ts (named servers) and test/reliability/secrets.ts (redaction).
*/

/**
A problem with the file `--named-server-config` names (unreadable, not JSON, an invalid entry, no enabled server): the command exits 1, as the Python mcp-proxy does for its configuration file, where a mistake on the command line exits 2.
*/
export class ConfigFileError extends Error {
	override name = 'ConfigFileError';
}

/**
The servers to run, in order: the default one first. Throws a `UsageError` when there is none, a `ConfigFileError` when the configuration file is wrong.
*/
export function serverConfigs(options: CliOptions, environment: Readonly<Record<string, string | undefined>>, logger: Logger): ServerConfig[] {
	const configs: ServerConfig[] = [];
	if (options.command !== undefined) {
		configs.push({
			kind: 'stdio', name: '', command: options.command, args: options.args, env: options.env, cwd: options.cwd,
		});
	}

	if (options.namedServerConfig === undefined) {
		for (const server of options.namedServers) {
			configs.push({
				kind: 'stdio', name: server.name, command: server.command, args: server.args, env: {}, cwd: undefined,
			});
		}
	} else {
		if (options.namedServers.length > 0) {
			logger.warning('--named-server is ignored when --named-server-config is given (as in the Python mcp-proxy).');
		}

		try {
			configs.push(...loadNamedServers(options.namedServerConfig, environment, message => {
				logger.warning(message);
			}));
		} catch (error) {
			throw error instanceof UsageError ? new ConfigFileError(error.message, {cause: error}) : error;
		}

		if (configs.length === 0) {
			throw new ConfigFileError(`${options.namedServerConfig} has no enabled server, and no command was given: nothing to run.`);
		}
	}

	if (configs.length === 0) {
		throw new UsageError('No server to run: give a command, --named-server or --named-server-config.');
	}

	return configs;
}

/**
Give `redactor` the secrets of the servers' command lines, URLs, environment variables and headers, so that no log line, child's standard error line or `/status` error shows them (an isolated server's child starts only with a session, but its command line may be logged before).
*/
export function redactServerSecrets(configs: readonly ServerConfig[], redactor: Redactor): void {
	for (const config of configs) {
		if (config.kind === 'stdio') {
			redactor.addArguments(config.args);
			for (const [name, value] of Object.entries(config.env)) {
				redactor.addNamed(name, value);
			}
		} else {
			redactor.addArguments([config.url]);
			for (const [name, value] of config.headers) {
				redactor.addNamed(name, value);
			}
		}
	}
}
