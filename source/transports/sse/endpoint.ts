/*
The legacy SSE server's `endpoint` event: the URL to POST messages to, resolved against the SSE URL and kept within its origin (the same line redirects keep to).
*/
import {ProtocolError, TransportError} from '../../errors.js';
import {previewText} from '../../http/body.js';
import {isWithinOrigin} from '../../http/redirects.js';

/**
Where the `endpoint` event's `data` says to POST, or the error that ends the transport: no valid URL, or one on another origin.
*/
export function resolveEndpoint(data: string, url: URL): URL | Error {
	let target: URL;
	try {
		target = new URL(data.trim(), url);
	} catch {
		return new ProtocolError(`The remote server's endpoint event holds no valid URL: ${previewText(data, 120)}`);
	}

	// The same line as for redirects: the configured origin (or its https form), never another.
	if (!isWithinOrigin(url, target)) {
		return new TransportError(`The remote server asked us to POST to another origin (${target.origin}); refusing. Only ${url.origin} is trusted.`);
	}

	return target;
}
