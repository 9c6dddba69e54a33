/*
How a message names the setting that changes a limit or a timeout. Library code speaks of its own options ("the `maxMessageBytes` option"); the command line passes the names of its flags, so the same message tells a CLI user which flag to raise. Nothing below the CLI spells a flag.
*/

/**
Names of settings as the user knows them, by library option name: `{maxMessageBytes: '--max-message-bytes'}`.
*/
export type SettingNames = Readonly<Partial<Record<string, string>>>;

/**
How a message names the setting behind library option `option`: the name `names` gives it, else the option itself.

@example
```
settingName(undefined, 'maxMessageBytes'); //=> 'the `maxMessageBytes` option'
settingName({maxMessageBytes: '--max-message-bytes'}, 'maxMessageBytes'); //=> '--max-message-bytes'
```
*/
export function settingName(names: SettingNames | undefined, option: string): string {
	return names?.[option] ?? `the \`${option}\` option`;
}
