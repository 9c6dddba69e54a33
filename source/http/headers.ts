/*
Request headers as plain objects with lower-case names: the one spelling every HTTP client piece (the transports, the redirect policy, the auth middleware) merges and compares.
*/

/**
Headers as a plain object with lower-case names, so that two spellings of one name never both reach the wire.
*/
export function lowerCaseHeaders(headers: HeadersInit | undefined): Record<string, string> {
	const result: Record<string, string> = {};
	if (headers === undefined) {
		return result;
	}

	const entries = Array.isArray(headers) ? headers : (headers instanceof Headers ? [...headers.entries()] : Object.entries(headers));
	for (const [name, value] of entries) {
		result[name.toLowerCase()] = value!;
	}

	return result;
}

/**
The extra headers a transport sends with every request, lower-cased; a value with a line break or a NUL is a `TypeError` (it could smuggle a header of its own).
*/
export function checkedHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
	const result = lowerCaseHeaders(headers);
	for (const [name, value] of Object.entries(result)) {
		if (/[\r\n\0]/.test(value)) {
			throw new TypeError(`Expected the value of header \`${name}\` to have no line break or NUL`);
		}
	}

	return result;
}
