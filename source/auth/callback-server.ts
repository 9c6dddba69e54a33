/*
The loopback server a browser sign-in returns to: it waits for the authorization server's redirect with the code (or its error), checks the state, answers the browser with a page, and closes.
*/
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {AuthError, SignInError} from '../errors.js';
import {defaultLogger, type Logger} from '../logger.js';
import {noRedaction, type Redactor} from '../redactor.js';
import {checkSettingNames, settingName, type SettingNames} from '../setting-names.js';

export type CallbackOptions = {
	/**
	The port to listen on; 0 takes any free one (then the redirect URL changes from run to run).
	*/
	port: number;
	/**
	@default '127.0.0.1'
	*/
	host?: string;
	/**
	@default '/oauth/callback'
	*/
	path?: string;
	/**
	The `state` the authorization request carried: a redirect with another one is refused (cross-site request forgery).
	*/
	state: string;
	/**
	The authorization server's issuer identifier: a redirect whose `iss` differs is refused (RFC 9207, mix-up attacks).
	*/
	issuer?: string;
	/**
	The server announced `authorization_response_iss_parameter_supported`: a redirect without `iss` is refused.
	*/
	issuerRequired?: boolean;
	/**
	How long to wait for the browser to come back, in milliseconds.

	@default 300000
	*/
	timeout?: number;
	/**
	How messages name the settings they suggest: a port already taken says to choose another with `port` as this names it (by default ``the `port` option``).
	*/
	settingNames?: SettingNames;
	/**
	Learns the code received, so that the log hides it (see `createRedactor`).

	@default no redaction
	*/
	redactor?: Redactor;
	logger?: Logger;
};

export type CallbackServer = {
	/**
	The redirect URI: `http://HOST:PORT/PATH`.
	*/
	redirectUrl: URL;
	/**
	The authorization code, once the browser came back with a valid redirect; rejects with an `AuthError` on an error redirect, an `iss` mismatch or the timeout.
	*/
	code: Promise<string>;
	close(): Promise<void>;
};

const page = (title: string, text: string) => `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body>\n`;

const escapeHtml = (text: string) => text.replaceAll(/[&<>"']/g, character => `&#${character.codePointAt(0)!};`);

/**
The loopback end of the authorization code flow (RFC 8252 §7.3): an HTTP server on `host:port` that waits for the browser's redirect to `path`, checks `state` and `iss`, answers the browser with a short page, and yields the code. Redirects with the wrong `state` are refused and waiting goes on; everything else ends the wait.

@example
```
const callback = await listenForCallback({port: 33418, state});
openBrowser(authorizationUrl);
const code = await callback.code;
await callback.close();
```
*/
export async function listenForCallback(options: CallbackOptions): Promise<CallbackServer> {
	const {
		port, host = '127.0.0.1', path = '/oauth/callback', state, issuer, issuerRequired = false, timeout = 300_000, settingNames, logger = defaultLogger, redactor = noRedaction,
	} = options;
	checkSettingNames(settingNames);
	if (!Number.isInteger(port) || port < 0 || port > 65_535) {
		throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got \`${String(port)}\``);
	}

	if (typeof state !== 'string' || state === '') {
		throw new TypeError('Expected `state` to be a non-empty string');
	}

	let resolve!: (code: string) => void;
	let reject!: (error: Error) => void;
	const code = new Promise<string>((resolve_, reject_) => {
		resolve = resolve_;
		reject = reject_;
	});
	code.catch(() => undefined);

	const server = http.createServer((request, response) => {
		const url = new URL(request.url ?? '/', 'http://localhost');
		const answer = (status: number, title: string, text: string) => {
			response.writeHead(status, {'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close'});
			response.end(page(title, escapeHtml(text)));
		};

		if (request.method !== 'GET' || url.pathname !== path) {
			answer(404, 'Not found', 'This is the sign-in callback of mcp-proxy.');
			return;
		}

		const parameters = url.searchParams;
		if (parameters.get('state') !== state) {
			logger.warning('Ignored a sign-in redirect with an unexpected `state` (a stale browser tab, or a forged request)');
			answer(400, 'Sign-in failed', 'This sign-in link is stale or forged (its state does not match). Start again from the newest link.');
			return;
		}

		const iss = parameters.get('iss');
		if ((iss !== null && issuer !== undefined && iss !== issuer) || (iss === null && issuerRequired)) {
			answer(400, 'Sign-in failed', 'The redirect does not come from the expected authorization server.');
			reject(new AuthError(`The sign-in redirect names the issuer \`${iss ?? '(none)'}\`, expected \`${issuer ?? '?'}\` (RFC 9207): refused`));
			return;
		}

		const error = parameters.get('error');
		if (error !== null) {
			const description = parameters.get('error_description');
			answer(400, 'Sign-in failed', `The authorization server answered: ${error}${description ? ` (${description})` : ''}.`);
			reject(new SignInError(`The authorization server refused the sign-in: ${error}${description ? `: ${description}` : ''}`));
			return;
		}

		const received = parameters.get('code');
		if (!received) {
			answer(400, 'Sign-in failed', 'The redirect carries no authorization code.');
			return;
		}

		redactor.add(received);
		answer(200, 'Signed in', 'mcp-proxy is signed in. You can close this tab.');
		resolve(received);
	});

	await new Promise<void>((resolve_, reject_) => {
		server.once('error', error => {
			const hint = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ` (port ${port} is taken; choose another with ${settingName(settingNames, 'port')})` : '';
			reject_(new AuthError(`Cannot listen for the sign-in redirect on ${host}:${port}${hint}: ${error.message}`, {cause: error}));
		});
		server.listen(port, host, () => {
			resolve_();
		});
	});

	const timer = setTimeout(() => {
		reject(new SignInError(`No sign-in within ${Math.round(timeout / 1000)} s; gave up waiting for the browser`));
	}, timeout);
	timer.unref();

	const {port: actual} = server.address() as AddressInfo;
	const hostInUrl = host.includes(':') ? `[${host}]` : host;
	return {
		redirectUrl: new URL(`http://${hostInUrl}:${actual}${path}`),
		code,
		async close() {
			clearTimeout(timer);
			reject(new SignInError('The sign-in was abandoned'));
			server.closeAllConnections();
			await new Promise<void>(resolve_ => {
				server.close(() => {
					resolve_();
				});
			});
		},
	};
}
