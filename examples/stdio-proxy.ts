/*
A stdio → stdio proxy that logs every message to a file: two transports linked, one of them tapped.
*/
import {
	link, messageLog, pipeTransport, processStdio, spawnStdio, tapMessages,
} from 'rx-mcp-proxy';

const log = messageLog('messages.jsonl');
link(
	processStdio(),
	pipeTransport(spawnStdio({command: 'node', args: ['fixtures/echo-server.js']}), tapMessages(log.write)),
).subscribe({
	async complete() {
		await log.close();
	},
});
