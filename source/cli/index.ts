import process from 'node:process';
import v8 from 'node:v8';
import {describeError, UsageError} from '../errors.js';
import {
	createLogger, defaultLogger, setLogLevel, type Logger,
} from '../logger.js';
import {createRedactor, type Redactor} from '../redactor.js';
import {parseCommandLine} from './command-line.js';
import type {CliOptions} from './options.js';

/*
The command: argv to options to a mode, and the process around it — what goes to standard output and error, and the exit code (0 done, 1 runtime failure or a wrong configuration file, 2 usage error). Tested through the built bin, by test/cli.ts and the tests of the modes.
*/

/**
Keep V8's young generation at its initial size (two semi-spaces of 1 MiB) instead of letting it grow to 32 MiB under load: a proxy holds little per message, so a small young generation costs a few more, shorter scavenges and saves tens of megabytes of resident memory. A user who tunes the young generation (`--max-semi-space-size` and the like, in the command line or `NODE_OPTIONS`) keeps their setting.
*/
function keepYoungGenerationSmall(): void {
	const nodeOptions = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
	if (!/semi[-_]space/.test(nodeOptions)) {
		v8.setFlagsFromString('--semi-space-growth-factor=1');
	}
}

function exitWithUsageError(error: UsageError): never {
	process.stderr.write(`mcp-proxy: ${error.message}\n`);
	process.exit(2);
}

/**
Set up logging for the options: the redactor of this run, which learns the secrets the flags and the environment carry (the parts that learn more, such as tokens, are given it), the log that hides them at the level asked for, and the warnings the resolution left.
*/
function setUpLogging(options: CliOptions): {logger: Logger; redactor: Redactor} {
	const redactor = createRedactor();
	for (const secret of [options.apiKey, options.oauth?.clientSecret, process.env['API_ACCESS_TOKEN']]) {
		redactor.add(secret);
	}

	for (const [name, value] of options.headers) {
		redactor.addNamed(name, value);
	}

	// A part the command does not give its logger logs on the default one: it keeps the level asked for.
	setLogLevel(options.logLevel);
	const logger = createLogger({level: options.logLevel, redactor});
	for (const warning of options.warnings) {
		logger.warning(warning);
	}

	return {logger, redactor};
}

async function run(argv: readonly string[]): Promise<never> {
	keepYoungGenerationSmall();
	let options: CliOptions;
	try {
		const commandLine = parseCommandLine(argv, process.env);
		if (commandLine.action !== 'run') {
			process.stdout.write(commandLine.text);
			process.exit(0);
		}

		options = commandLine.options;
	} catch (error) {
		if (error instanceof UsageError) {
			exitWithUsageError(error);
		}

		throw error;
	}

	const {logger, redactor} = setUpLogging(options);
	let exitCode: number;
	try {
		if (options.mode === 'client') {
			const {runClient} = await import('./client.js');
			exitCode = await runClient(options, {logger, redactor});
		} else {
			const {runServer} = await import('./server.js');
			exitCode = await runServer(options, {logger, redactor});
		}
	} catch (error) {
		if (error instanceof UsageError) {
			exitWithUsageError(error);
		}

		if (error instanceof Error && error.name === 'ConfigFileError') {
			process.stderr.write(`mcp-proxy: ${error.message}\n`);
			process.exit(1);
		}

		logger.critical(describeError(error));
		process.exit(1);
	}

	// The mode has finished its own shutdown; nothing left (a child still exiting, an idle socket) may keep us alive.
	logger.debug(`Exiting with code ${exitCode}`);
	process.exit(exitCode);
}

/**
Run the command with `argv` (the arguments after the script's path) and exit: 0 when done, 2 on a usage error, 1 on any other failure.
*/
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
	try {
		return await run(argv);
	} catch (error) {
		if (error instanceof UsageError) {
			exitWithUsageError(error);
		}

		defaultLogger.critical(describeError(error));
		process.exit(1);
	}
}
