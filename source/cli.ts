#!/usr/bin/env node
import process from 'node:process';
import v8 from 'node:v8';
import {parseCommandLine, type CliOptions} from './cli-arguments.js';
import {describeError, UsageError} from './errors.js';
import {
	defaultLogger, redactNamedSecret, redactSecret, setLogLevel,
} from './logger.js';

/**
Keep V8's young generation at its initial size (two semi-spaces of 1 MiB) instead of letting it grow to 32 MiB under load: a proxy holds little per message, so a small young generation costs a few more, shorter scavenges and saves tens of megabytes of resident memory. A user who tunes the young generation (`--max-semi-space-size` and the like, in the command line or `NODE_OPTIONS`) keeps their setting.
*/
function keepYoungGenerationSmall(): void {
	const nodeOptions = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
	if (!/semi[-_]space/.test(nodeOptions)) {
		v8.setFlagsFromString('--semi-space-growth-factor=1');
	}
}

async function main(): Promise<void> {
	keepYoungGenerationSmall();
	let options: CliOptions;
	try {
		options = parseCommandLine(process.argv.slice(2), process.env);
	} catch (error) {
		if (error instanceof UsageError) {
			process.stderr.write(`mcp-proxy: ${error.message}\n`);
			process.exit(2);
		}

		throw error;
	}

	setLogLevel(options.logLevel);
	for (const secret of [options.apiKey, options.oauth?.clientSecret, process.env['API_ACCESS_TOKEN']]) {
		redactSecret(secret);
	}

	for (const [name, value] of options.headers) {
		redactNamedSecret(name, value);
	}

	for (const warning of options.warnings) {
		defaultLogger.warning(warning);
	}

	let exitCode: number;
	if (options.mode === 'client') {
		const {runClientMode} = await import('./modes/client-mode.js');
		exitCode = await runClientMode(options);
	} else {
		const {runServerMode} = await import('./modes/server-mode.js');
		exitCode = await runServerMode(options);
	}

	// The mode has finished its own shutdown; nothing left (a child still exiting, an idle socket) may keep us alive.
	defaultLogger.debug(`Exiting with code ${exitCode}`);
	process.exit(exitCode);
}

try {
	await main();
} catch (error) {
	if (error instanceof UsageError) {
		process.stderr.write(`mcp-proxy: ${error.message}\n`);
		process.exit(2);
	}

	defaultLogger.critical(describeError(error));
	process.exit(1);
}
