/*
The secret redactor: a value that collects the secrets one run knows (tokens, keys, client secrets, secret-looking values of a command line) and replaces them by `***` in any text. Created by whoever knows the secrets (the CLI) and passed explicitly to the logger and to each part that learns a secret; nothing is shared between two redactors.
*/

export type Redactor = {
	/**
	Register a secret so that `redact` hides it wherever it appears. Secrets shorter than 4 characters are not registered (they would mask ordinary text). With `rotating`, the secret is one of a series that replace each other (access tokens): only the newest few are kept, so a long run does not grow the list without bound.
	*/
	add(secret: string | undefined, options?: {rotating?: boolean}): void;
	/**
	Register the value of a header or environment variable when its name looks secret; for a header value with a scheme (`Bearer TOKEN`, `Basic …`), the credential after the scheme too, as peers often quote it alone.
	*/
	addNamed(name: string, value: string): void;
	/**
	Register the secrets a command line carries: the value of a flag whose name looks secret (`--api-key VALUE`, `--token=VALUE`), a `NAME=VALUE` whose name looks secret (`docker run -e GITHUB_TOKEN=…`), a `Name: value` header whose name looks secret, and in a URL the password and the query values whose names look secret (`https://host/sse?token=…`). One-letter flags (`-p`) are too ambiguous to judge and are left alone.
	*/
	addArguments(args: readonly string[]): void;
	/**
	Replace every registered secret in a text by `***`.
	*/
	redact(text: string): string;
};

/**
How many rotating secrets (access tokens that are replaced as they expire) are remembered: the newest ones. Fixed secrets are all kept.
*/
export const maxRotatingSecrets = 32;

/**
Names of headers and environment variables whose values are secrets: Authorization, Cookie, and anything with key, token, secret, password or credential in it.
*/
const secretName = /authorization|key|token|secret|cookie|password|credential/i;

/**
Names of command-line flags whose values are secrets: `--api-key`, `--apikey`, `--token`, `--client-secret`, `--password`, `--auth`, `--auth-token`… A whole part of the name must say so (`--max-tokens`, `--tokenizer`, `--author` are not secret-looking), and `--no-…` flags take no value.
*/
const secretFlag = /(?:^|[-_.])(?:api-?key|key|token|secret|passw(?:or)?d|pass|passphrase|credentials?|auth|authorization|cookie|bearer)(?:$|[-_.])/i;

/**
A value made of digits only (a count, a port, a size) is never taken for a secret: registering it would mask that number everywhere in the log.
*/
const numeric = /^\d+$/;

function addUrl(redactor: Redactor, text: string): void {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return;
	}

	redactor.add(url.password);
	try {
		redactor.add(decodeURIComponent(url.password));
	} catch {
		// Not percent-encoded text: the raw form is registered.
	}

	for (const [name, value] of url.searchParams) {
		if (secretName.test(name)) {
			redactor.add(value);
			redactor.add(encodeURIComponent(value));
		}
	}
}

function addArguments(redactor: Redactor, args: readonly string[]): void {
	for (const [index, argument] of args.entries()) {
		const flag = /^--([\w.-]+)(?:=([\s\S]*))?$/.exec(argument);
		if (flag) {
			const [, name, inline] = flag as unknown as [string, string, string | undefined];
			const next = args[index + 1];
			const value = inline ?? (next?.startsWith('-') ? undefined : next);
			if (value !== undefined && secretFlag.test(name) && !name.startsWith('no-') && !numeric.test(value)) {
				redactor.add(value);
			}

			continue;
		}

		const assignment = /^([A-Za-z_]\w*)=([\s\S]*)$/.exec(argument);
		if (assignment) {
			redactor.addNamed(assignment[1]!, assignment[2]!);
			continue;
		}

		if (/^[a-z][\w+.-]*:\/\//i.test(argument)) {
			addUrl(redactor, argument);
			continue;
		}

		const header = /^([!#$%&'*+.^`|~\w-]+):[ \t]*([\s\S]+)$/.exec(argument);
		if (header) {
			redactor.addNamed(header[1]!, header[2]!);
		}
	}
}

/**
A redactor of its own, with no secret yet.

@example
```
const redactor = createRedactor();
redactor.addNamed('Authorization', 'Bearer abc123');
redactor.redact('sent Bearer abc123'); //=> 'sent ***'
const logger = createLogger({redactor});
```
*/
export function createRedactor(): Redactor {
	const secrets = new Set<string>();
	const rotatingSecrets = new Set<string>();
	const redactor: Redactor = {
		add(secret, options = {}) {
			if (!secret || secret.length < 4 || secrets.has(secret)) {
				return;
			}

			if (!options.rotating) {
				secrets.add(secret);
				return;
			}

			rotatingSecrets.delete(secret);
			rotatingSecrets.add(secret);
			if (rotatingSecrets.size > maxRotatingSecrets) {
				rotatingSecrets.delete(rotatingSecrets.values().next().value!);
			}
		},
		addNamed(name, value) {
			if (secretName.test(name) && !numeric.test(value)) {
				redactor.add(value);
				redactor.add(value.replace(/^\S+\s+/, ''));
			}
		},
		addArguments(args) {
			addArguments(redactor, args);
		},
		redact(text) {
			if (secrets.size === 0 && rotatingSecrets.size === 0) {
				return text;
			}

			let result = text;
			for (const list of [secrets, rotatingSecrets]) {
				for (const secret of list) {
					if (result.includes(secret)) {
						result = result.replaceAll(secret, '***');
					}
				}
			}

			return result;
		},
	};
	return redactor;
}

/**
The redactor of a library user who passes none: it keeps nothing and changes no text.
*/
export const noRedaction: Redactor = Object.freeze({
	add() {
		// Keeps nothing.
	},
	addNamed() {
		// Keeps nothing.
	},
	addArguments() {
		// Keeps nothing.
	},
	redact: (text: string) => text,
});
