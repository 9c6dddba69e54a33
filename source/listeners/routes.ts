/*
The listener's routes: a request path read into the face and the served server it asks for (`/mcp`, `/sse`, `/messages` of the default server or under `/servers/<name>/`), or the status page.
*/
/**
What a request path asks for: one face of one served server, or the status page.
*/
export type Route = {kind: 'mcp' | 'sse' | 'messages'; server: string} | {kind: 'status'};

const endpoints = new Set(['mcp', 'sse', 'messages']);
const defaultMcpRoute: Route = Object.freeze({kind: 'mcp', server: ''});

/**
Whether a string can name a served server: `''` (the default server) or a non-empty name that survives a round trip through a URL path segment and cannot climb out of it.
*/
export function isServerName(name: string): boolean {
	if (name === '') {
		return true;
	}

	// eslint-disable-next-line no-control-regex
	return name !== '.' && name !== '..' && !/[/\\?#%\u0000-\u001F\u007F]/.test(name);
}

function decodeSegment(segment: string): string | undefined {
	if (!segment.includes('%')) {
		return segment;
	}

	try {
		return decodeURIComponent(segment);
	} catch {
		return undefined;
	}
}

/**
Match a request target (`req.url`, path and query) against the served routes, or `undefined` (404).

Segments are compared after percent-decoding, and any segment that decodes to a separator, `.` or `..` fails the match, so `/servers/../mcp`, `/servers/%2e%2e/mcp` or `/servers/a%2Fb/mcp` never reach another route. `/messages` and `/messages/` are the same route; so are `/mcp` and `/mcp/`.

@example
```
parseRoute('/servers/github/mcp', new Set(['', 'github']));
//=> {kind: 'mcp', server: 'github'}
```
*/
export function parseRoute(target: string | undefined, servers: Pick<ReadonlySet<string>, 'has'>): Route | undefined {
	// The path of nearly every request, answered without splitting it.
	if (target === '/mcp') {
		return servers.has('') ? defaultMcpRoute : undefined;
	}

	if (!target?.startsWith('/')) {
		return undefined;
	}

	const queryIndex = target.indexOf('?');
	const path = queryIndex === -1 ? target : target.slice(0, queryIndex);
	if (path.length > 2048) {
		return undefined;
	}

	const segments = path.slice(1).split('/');
	// One trailing slash is allowed: `/messages/`, `/mcp/`.
	if (segments.length > 1 && segments.at(-1) === '') {
		segments.pop();
	}

	if (segments.length === 1) {
		const [name] = segments as [string];
		if (name === 'status') {
			return {kind: 'status'};
		}

		return endpoints.has(name) && servers.has('') ? {kind: name as 'mcp' | 'sse' | 'messages', server: ''} : undefined;
	}

	if (segments.length !== 3 || segments[0] !== 'servers' || !endpoints.has(segments[2]!)) {
		return undefined;
	}

	const server = decodeSegment(segments[1]!);
	if (server === undefined || server === '' || !isServerName(server) || !servers.has(server)) {
		return undefined;
	}

	return {kind: segments[2] as 'mcp' | 'sse' | 'messages', server};
}

/**
Every server name, for `parseRoute`: which paths are shaped like a route, whatever is served.
*/
export const anyServer: Pick<ReadonlySet<string>, 'has'> = {has: () => true};

/**
The value of one query parameter of a request target, decoded, or `undefined`.
*/
export function queryParameter(target: string, name: string): string | undefined {
	const queryIndex = target.indexOf('?');
	if (queryIndex === -1) {
		return undefined;
	}

	const parameters = new URLSearchParams(target.slice(queryIndex + 1));
	return parameters.get(name) ?? undefined;
}
