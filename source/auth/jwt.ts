/*
Signed JWTs for `private_key_jwt` client authentication: reading a private key, choosing its algorithm, and signing a client assertion.
*/
import {Buffer} from 'node:buffer';
import {
	constants,
	createPrivateKey,
	randomUUID,
	sign,
	type KeyObject,
} from 'node:crypto';

export type JwtAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export const jwtAlgorithms: readonly JwtAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
The hash each algorithm signs with (EdDSA hashes internally).
*/
function digestOf(algorithm: JwtAlgorithm): string | undefined {
	return algorithm === 'EdDSA' ? undefined : `sha${algorithm.slice(2)}`;
}

const curves: Record<string, JwtAlgorithm> = {
	prime256v1: 'ES256',
	secp384r1: 'ES384',
	secp521r1: 'ES512',
};

/**
Read a private key (PEM: PKCS#8, PKCS#1 or SEC1). Throws a `TypeError` saying what is wrong.
*/
export function readPrivateKey(pem: string | Uint8Array): KeyObject {
	try {
		return createPrivateKey({key: typeof pem === 'string' ? pem : Buffer.from(pem), format: 'pem'});
	} catch (error) {
		throw new TypeError(`Not a PEM private key: ${(error as Error).message}`, {cause: error});
	}
}

/**
The JWS algorithm that fits a key: RS256 for RSA, ES256/ES384/ES512 for the P-256/P-384/P-521 curves, EdDSA for Ed25519.
*/
export function algorithmFor(key: KeyObject): JwtAlgorithm {
	const type = key.asymmetricKeyType;
	if (type === 'rsa' || type === 'rsa-pss') {
		return type === 'rsa' ? 'RS256' : 'PS256';
	}

	if (type === 'ec') {
		const curve = key.asymmetricKeyDetails?.namedCurve;
		const algorithm = curve === undefined ? undefined : curves[curve];
		if (algorithm) {
			return algorithm;
		}

		throw new TypeError(`Unsupported elliptic curve ${String(curve)}: use P-256, P-384 or P-521`);
	}

	if (type === 'ed25519') {
		return 'EdDSA';
	}

	throw new TypeError(`Unsupported key type ${String(type)}: use RSA, EC (P-256, P-384, P-521) or Ed25519`);
}

const base64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

/**
Sign a JWT (JWS compact serialization) with node:crypto.
*/
export function signJwt(payload: Record<string, unknown>, key: KeyObject, algorithm: JwtAlgorithm = algorithmFor(key)): string {
	const input = `${base64url(JSON.stringify({alg: algorithm, typ: 'JWT'}))}.${base64url(JSON.stringify(payload))}`;
	const digest = digestOf(algorithm);
	const signature = sign(digest ?? null, Buffer.from(input), {
		key,
		dsaEncoding: 'ieee-p1363',
		...(algorithm.startsWith('PS') ? {padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST} : {}),
	});
	return `${input}.${base64url(signature)}`;
}

/**
A client assertion for `private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9): issuer and subject are the client id, the audience the authorization server, valid for a minute, with a unique id.
*/
export function clientAssertion({clientId, audience, key, algorithm, now = Date.now()}: {clientId: string; audience: string; key: KeyObject; algorithm?: JwtAlgorithm; now?: number}): string {
	const issuedAt = Math.floor(now / 1000);
	return signJwt({
		iss: clientId,
		sub: clientId,
		aud: audience,
		iat: issuedAt,
		exp: issuedAt + 60,
		jti: randomUUID(),
	}, key, algorithm);
}
