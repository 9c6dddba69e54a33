// MCP sessions opened by the benchmark: one official SDK Client per session, over Streamable HTTP or stdio.
// The Streamable HTTP client behaves as the SDK does by default for every profile: after `initialized` it
// opens the GET stream for server-to-client messages (a server without one answers 405 and none is held).
import process from 'node:process';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js';
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {lastLines} from './service.js';

const clientInfo = {name: 'rx-mcp-proxy-bench', version: '1.0.0'};

function newClient() {
	return new Client(clientInfo, {capabilities: {}});
}

/**
@typedef {object} Session
@property {(name: string, input: object) => Promise<string>} call Call a tool; resolves to the text of its first content block.
@property {() => Promise<void>} close End the session (DELETE for Streamable HTTP) and its connection.
@property {number} [pid] The stdio child of a stdio session.
*/

function sessionOf(client, transport, {timeoutMs}) {
	return {
		async call(name, input) {
			const result = await client.callTool({name, arguments: input}, undefined, {timeout: timeoutMs});
			const text = result.content?.[0]?.text;
			if (result.isError || typeof text !== 'string') {
				throw new Error(`${name} failed: ${JSON.stringify(result).slice(0, 200)}`);
			}

			return text;
		},
		async close() {
			if (typeof transport.terminateSession === 'function') {
				await transport.terminateSession().catch(() => undefined);
			}

			await client.close().catch(() => undefined);
		},
		get pid() {
			return transport.pid ?? undefined;
		},
	};
}

/**
Open an initialized session over Streamable HTTP.
@param {string} url
@returns {Promise<Session>}
*/
export async function openHttpSession(url, {timeoutMs = 30_000} = {}) {
	const client = newClient();
	const transport = new StreamableHTTPClientTransport(new URL(url));
	await client.connect(transport, {timeout: timeoutMs});
	return sessionOf(client, transport, {timeoutMs});
}

/**
Open an initialized session with a stdio server the SDK client spawns.
@param {{command: string, args: string[], env?: object, cwd?: string}} spec
@returns {Promise<Session>}
*/
export async function openStdioSession({command, args, env, cwd}, {timeoutMs = 30_000} = {}) {
	const client = newClient();
	const transport = new StdioClientTransport({
		command, args, cwd, env: {...process.env, ...env}, stderr: 'pipe',
	});
	let stderr = '';
	transport.stderr?.on('data', chunk => {
		stderr = (stderr + chunk.toString('utf8')).slice(-8192);
	});
	try {
		await client.connect(transport, {timeout: timeoutMs});
	} catch (error) {
		await client.close().catch(() => undefined);
		throw new Error(`${error.message}; stderr: ${lastLines(stderr)}`, {cause: error});
	}

	return sessionOf(client, transport, {timeoutMs});
}
