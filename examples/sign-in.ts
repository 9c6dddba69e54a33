/*
A remote server that needs a user's sign-in: the browser flow, with tokens kept where the CLI keeps them.
*/
import process from 'node:process';
import {
	authorizationCode, defaultAuthDirectory, link, processStdio, remote, tokenStore,
} from 'rx-mcp-proxy';

const serverUrl = 'https://mcp.example.com/mcp';
const auth = authorizationCode({
	serverUrl,
	store: tokenStore({directory: defaultAuthDirectory(process.env), serverUrl}),
	browserCommand: false, // Only print the URL.
});
link(processStdio(), remote({url: serverUrl, auth})).subscribe();
