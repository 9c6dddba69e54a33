import {parseCommandLine} from '../../source/cli/command-line.js';
import type {CliOptions} from '../../source/cli/options.js';

/**
The options a command line resolves to (it must not ask for `--help` or `--version`); `environment` stands for `process.env`.
*/
export function parse(argv: string[], environment: Record<string, string> = {}): CliOptions {
	const commandLine = parseCommandLine(argv, environment);
	if (commandLine.action !== 'run') {
		throw new Error(`Expected options to run with, got ${commandLine.action}`);
	}

	return commandLine.options;
}
