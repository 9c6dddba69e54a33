import type {SettingNames} from '../setting-names.js';
import {flags, kebab, type FlagName} from './flags.js';

/*
The command line's setting names: what a library message calls the setting behind an option when the CLI runs it. The modes pass these down as `settingNames`, so "raise it with the `maxMessageBytes` option" reads "raise it with --max-message-bytes" to a CLI user; nothing below the CLI spells a flag.
*/

/**
Every flag by the library option of the same name: `{maxMessageBytes: '--max-message-bytes', isolateSessions: '--isolate-sessions', …}`. Derived from the flag table, so a new flag is named here as soon as it has a row; then the library options a flag of another name sets: the stdio transports' `maxLineBytes` (`--max-message-bytes`), `httpAgent`'s `ca` and `verifyTls` (`--verify-ssl`), the listener's `allowHosts` (`--allow-host`), and the HTTP transports' `headers` and `auth` (`-H` or `API_ACCESS_TOKEN`, the OAuth flags).
*/
export const cliSettingNames: SettingNames = {
	...Object.fromEntries((Object.keys(flags) as FlagName[])
		.filter(name => flags[name].kind !== 'action')
		.map(name => [name, `--${kebab(name)}`])),
	maxLineBytes: '--max-message-bytes',
	// A fixed token, and the credentials a 401 refused: the transports' `headers` and `auth`.
	headers: '-H Authorization \'Bearer TOKEN\' (or API_ACCESS_TOKEN)',
	auth: 'the OAuth client flags',
	ca: '--verify-ssl CA_PATH',
	verifyTls: '--no-verify-ssl',
	allowHosts: '--allow-host',
};
