/*
The CLI's modes as a library: server mode for the servers of a Claude-style file, client mode in front of a remote.
*/
import process from 'node:process';
import {fromEvent} from 'rxjs';
import {
	clientMode, loadNamedServers, processStdio, remote, serverMode,
} from 'rx-mcp-proxy';

const stop$ = fromEvent(process, 'SIGTERM');

if (process.argv[2] === 'serve') {
	serverMode({
		servers: loadNamedServers('servers.json', process.env),
		listener: {port: 8080},
		stop: stop$,
	}).subscribe({error: console.error});
} else {
	clientMode({
		client: processStdio(),
		upstream: remote({url: 'https://example.com/mcp'}),
		requestTimeout: 60_000,
		stop: stop$,
	}).subscribe({error: console.error});
}
