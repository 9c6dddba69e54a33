/*
Server mode by hand, one child for every session: multiplex shares one stdio server among the HTTP sessions.
*/
import {merge, mergeMap} from 'rxjs';
import {
	httpListener, link, multiplex, spawnStdio,
} from 'rx-mcp-proxy';

const shared = multiplex(spawnStdio({command: 'node', args: ['fixtures/echo-server.js']}), {name: 'echo'});
merge(
	shared.run$,
	httpListener({port: 8080}).pipe(mergeMap(session => link(session.transport, shared.session(session.id)))),
).subscribe();
