import type {CliOptions} from '../cli-arguments.js';
import {McpProxyError} from '../errors.js';

export async function runClientMode(_options: CliOptions): Promise<number> {
	throw new McpProxyError('Client mode is being built (issue 3).');
}
