/*
Server mode by hand, one child per session: each HTTP session is linked to a stdio server of its own.
*/
import {mergeMap} from 'rxjs';
import {httpListener, link, spawnStdio} from 'rx-mcp-proxy';

const server = () => spawnStdio({command: 'node', args: ['fixtures/echo-server.js']});
httpListener({
	port: 8080,
	onListening({url}) {
		console.error(`Serving ${url}/mcp and ${url}/sse`);
	},
}).pipe(mergeMap(session => link(session.transport, server()))).subscribe();
