/*
A remote server behind OAuth 2 client credentials: the token is fetched, cached and refreshed by the provider.
*/
import process from 'node:process';
import {
	clientCredentials, link, processStdio, remote,
} from 'rx-mcp-proxy';

const auth = clientCredentials({
	tokenUrl: 'https://auth.example.com/oauth/token',
	clientId: 'proxy',
	clientSecret: process.env['CLIENT_SECRET'],
	scope: 'mcp',
});
link(processStdio(), remote({url: 'https://example.com/mcp', auth})).subscribe();
