import process from 'node:process';
import {filter, map, ReplaySubject} from 'rxjs';
import type {ServerConfig} from '../config/named-servers.js';
import {defaultLogger, type Logger} from '../logger.js';
import {createRedactor, type Redactor} from '../redactor.js';
import {messageLog} from '../operators/message-log.js';
import {serverMode} from '../modes/server-mode.js';
import type {CliOptions} from './options.js';
import {runMode} from './run-mode.js';
import {redactServerSecrets, serverConfigs} from './server-configs.js';
import {cliSettingNames} from './setting-names.js';
import {processSignals, shutdown, type ShutdownEvent} from './shutdown.js';

/*
The command in server mode: the servers and settings from the flags, the lines saying where each server is served, and the process around the mode — SIGINT/SIGTERM stop it gracefully (a second one exits 1), and after the shutdown deadline whatever is left is cut and the exit is 0. Tested through the built bin by test/modes/server-mode.ts and test/reliability/shutdown.ts.
*/

/**
How long, after the first signal, the sessions and servers may take to end before they are cut.
*/
const shutdownDeadline = 10_000;

function servingLines(configs: readonly ServerConfig[], url: string, redactor: Redactor): string {
	let text = '';
	for (const config of configs) {
		const base = config.name === '' ? url : `${url}/servers/${config.name}`;
		const what = config.kind === 'stdio' ? `\`${[config.command, ...config.args].join(' ')}\`` : config.url;
		const served = config.name === '' ? what : `"${config.name}" (${what})`;
		text += redactor.redact(`Serving ${served} at ${base}/mcp (Streamable HTTP) and ${base}/sse (SSE)\n`);
	}

	return `${text}Status at ${url}/status\n`;
}

/**
Run server mode for the options; resolves with the exit code: 0 once stopped, 1 on a failure (the port is taken) or a second signal. The redactor learns every secret the run meets; the logger should hide what it knows.
*/
export async function runServer(options: CliOptions, {logger = defaultLogger, redactor = createRedactor()}: {logger?: Logger; redactor?: Redactor} = {}): Promise<number> {
	const configs = serverConfigs(options, process.env, logger);
	// Before anything logs a command line or a URL.
	redactServerSecrets(configs, redactor);
	const log = options.logMessages === undefined ? undefined : messageLog(options.logMessages === '-' ? undefined : options.logMessages, {redactor});
	const events$ = new ReplaySubject<ShutdownEvent>();
	const signals = shutdown(processSignals(), {deadline: shutdownDeadline}).subscribe(events$);
	events$.subscribe(event => {
		if (event.type === 'stop') {
			logger.info(`${event.signal}: shutting down`);
		} else if (event.type === 'again') {
			logger.warning(`${event.signal} again: exiting now`);
		}
	});
	const mode$ = serverMode({
		servers: configs,
		listener: {
			host: options.host,
			port: options.port,
			stateless: options.stateless,
			allowOrigins: options.allowOrigins,
			allowHeaders: options.allowHeaders,
			allowHosts: options.allowHosts,
			exposeHeaders: options.exposeHeaders,
			apiKey: options.apiKey,
			maxBodyBytes: options.maxBodyBytes,
			maxSessions: options.maxSessions,
			maxQueuedBytes: options.maxQueuedBytes,
			maxSessionsPerClient: options.maxSessionsPerClient,
			sessionTimeout: options.sessionTimeout,
			handshakeTimeout: options.handshakeTimeout,
			readTimeout: options.readTimeout,
			onListening({url}) {
				process.stderr.write(servingLines(configs, url, redactor));
			},
		},
		isolateSessions: options.isolateSessions,
		passEnvironment: options.passEnvironment,
		maxMessageBytes: options.maxMessageBytes,
		requestTimeout: options.requestTimeout,
		restartDelay: options.restartDelay,
		restartMaxDelay: options.restartMaxDelay,
		startupTimeout: options.startupTimeout,
		...(log ? {onMessage: log.write} : {}),
		stop: events$.pipe(filter(event => event.type === 'stop')),
		redactor,
		settingNames: cliSettingNames,
		logger,
	});
	// A second signal exits 1 at once; the deadline only cuts what is left, and the exit is 0 as for a clean stop.
	const forced$ = events$.pipe(filter(event => event.type !== 'stop'), map(event => (event.type === 'again' ? 1 : 0)));
	const code = await runMode(mode$, forced$, logger);
	signals.unsubscribe();
	await log?.close();
	return code;
}
