/*
The simplest AuthProviders: fixed headers, and a bearer token; their values are added to the redactor they are given, so no log line shows them.
*/
import {noRedaction, type Redactor} from '../redactor.js';
import type {AuthProvider} from './auth-provider.js';

/**
Fixed headers on every request (`-H NAME VALUE`). Values of headers whose names look secret are registered with `redactor` (see its `addNamed`).

@example
```
const auth = staticHeaders({'X-Api-Key': 'abc123'});
```
*/
export function staticHeaders(headers: Readonly<Record<string, string>>, {redactor = noRedaction}: {redactor?: Redactor} = {}): AuthProvider {
	const copy: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) {
		copy[name.toLowerCase()] = value;
		if (/[\r\n\0]/.test(value)) {
			throw new TypeError(`Expected the value of header \`${name}\` to have no line break or NUL`);
		}

		redactor.addNamed(name, value);
	}

	return {
		headers: () => copy,
	};
}

/**
`Authorization: Bearer TOKEN` on every request (what `API_ACCESS_TOKEN` sets). The token is registered with `redactor`.

@example
```
const auth = bearerToken(process.env.API_ACCESS_TOKEN!);
```
*/
export function bearerToken(token: string, {redactor = noRedaction}: {redactor?: Redactor} = {}): AuthProvider {
	if (typeof token !== 'string' || token.trim() === '') {
		throw new TypeError('Expected `token` to be a non-empty string');
	}

	if (/[\r\n\0]/.test(token)) {
		throw new TypeError('Expected `token` to have no line break or NUL');
	}

	redactor.add(token);
	const headers = {authorization: `Bearer ${token}`};
	return {
		headers: () => headers,
	};
}
