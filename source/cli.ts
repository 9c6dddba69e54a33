#!/usr/bin/env node
import process from 'node:process';
import {parseCommandLine, type CliOptions} from './cli-arguments.js';
import {describeError, UsageError} from './errors.js';
import {defaultLogger, redactSecret, setLogLevel} from './logger.js';

async function main(): Promise<void> {
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
	const sensitiveHeaders = options.headers.filter(([name]) => /authorization|key|token|secret|cookie/i.test(name)).map(([, value]) => value);
	for (const secret of [options.apiKey, options.oauth?.clientSecret, process.env['API_ACCESS_TOKEN'], ...sensitiveHeaders, ...sensitiveHeaders.map(value => value.replace(/^\S+\s+/, ''))]) {
		redactSecret(secret);
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
