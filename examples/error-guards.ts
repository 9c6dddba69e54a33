/*
Tell errors apart with the guards, which also know the errors of another copy of the package.
*/
import {
	isChildExitError, isSpawnError, link, processStdio, spawnStdio,
} from 'rx-mcp-proxy';

link(processStdio(), spawnStdio({command: 'my-mcp-server'})).subscribe({
	error(error: unknown) {
		if (isSpawnError(error)) {
			console.error(`Could not start ${error.command}: ${error.message}`);
		} else if (isChildExitError(error)) {
			console.error(`The server exited (code ${error.exitCode}, signal ${error.signal})`);
		} else {
			console.error(error);
		}
	},
});
