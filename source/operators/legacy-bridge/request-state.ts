/*
The bridge's `requestState`: what a 2026-07-28 client must echo back to go on with a call that a 2025 server interrupted with a request of its own. Sealed with HMAC-SHA256 under a key of this process (signed, not encrypted: it names only the bridge's own numbers and a digest), bound to the call's method and parameters, and short-lived, so a client cannot forge, alter, replay or redirect one.
*/
import {Buffer} from 'node:buffer';
import {
	createHash, createHmac, randomBytes, timingSafeEqual,
} from 'node:crypto';

/**
What a sealed state carries: the chain it continues, the round it answers (each `input_required` is a new round, so an old state cannot be replayed), the method and a digest of the original parameters, and when it expires (ms since the epoch).
*/
export type StatePayload = {
	chain: number;
	round: number;
	method: string;
	digest: string;
	expires: number;
};

export type Sealer = {
	seal(payload: StatePayload): string;
	/**
	The payload of a state this sealer made that has not expired at `now`, else `undefined` (tampered, foreign, malformed, expired).
	*/
	open(state: string, now: number): StatePayload | undefined;
};

const prefix = 'v1.';

/**
A sealer with its own key: `randomBytes(32)` unless one is given (tests).
*/
export function createSealer(key: Uint8Array = randomBytes(32)): Sealer {
	if (key.byteLength < 32) {
		throw new TypeError(`Expected the requestState key to have at least 32 bytes, got ${key.byteLength}`);
	}

	const mac = (body: string) => createHmac('sha256', key).update(prefix + body).digest();
	return {
		seal(payload) {
			const body = Buffer.from(JSON.stringify([payload.chain, payload.round, payload.method, payload.digest, payload.expires])).toString('base64url');
			return `${prefix}${body}.${mac(body).toString('base64url')}`;
		},
		open(state, now) {
			if (typeof state !== 'string' || state.length > 4096 || !state.startsWith(prefix)) {
				return undefined;
			}

			const [body, signature, extra] = state.slice(prefix.length).split('.');
			if (body === undefined || signature === undefined || extra !== undefined) {
				return undefined;
			}

			// Compared as text: a Base64 string with other spare bits decodes to the same bytes, and is not the one sealed.
			const given = Buffer.from(signature);
			const expected = Buffer.from(mac(body).toString('base64url'));
			if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
				return undefined;
			}

			const payload = decode(body);
			return payload && payload.expires > now ? payload : undefined;
		},
	};
}

function decode(body: string): StatePayload | undefined {
	try {
		const [chain, round, method, digest, expires] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown[];
		if (typeof chain === 'number' && typeof round === 'number' && typeof method === 'string' && typeof digest === 'string' && typeof expires === 'number') {
			return {
				chain, round, method, digest, expires,
			};
		}
	} catch {
		// A body that is not ours is refused below.
	}

	return undefined;
}

/**
A digest of a call's parameters as the client means them: without `_meta` (its progress token and envelope may change between rounds) and without the round's `inputResponses` and `requestState`; object keys sorted, so the same parameters in another order are the same call.
*/
export function parametersDigest(parameters: Record<string, unknown> | undefined): string {
	const {_meta: _, inputResponses: _responses, requestState: _state, ...rest} = parameters ?? {};
	return createHash('sha256').update(canonical(rest)).digest('base64url');
}

function canonical(value: unknown): string {
	if (Array.isArray(value)) {
		return `[${value.map(element => canonical(element)).join(',')}]`;
	}

	if (value !== null && typeof value === 'object') {
		const entries = Object.keys(value).toSorted().map(key => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
		return `{${entries.join(',')}}`;
	}

	return JSON.stringify(value) ?? 'null';
}
