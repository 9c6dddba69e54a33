import test from 'ava';
import {expiring, tokensToStore} from '../../../source/auth/authorization-code/sdk-provider.js';

test('stored tokens expire the refresh margin early, or at 90 % of a short lifetime', t => {
	t.is(tokensToStore({access_token: 'a', token_type: 'Bearer', expires_in: 3600}, undefined, 1000, 60_000).expires_at, 1000 + 3_600_000 - 60_000);
	t.is(tokensToStore({access_token: 'a', token_type: 'Bearer', expires_in: 100}, undefined, 1000, 60_000).expires_at, 1000 + 100_000 - 10_000);
	t.false('expires_at' in tokensToStore({access_token: 'a', token_type: 'Bearer'}, undefined, 1000, 60_000), 'no lifetime, no expiry');
	t.false('expires_at' in tokensToStore({access_token: 'a', token_type: 'Bearer', expires_in: 0}, undefined, 1000, 60_000));
});

test('a refresh without a new refresh token keeps the old one, from the same issuer only', t => {
	const previous = {
		access_token: 'old', token_type: 'Bearer', refresh_token: 'r1', issuer: 'https://as.example',
	};
	t.is(tokensToStore({access_token: 'new', token_type: 'Bearer', issuer: 'https://as.example'}, previous, 0, 0).refresh_token, 'r1');
	t.is(tokensToStore({
		access_token: 'new', token_type: 'Bearer', refresh_token: 'r2', issuer: 'https://as.example',
	}, previous, 0, 0).refresh_token, 'r2');
	t.false('refresh_token' in tokensToStore({access_token: 'new', token_type: 'Bearer', issuer: 'https://other.example'}, previous, 0, 0));
});

test('tokens are expiring from their expires_at on', t => {
	t.false(expiring(undefined, 10));
	t.false(expiring({access_token: 'a', token_type: 'Bearer'}, 10));
	t.false(expiring({access_token: 'a', token_type: 'Bearer', expires_at: 11}, 10));
	t.true(expiring({access_token: 'a', token_type: 'Bearer', expires_at: 10}, 10));
});
