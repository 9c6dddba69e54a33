import test from 'ava';
import {setAside, type Reason} from '../../../source/auth/authorization-code/authorize.js';
import type {StoredAuth} from '../../../source/auth/token-store.js';

const record = (): StoredAuth => ({
	serverUrl: 'https://mcp.example/mcp',
	clientInformation: {client_id: 'c'},
	tokens: {
		access_token: 'a', token_type: 'Bearer', refresh_token: 'r', issuer: 'https://as.example', scope: 's',
	},
	discovery: {authorizationServerUrl: 'https://as.example'},
});

const cases: Array<[Reason, Partial<StoredAuth>]> = [
	['refresh', {tokens: record().tokens, discovery: record().discovery}],
	['unauthorized', {
		tokens: {
			access_token: '', token_type: 'Bearer', refresh_token: 'r', issuer: 'https://as.example',
		},
	}],
	['step-up', {}],
];

for (const [reason, kept] of cases) {
	test(`what ${reason} sets aside before the SDK runs`, t => {
		const stored = record();
		setAside(stored, reason);
		t.deepEqual(stored, {serverUrl: 'https://mcp.example/mcp', clientInformation: {client_id: 'c'}, ...kept});
	});
}

test('a 401 without a refresh token drops the tokens', t => {
	const stored: StoredAuth = {serverUrl: 'https://mcp.example/mcp', tokens: {access_token: 'a', token_type: 'Bearer'}};
	setAside(stored, 'unauthorized');
	t.deepEqual(stored, {serverUrl: 'https://mcp.example/mcp'});
});
