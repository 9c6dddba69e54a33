/*
Tests of the bridge's sealed requestState: what it seals opens again under the same key before it expires, and nothing else does (another key, any changed character, a foreign format, an expired one); the parameters' digest ignores `_meta`, the round's fields and key order, and nothing else.
*/
import {Buffer} from 'node:buffer';
import test from 'ava';
import {createSealer, parametersDigest, type StatePayload} from '../../../source/operators/legacy-bridge/request-state.js';

const key = new Uint8Array(32).fill(7);
const payload: StatePayload = {
	chain: 3, round: 1, method: 'tools/call', digest: 'abc', expires: 2000,
};

test('a sealed state opens to its payload until it expires', t => {
	const sealer = createSealer(key);
	const state = sealer.seal(payload);
	t.regex(state, /^v1(?:\.[\w-]+){2}$/);
	t.deepEqual(sealer.open(state, 1999), payload);
	t.is(sealer.open(state, 2000), undefined);
});

test('a state sealed under another key, altered in any character, or not ours at all does not open', t => {
	const sealer = createSealer(key);
	const state = sealer.seal(payload);
	t.is(createSealer(new Uint8Array(32).fill(8)).open(state, 0), undefined);
	// The last character's spare bits too: another Base64 spelling of the same signature is not the state sealed.
	const signature = state.split('.')[2]!;
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
	const spare = [...alphabet].find(character => character !== signature.at(-1) && Buffer.from(`${signature.slice(0, -1)}${character}`, 'base64url').equals(Buffer.from(signature, 'base64url')));
	t.is(typeof spare, 'string');
	t.is(sealer.open(`${state.slice(0, -1)}${spare!}`, 0), undefined);
	for (let index = 0; index < state.length; index++) {
		const altered = `${state.slice(0, index)}${state[index] === 'A' ? 'B' : 'A'}${state.slice(index + 1)}`;
		t.is(sealer.open(altered, 0), undefined, `character ${index}`);
	}

	const forged = `v1.${Buffer.from(JSON.stringify([3, 1, 'tools/call', 'abc', 9e15])).toString('base64url')}.${state.split('.')[2]!}`;
	for (const foreign of ['', 'v1.', 'v1..', `${state}.x`, 'v2.a.b', forged, 'x'.repeat(5000)]) {
		t.is(sealer.open(foreign, 0), undefined, `${foreign.slice(0, 40)}`);
	}
});

test('a key shorter than 32 bytes is refused', t => {
	t.throws(() => createSealer(new Uint8Array(16)), {instanceOf: TypeError, message: 'Expected the requestState key to have at least 32 bytes, got 16'});
});

test('the digest of a call\'s parameters ignores _meta, inputResponses, requestState and key order, and sees everything else', t => {
	const base = parametersDigest({name: 'elicit', arguments: {a: 1, b: [1, {c: 2}]}});
	t.is(parametersDigest({
		arguments: {b: [1, {c: 2}], a: 1}, name: 'elicit', _meta: {progressToken: 9}, inputResponses: {x: {}}, requestState: 's',
	}), base);
	t.not(parametersDigest({name: 'elicit', arguments: {a: 1, b: [{c: 2}, 1]}}), base);
	t.not(parametersDigest({name: 'other', arguments: {a: 1, b: [1, {c: 2}]}}), base);
	t.not(parametersDigest({name: 'elicit', arguments: {a: '1', b: [1, {c: 2}]}}), base);
	t.is(parametersDigest(undefined), parametersDigest({}));
});
