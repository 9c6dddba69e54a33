import {Buffer} from 'node:buffer';
import {
	createPublicKey, generateKeyPairSync, verify, constants,
} from 'node:crypto';
import test from 'ava';
import {
	algorithmFor, clientAssertion, readPrivateKey, signJwt,
} from '../../source/auth/jwt.js';

const keys = {
	rsa: generateKeyPairSync('rsa', {modulusLength: 2048}),
	p256: generateKeyPairSync('ec', {namedCurve: 'P-256'}),
	p384: generateKeyPairSync('ec', {namedCurve: 'P-384'}),
	ed25519: generateKeyPairSync('ed25519'),
};

const digests: Record<string, string | undefined> = {
	RS256: 'sha256', PS256: 'sha256', ES256: 'sha256', ES384: 'sha384', EdDSA: undefined,
};

for (const [name, pair, algorithm] of [
	['RSA', keys.rsa, 'RS256'],
	['RSA with PSS', keys.rsa, 'PS256'],
	['P-256', keys.p256, 'ES256'],
	['P-384', keys.p384, 'ES384'],
	['Ed25519', keys.ed25519, 'EdDSA'],
] as const) {
	test(`signJwt: ${name} (${algorithm}) verifies with the public key`, t => {
		const token = signJwt({sub: 'x'}, pair.privateKey, algorithm);
		const [header, payload, signature] = token.split('.');
		t.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), {alg: algorithm, typ: 'JWT'});
		t.deepEqual(JSON.parse(Buffer.from(payload!, 'base64url').toString()), {sub: 'x'});
		t.true(verify(digests[algorithm] ?? null, Buffer.from(`${header}.${payload}`), {
			key: createPublicKey(pair.privateKey),
			dsaEncoding: 'ieee-p1363',
			...(algorithm === 'PS256' ? {padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST} : {}),
		}, Buffer.from(signature!, 'base64url')));
	});
}

test('the algorithm follows the key', t => {
	t.is(algorithmFor(keys.rsa.privateKey), 'RS256');
	t.is(algorithmFor(keys.p256.privateKey), 'ES256');
	t.is(algorithmFor(keys.p384.privateKey), 'ES384');
	t.is(algorithmFor(keys.ed25519.privateKey), 'EdDSA');
});

test('a client assertion names the client, the audience, a lifetime and a unique id', t => {
	const pem = keys.p256.privateKey.export({type: 'pkcs8', format: 'pem'}).toString();
	const now = Date.UTC(2026, 0, 1);
	const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
	const first = claims(clientAssertion({
		clientId: 'proxy', audience: 'https://auth.test', key: readPrivateKey(pem), now,
	}));
	const second = claims(clientAssertion({
		clientId: 'proxy', audience: 'https://auth.test', key: readPrivateKey(pem), now,
	}));
	t.like(first, {
		iss: 'proxy', sub: 'proxy', aud: 'https://auth.test', iat: now / 1000, exp: (now / 1000) + 60,
	});
	t.not(first['jti'], second['jti']);
});

test('readPrivateKey says when a file is not a key', t => {
	t.throws(() => readPrivateKey('not a key'), {instanceOf: TypeError, message: /Not a PEM private key/});
});
