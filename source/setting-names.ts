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

/**
The advice a message over a limit ends with: ``raise it with the `maxMessageBytes` option``, or `raise it with --max-message-bytes` when the command line names its flags.
*/
export function raiseWith(names: SettingNames | undefined, option: string): string {
	return `raise it with ${settingName(names, option)}`;
}

/**
The names a layer hands to the one below it that calls the same settings by other option names: `renameSettings(names, {maxLineBytes: 'maxMessageBytes'})` names the lower layer's `maxLineBytes` as this layer's `maxMessageBytes` is named (``the `maxMessageBytes` option`` by default), so a message speaks of the option its reader set.
*/
export function renameSettings(names: SettingNames | undefined, renames: Readonly<Record<string, string>>): SettingNames {
	const renamed: Record<string, string | undefined> = {...names};
	for (const [lower, own] of Object.entries(renames)) {
		renamed[lower] = settingName(names, own);
	}

	return renamed;
}

/**
Throw a `TypeError` unless `settingNames` is absent or an object of strings.
*/
export function checkSettingNames(settingNames: unknown): void {
	if (settingNames !== undefined && (typeof settingNames !== 'object' || settingNames === null || Object.values(settingNames).some(value => typeof value !== 'string'))) {
		throw new TypeError('Expected `settingNames` to be an object of strings');
	}
}
