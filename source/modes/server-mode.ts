import type {CliOptions} from '../cli-arguments.js';
import {McpProxyError} from '../errors.js';

export async function runServerMode(_options: CliOptions): Promise<number> {
	throw new McpProxyError('Server mode is being built (issue 4).');
}
