/*
What a failed `fetch` means: whether it never reached the server (so the request certainly was not processed), whether it was an abort, and a readable reason (undici's "fetch failed" says nothing, its cause does).
*/
import {describeError} from '../errors.js';
import type {SettingNames} from '../setting-names.js';

const connectCodes = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EADDRNOTAVAIL',
	'UND_ERR_CONNECT_TIMEOUT',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
The first error in `error`'s chain (its causes, and the first of an AggregateError's errors; 5 deep at most) for which `pick` gives a value.
*/
function inChain<T>(error: unknown, pick: (error: NodeJS.ErrnoException) => T | undefined): T | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
		const picked = pick(current);
		if (picked !== undefined) {
			return picked;
		}

		current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] as unknown : current.cause;
	}

	return undefined;
}

function errorCode(error: unknown): string | undefined {
	return inChain(error, ({code}) => (typeof code === 'string' && code !== '' ? code : undefined));
}

/**
Whether an error in the chain failed in the `connect` system call: the connection never opened (a reset during the handshake, as a closing listener's backlog gets, or a timeout), so no byte of the request was written.
*/
function failedToConnect(error: unknown): boolean {
	return inChain(error, ({syscall}) => (syscall === 'connect' ? true : undefined)) ?? false;
}

/**
Whether a failed `fetch` never reached the server (refused, unknown host, TLS refused, reset or timed out while connecting…), so the request certainly was not processed.
*/
export function isConnectFailure(error: unknown): boolean {
	const code = errorCode(error);
	return (code !== undefined && connectCodes.has(code)) || failedToConnect(error);
}

/**
How a TLS hint names a setting of `httpAgent` (`ca`, `verifyTls`): as `settingNames` names it, else as that option.
*/
function agentSetting(settingNames: SettingNames | undefined, option: string): string {
	return settingNames?.[option] ?? `the \`${option}\` option of \`httpAgent\``;
}

/**
A readable reason for a failed `fetch`: undici's "fetch failed" says nothing, its cause does. A certificate that cannot be verified gets a hint naming the settings of the connection pool that help, as `settingNames` names them.
*/
export function describeFetchError(error: unknown, settingNames?: SettingNames): string {
	const code = errorCode(error);
	let text = describeError(error).replace(/^fetch failed: /, '');
	if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') {
		text += ` (trust its CA with ${agentSetting(settingNames, 'ca')}, or turn verification off with ${agentSetting(settingNames, 'verifyTls')})`;
	}

	return text;
}

export function isAbort(error: unknown): boolean {
	return error instanceof Error && (error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ABORT_ERR');
}
