/*
Fetch middleware: each request to the remote is logged, then sent with a bearer token through the proxy's own HTTP client.
*/
import {
	bearerToken, composeFetch, link, processStdio, streamableHttpClient, transportFetch, withAuth, type FetchMiddleware,
} from 'rx-mcp-proxy';

const logRequests: FetchMiddleware = next => async (url, init) => {
	console.error(init?.method ?? 'GET', String(url));
	return next(url, init);
};

// The last middleware sees a request first; transportFetch follows redirects within the origin only.
const fetch = composeFetch(transportFetch(), withAuth(bearerToken('your-token')), logRequests);
link(processStdio(), streamableHttpClient({url: 'https://example.com/mcp', fetch})).subscribe();
