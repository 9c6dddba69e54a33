import test from 'ava';
import {bearerToken, staticHeaders} from '../../source/auth/static-headers.js';
import {combineAuth, isInsufficientScope, withAuth} from '../../source/auth/auth-provider.js';
import {createRedactor} from '../../source/redactor.js';

test('bearerToken sends Authorization: Bearer and registers the token as a secret', async t => {
	const redactor = createRedactor();
	t.deepEqual(await bearerToken('tok-abc-123', {redactor}).headers(), {authorization: 'Bearer tok-abc-123'});
	t.is(redactor.redact('sent tok-abc-123'), 'sent ***');
	t.throws(() => bearerToken(''), {instanceOf: TypeError});
	t.throws(() => bearerToken('a\nb'), {instanceOf: TypeError});
});

test('staticHeaders lower-cases names, and secret-looking values are redacted', async t => {
	const redactor = createRedactor();
	t.deepEqual(await staticHeaders({'X-Api-Key': 'key-987-xyz', 'X-Team': 'blue'}, {redactor}).headers(), {'x-api-key': 'key-987-xyz', 'x-team': 'blue'});
	t.is(redactor.redact('key-987-xyz blue'), '*** blue');
	t.throws(() => staticHeaders({'X-Bad': 'a\r\nInjected: yes'}), {instanceOf: TypeError});
});

test('withAuth merges headers without duplicating names, and retries a 401 only when the provider refreshed', async t => {
	const seen: Array<Record<string, string>> = [];
	let status = 401;
	const fake = async (_url: string | URL, init?: RequestInit) => {
		seen.push(init!.headers as Record<string, string>);
		const response = new Response('{}', {status});
		status = 200;
		return response;
	};

	let refreshed = 0;
	const provider = combineAuth(staticHeaders({'X-Team': 'blue'}), {
		headers: () => ({Authorization: `Bearer t${refreshed}`}),
		onUnauthorized() {
			refreshed++;
			return true;
		},
	});
	const response = await withAuth(provider, fake)('http://127.0.0.1/mcp', {headers: {authorization: 'Bearer old', accept: 'x'}});
	t.is(response.status, 200);
	t.deepEqual(seen, [
		{authorization: 'Bearer t0', accept: 'x', 'x-team': 'blue'},
		{authorization: 'Bearer t1', accept: 'x', 'x-team': 'blue'},
	]);

	status = 401;
	const refused = await withAuth({headers: () => ({})}, fake)('http://127.0.0.1/mcp');
	t.is(refused.status, 401);
});

test('withAuth: a 403 insufficient_scope goes to onInsufficientScope (step-up), any other 403 is returned as is', async t => {
	const replies = [
		new Response('{}', {status: 403, headers: {'www-authenticate': 'Bearer error="insufficient_scope", scope="a b"'}}),
		new Response('{}', {status: 200}),
		new Response('{}', {status: 403, headers: {'www-authenticate': 'Bearer error="invalid_token"'}}),
		new Response('{}', {status: 403}),
	];
	const fake = async () => replies.shift()!;
	const stepUps: string[] = [];
	const provider = combineAuth({
		headers: () => ({authorization: `Bearer s${stepUps.length}`}),
		onInsufficientScope(response, sent) {
			stepUps.push(`${response.headers.get('www-authenticate')!} / ${sent['authorization']!}`);
			return true;
		},
	});
	const authorized = withAuth(provider, fake);
	const status = async () => {
		const response = await authorized('http://127.0.0.1/mcp');
		return response.status;
	};

	t.is(await status(), 200);
	t.deepEqual(stepUps, ['Bearer error="insufficient_scope", scope="a b" / Bearer s0']);
	t.is(await status(), 403);
	t.is(await status(), 403);
	t.is(stepUps.length, 1);
	t.true(isInsufficientScope(new Response('', {status: 403, headers: {'www-authenticate': 'Bearer realm="x", error=insufficient_scope'}})));
	t.false(isInsufficientScope(new Response('', {status: 401, headers: {'www-authenticate': 'Bearer error="insufficient_scope"'}})));
});
