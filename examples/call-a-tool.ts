/*
Call a tool of a stdio server through a tapped transport, with the official SDK's client: run by test/examples.ts.
*/
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {
	pipeTransport, spawnStdio, tapMessages, toSdkTransport,
} from 'rx-mcp-proxy';

const server = pipeTransport(
	spawnStdio({command: 'node', args: ['fixtures/echo-server.js']}),
	tapMessages(({direction, message}) => {
		console.error(direction, JSON.stringify(message));
	}),
);

const client = new Client({name: 'example', version: '1.0.0'});
await client.connect(toSdkTransport(server));
const result = await client.callTool({name: 'echo', arguments: {text: 'hello'}});
console.log(JSON.stringify(result.content));
await client.close();
