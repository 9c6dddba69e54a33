/*
The answers of authorization servers (metadata, registration, device authorization, tokens) read within one fixed bound: the auth code's own reads, and whatever the SDK's auth helpers read through the `fetch` the auth flows hand them.
*/
import {AuthError, MessageTooLargeError} from '../errors.js';
import {limitBody, readLimitedText} from '../http/body.js';
import type {FetchLike} from './auth-provider.js';

/**
The most bytes of one answer from an authorization server. Metadata, a client registration or a token take a few kilobytes; a server that sends more is broken or hostile. No flag changes it.
*/
export const authBodyLimit = 1024 * 1024;

const raise = 'a fixed limit for the answers of authorization servers';

/**
Where an answer came from, without the query.
*/
function origin(url: string | URL): string {
	if (!URL.canParse(url)) {
		return 'the authorization server';
	}

	const {origin, pathname} = new URL(url);
	return `${origin}${pathname}`;
}

/**
`fetch` whose answers' bodies error past `authBodyLimit` (see `limitBody`), however they are read: what the auth flows send every request with, and what they hand to the SDK's `auth()`.
*/
export function limitAuthBodies(fetch: FetchLike): FetchLike {
	return async (url, init) => limitBody(await fetch(url, init), authBodyLimit, `The answer from ${origin(url)}`, raise);
}

/**
An answer's body as text, read within `authBodyLimit`: over it, an `AuthError` naming the limit; a body that breaks off for another reason reads as `''` (the caller reports the status).
*/
export async function readAuthText(response: Response, url: string | URL): Promise<string> {
	try {
		return await readLimitedText(response, authBodyLimit, `The answer from ${origin(url)}`, raise);
	} catch (error) {
		if (error instanceof MessageTooLargeError) {
			throw new AuthError(error.message, {cause: error});
		}

		return '';
	}
}
