import type {KeyObject} from 'node:crypto';
import {readFileSync} from 'node:fs';
import process from 'node:process';
import {finalize, Subject} from 'rxjs';
import type {CliOptions} from '../cli/options.js';
import {isLoopbackHost} from '../loopback.js';
import type {AuthProvider} from '../auth/auth-provider.js';
import {bearerToken} from '../auth/static-headers.js';
import {clientCredentials} from '../auth/client-credentials.js';
import {readPrivateKey, type JwtAlgorithm} from '../auth/jwt.js';
import {authorizationCode} from '../auth/authorization-code.js';
import {defaultAuthDirectory, tokenStore} from '../auth/token-store.js';
import {describeError, UsageError} from '../errors.js';
import {link, pipeTransport} from '../link.js';
import {defaultLogger, redactNamedSecret} from '../logger.js';
import {closeWhen} from '../operators/close-when.js';
import {drainOnEnd} from '../operators/drain-on-end.js';
import {guardRequests} from '../operators/guard-requests/index.js';
import {messageLog} from '../operators/message-log.js';
import {reconnect} from '../operators/reconnect/index.js';
import {tapMessages} from '../operators/tap-messages.js';
import {fetchWith, httpAgent} from '../http/http-agent.js';
import {processStdio} from '../transports/process-stdio.js';
import {remote} from '../transports/remote.js';
import type {Transport} from '../types.js';
import {signInOnly} from './sign-in-only.js';

/**
How long a shutdown (standard input closed, SIGINT, SIGTERM) may take before the process exits anyway.
*/
const shutdownDeadline = 5000;

/**
How long, after standard input ends, the requests already sent may take to be answered before the session closes anyway (they are then answered with an error). The shutdown deadline counts from the end of this.
*/
const drainGrace = 30_000;

function tlsSettings(verifySsl: boolean | string): {verifyTls: boolean; ca?: Uint8Array} {
	if (verifySsl === false) {
		defaultLogger.warning('TLS certificate verification is off (--no-verify-ssl): anyone on the path can read and change the traffic');
		return {verifyTls: false};
	}

	if (verifySsl === true) {
		return {verifyTls: true};
	}

	try {
		return {verifyTls: true, ca: readFileSync(verifySsl)};
	} catch (error) {
		throw new UsageError(`Cannot read the CA bundle given to --verify-ssl: ${describeError(error)}`);
	}
}

function authFor(options: CliOptions, headers: Record<string, string>, environment: NodeJS.ProcessEnv, fetch: ReturnType<typeof fetchWith>): AuthProvider | undefined {
	const token = environment['API_ACCESS_TOKEN'];
	if (options.oauth) {
		if (token) {
			defaultLogger.warning('API_ACCESS_TOKEN is ignored: OAuth client credentials are given');
		}

		if (headers['authorization'] !== undefined) {
			defaultLogger.warning('The Authorization header given with --headers is replaced by the OAuth access token');
		}

		const {clientId, clientSecret, privateKeyFile, keyAlgorithm, audience, tokenUrl, scope} = options.oauth;
		let privateKey: KeyObject | undefined;
		if (privateKeyFile !== undefined) {
			try {
				privateKey = readPrivateKey(readFileSync(privateKeyFile));
			} catch (error) {
				throw new UsageError(`\`--client-private-key\` ${privateKeyFile}: ${describeError(error)}`);
			}
		}

		return clientCredentials({
			clientId,
			...(clientSecret === undefined ? {} : {clientSecret}),
			...(privateKey === undefined ? {} : {privateKey}),
			...(keyAlgorithm === undefined ? {} : {signingAlgorithm: keyAlgorithm as JwtAlgorithm}),
			...(audience === undefined ? {} : {audience}),
			tokenUrl,
			...(scope === undefined ? {} : {scope}),
			fetch,
			logger: defaultLogger,
		});
	}

	if (token) {
		if (headers['authorization'] !== undefined) {
			defaultLogger.warning('API_ACCESS_TOKEN is ignored: an Authorization header is given with --headers');
			return undefined;
		}

		return bearerToken(token);
	}

	if (headers['authorization'] !== undefined) {
		return undefined;
	}

	// No credentials given: sign in with the browser when the server asks for it (401).
	const {signIn} = options;
	const serverUrl = options.url!;
	return authorizationCode({
		serverUrl,
		store: tokenStore({directory: signIn.authDir ?? defaultAuthDirectory(environment), serverUrl}),
		...(signIn.clientId === undefined ? {} : {clientId: signIn.clientId}),
		...(signIn.clientSecret === undefined ? {} : {clientSecret: signIn.clientSecret}),
		...(signIn.clientMetadataUrl === undefined ? {} : {clientMetadataUrl: signIn.clientMetadataUrl}),
		...(signIn.scope === undefined ? {} : {scope: signIn.scope}),
		...(signIn.callbackPort === undefined ? {} : {callbackPort: signIn.callbackPort}),
		...(signIn.browserCommand === undefined ? {} : {browserCommand: signIn.browserCommand}),
		deviceCode: signIn.deviceCode,
		signInTimeout: signIn.timeout,
		fetch,
		logger: defaultLogger,
	});
}

/**
Client mode: serve MCP on our standard input and output for a local client, and forward to the remote server at `options.url`. Resolves with the exit code: 0 when the client closed the connection or a signal asked us to stop, 1 on a failure we cannot recover from.
*/
export async function runClientMode(options: CliOptions, environment: NodeJS.ProcessEnv = process.env): Promise<number> {
	const logger = defaultLogger;
	const url = options.url!;
	const headers: Record<string, string> = {};
	for (const [name, value] of options.headers) {
		headers[name.toLowerCase()] = value;
		redactNamedSecret(name, value);
	}

	const dispatcher = httpAgent(tlsSettings(options.verifySsl));
	if (options.signIn.reset) {
		const store = tokenStore({directory: options.signIn.authDir ?? defaultAuthDirectory(environment), serverUrl: url});
		await store.reset();
		logger.info(`Forgot the stored sign-in for ${new URL(url).host} (${store.file})`);
	}

	const auth = authFor(options, headers, environment, fetchWith(dispatcher));
	if (options.signIn.only) {
		const code = await signInOnly({
			url, auth, fetch: fetchWith(dispatcher), headers, logger,
		});
		await dispatcher.destroy().catch(() => undefined);
		return code;
	}

	const {protocol, hostname} = new URL(url);
	if (protocol === 'http:' && !isLoopbackHost(hostname) && (options.oauth !== undefined || Boolean(environment['API_ACCESS_TOKEN']) || headers['authorization'] !== undefined)) {
		logger.warning(`Credentials go to ${hostname} over unencrypted HTTP: anyone on the path can read them. Use https:// if the server offers it.`);
	}

	const log = options.logMessages === undefined ? undefined : messageLog(options.logMessages);
	const stop$ = new Subject<void>();

	const upstream = pipeTransport(
		remote({
			url,
			transport: options.transport,
			headers,
			auth,
			dispatcher,
			maxMessageBytes: options.maxMessageBytes,
			logger,
		}),
		reconnect({
			initialDelay: options.reconnectDelay,
			maxDelay: options.reconnectMaxDelay,
			maxQueuedMessages: options.maxQueuedMessages,
			logger,
		}),
		guardRequests({timeout: options.requestTimeout, peerName: 'the remote server', logger}),
		...(log
			? [tapMessages(entry => {
				log.write(entry);
			})]
			: []),
		// On a signal the remote side closes first, so the requests in flight are answered (with an error) before our standard output closes.
		closeWhen(stop$),
		// When standard input ends, the requests already sent are still answered (within the shutdown deadline) before the session closes.
		drainOnEnd({grace: drainGrace}),
	);

	let deadline: NodeJS.Timeout | undefined;
	let finish: (code: number) => void = () => undefined;
	const startDeadline = (extra = 0) => {
		deadline ??= setTimeout(() => {
			logger.error(`Shutting down took longer than ${(extra + shutdownDeadline) / 1000} s; exiting anyway`);
			finish(1);
		}, extra + shutdownDeadline).unref();
	};

	const client: Transport = outgoing$ => processStdio({maxLineBytes: options.maxMessageBytes, logger})(outgoing$).pipe(finalize(() => {
		startDeadline(drainGrace);
	}));

	let signalled = false;
	const onSignal = (signal: NodeJS.Signals) => {
		if (signalled) {
			logger.warning(`${signal} again: exiting now`);
			finish(1);
			return;
		}

		signalled = true;
		logger.info(`${signal}: closing the session with the remote server`);
		startDeadline();
		stop$.next();
	};

	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);

	const code = await new Promise<number>(resolve => {
		finish = resolve;
		link(client, upstream).subscribe({
			error(error: unknown) {
				logger.critical(describeError(error));
				resolve(1);
			},
			complete() {
				logger.debug('Session closed');
				resolve(0);
			},
		});
	});

	clearTimeout(deadline);
	process.off('SIGINT', onSignal);
	process.off('SIGTERM', onSignal);
	await log?.close();
	process.stdin.destroy();
	void dispatcher.destroy().catch(() => undefined);
	// Anything still holding the event loop (a socket closing) gets a moment, not forever.
	setTimeout(() => {
		process.exit(code);
	}, 1000).unref();
	return code;
}
