import meow from 'meow';
import {meowFlags, type ParsedFlags} from './flags.js';
import {helpText} from './help-text.js';
import type {CliOptions} from './options.js';
import type {Environment} from './parse.js';
import {prepass} from './prepass.js';
import {resolveOptions} from './resolve.js';

/*
The command line, read: the pre-pass, meow for the typed flags, then resolution into options — or the text to print for `--help` and `--version`. Pure but for file-system look-ups; printing and exiting are `index.ts`'s.
*/

/**
What the command line asks for: print a text and exit 0, or run with these options.
*/
export type CommandLine = {action: 'help' | 'version'; text: string} | {action: 'run'; options: CliOptions};

/**
Read the command line. Throws a `UsageError` (exit code 2) for a usage error.
*/
export function parseCommandLine(argv: readonly string[], environment: Environment): CommandLine {
	const pre = prepass(argv, environment);
	const cli = meow({
		importMeta: import.meta,
		argv: pre.argv,
		flags: meowFlags,
		description: false,
		autoHelp: false,
		autoVersion: false,
		allowUnknownFlags: false,
		booleanDefault: undefined,
	});
	if (pre.help) {
		return {action: 'help', text: helpText};
	}

	if (pre.version) {
		return {action: 'version', text: `mcp-proxy ${cli.pkg.version ?? 'unknown'}\n`};
	}

	// The positionals come from the pre-pass, which keeps the command's own flags among them, in order.
	return {action: 'run', options: resolveOptions(pre, cli.flags as ParsedFlags, environment)};
}
