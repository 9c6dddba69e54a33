import process from 'node:process';
import {
	concat, defer, EMPTY, filter, finalize, lastValueFrom, map, ReplaySubject, Subject,
} from 'rxjs';
import {defaultAuthDirectory, tokenStore} from '../auth/token-store.js';
import {describeError} from '../errors.js';
import {fetchWith, httpAgent} from '../http/http-agent.js';
import {defaultLogger, type Logger} from '../logger.js';
import {createRedactor, type Redactor} from '../redactor.js';
import {clientMode} from '../modes/client-mode.js';
import {signInOnly} from '../modes/sign-in-only.js';
import {messageLog} from '../operators/message-log.js';
import {processStdio} from '../transports/process-stdio.js';
import {remote} from '../transports/remote.js';
import type {Transport} from '../types.js';
import {
	authFromFlags, headersFromFlags, networkFromEnvironment, tlsFromFlags, warnAboutPlainHttp,
} from './auth-from-flags.js';
import type {CliOptions} from './options.js';
import {runMode} from './run-mode.js';
import {cliSettingNames} from './setting-names.js';
import {processSignals, shutdown, type ShutdownEvent} from './shutdown.js';

/*
The command in client mode: our standard input and output linked to the remote server at the URL, with the credentials and TLS the flags ask for, and the process around the mode — SIGINT/SIGTERM close the session gracefully, a second one or a passed shutdown deadline exits 1. Also `--sign-in` and `--reset-sign-in`. Tested through the built bin by test/modes/client-mode.ts, test/modes/client-sign-in.ts and test/reliability/client-faults.ts.
*/

/**
How long a shutdown (standard input closed, SIGINT, SIGTERM) may take before the process exits anyway.
*/
const shutdownDeadline = 5000;

/**
How long, after standard input ends, the requests already sent may take to be answered before the session closes anyway (they are then answered with an error). The shutdown deadline counts from the end of this.
*/
const drainGrace = 30_000;

function logShutdown(event: ShutdownEvent, logger: Logger): void {
	switch (event.type) {
		case 'stop': {
			logger.info(`${event.signal}: closing the session with the remote server`);
			break;
		}

		case 'again': {
			logger.warning(`${event.signal} again: exiting now`);
			break;
		}

		case 'deadline': {
			logger.error(`Shutting down took longer than ${event.after / 1000} s; exiting anyway`);
			break;
		}
	}
}

async function signInAndExit(options: Parameters<typeof signInOnly>[0], logger: Logger): Promise<number> {
	try {
		await lastValueFrom(signInOnly(options), {defaultValue: undefined});
		return 0;
	} catch (error) {
		logger.error(describeError(error));
		return 1;
	}
}

/**
Run client mode for the options; resolves with the exit code: 0 when the client closed the connection or a signal asked us to stop, 1 on a failure we cannot recover from, a second signal or a passed deadline. The redactor learns every secret the run meets; the logger should hide what it knows.
*/
export async function runClient(options: CliOptions, {
	environment = process.env, logger = defaultLogger, redactor = createRedactor(),
}: {environment?: NodeJS.ProcessEnv; logger?: Logger; redactor?: Redactor} = {}): Promise<number> {
	const url = options.url!;
	const headers = headersFromFlags(options);
	const tls = tlsFromFlags(options.verifySsl, logger);
	const network = networkFromEnvironment(environment);
	const dispatcher = httpAgent({
		...tls, ...(network.proxy ? {proxy: network.proxy} : {}), ca: [tls.ca, network.ca].filter(ca => ca !== undefined),
	});
	if (options.signIn.reset) {
		const store = tokenStore({directory: options.signIn.authDir ?? defaultAuthDirectory(environment), serverUrl: url, redactor});
		await store.reset();
		logger.info(`Forgot the stored sign-in for ${new URL(url).host} (${store.file})`);
	}

	const auth = authFromFlags(options, {
		headers, environment, fetch: fetchWith(dispatcher, logger), redactor, logger,
	});
	if (options.signIn.only) {
		const code = await signInAndExit({
			url, auth, fetch: fetchWith(dispatcher, logger), headers, clientName: 'mcp-proxy --sign-in', logger,
		}, logger);
		await dispatcher.destroy().catch(() => undefined);
		return code;
	}

	warnAboutPlainHttp(options, headers, environment, logger);
	const log = options.logMessages === undefined ? undefined : messageLog(options.logMessages, {redactor});
	const ends$ = new Subject<number>();
	const events$ = new ReplaySubject<ShutdownEvent>();
	const signals = shutdown(processSignals(), {deadline: shutdownDeadline, ends$}).subscribe(events$);
	events$.subscribe(event => {
		logShutdown(event, logger);
	});
	// When standard input ends, the deadline starts, after the grace the requests in flight get.
	const client: Transport = outgoing$ => processStdio({maxLineBytes: options.maxMessageBytes, settingNames: cliSettingNames, logger})(outgoing$).pipe(finalize(() => {
		ends$.next(drainGrace);
	}));
	const mode$ = clientMode({
		client,
		upstream: remote({
			url,
			transport: options.transport,
			headers,
			auth,
			dispatcher,
			maxMessageBytes: options.maxMessageBytes,
			settingNames: cliSettingNames,
			logger,
		}),
		reconnect: {initialDelay: options.reconnectDelay, maxDelay: options.reconnectMaxDelay, maxQueuedMessages: options.maxQueuedMessages},
		requestTimeout: options.requestTimeout,
		...(log
			? {
				onMessage(entry) {
					log.write(entry);
				},
			}
			: {}),
		stop: events$.pipe(filter(event => event.type === 'stop')),
		drainGrace,
		redactor,
		logger,
	});
	const closed$ = defer(() => {
		logger.debug('Session closed');
		return EMPTY;
	});
	const code = await runMode(concat(mode$, closed$), events$.pipe(filter(event => event.type !== 'stop'), map(() => 1)), logger);
	signals.unsubscribe();
	await log?.close();
	process.stdin.destroy();
	void dispatcher.destroy().catch(() => undefined);
	return code;
}
