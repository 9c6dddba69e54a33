/*
Opening a URL in the user's browser for a sign-in: the system's command per platform, or one the user chose; a failure is logged, never fatal (the URL is also printed).
*/
import {spawn} from 'node:child_process';
import process from 'node:process';
import {AuthError, describeError} from '../errors.js';
import {defaultLogger, type Logger} from '../logger.js';

export type OpenBrowserOptions = {
	/**
	The command that opens a URL, as words (the URL is appended as the last argument); `false` only prints the URL.

	@default the system's: `xdg-open` (Linux and others), `open` (macOS), `rundll32 url.dll,FileProtocolHandler` (Windows)
	*/
	command?: readonly string[] | false;
	logger?: Logger;
};

/**
The system command that opens a URL in the default browser.

@example
```
systemBrowserCommand('darwin'); //=> ['open']
```
*/
export function systemBrowserCommand(platform: NodeJS.Platform = process.platform): string[] {
	if (platform === 'darwin') {
		return ['open'];
	}

	if (platform === 'win32') {
		// Not `cmd /c start`: cmd would interpret the `&` between query parameters.
		return ['rundll32', 'url.dll,FileProtocolHandler'];
	}

	return ['xdg-open'];
}

/**
Show the user a sign-in URL: always printed to standard error (for machines without a browser, or when the browser does not come up), and opened with the browser command unless `command` is `false`. The command runs detached, without a shell, with the URL as one argument; it failing is logged, not thrown (the printed URL still works). Only `https:` and `http:` URLs are accepted: the URL comes from the authorization server's metadata, and a hostile server must not make the system opener run a `file:` path or another protocol handler.

@example
```
openBrowser(new URL('https://auth.example.com/authorize?…'), {command: false});
```
*/
export function openBrowser(url: URL, options: OpenBrowserOptions = {}): void {
	const {command = systemBrowserCommand(), logger = defaultLogger} = options;
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw new AuthError(`Refusing to open the sign-in URL: its scheme \`${url.protocol}\` is not https: or http:`);
	}

	if (/[\s"'`<>\\^|]/.test(url.href)) {
		throw new AuthError('Refusing to open the sign-in URL: it contains characters a URL never needs');
	}

	if (command !== false && command.length === 0) {
		throw new TypeError('Expected `command` to have at least one word, or to be `false`');
	}

	logger.info(`Sign in to continue: open this URL in a browser:\n\n    ${url.href}\n`);
	if (command === false) {
		return;
	}

	const [program, ...arguments_] = command;
	try {
		const child = spawn(program!, [...arguments_, url.href], {detached: true, stdio: ['ignore', 'ignore', 'inherit'], windowsHide: true});
		child.on('error', error => {
			logger.warning(`Cannot open a browser with \`${program}\`: ${describeError(error)}; open the URL above yourself`);
		});
		child.unref();
	} catch (error) {
		logger.warning(`Cannot open a browser with \`${program}\`: ${describeError(error)}; open the URL above yourself`);
	}
}
