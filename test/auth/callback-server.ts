import test from 'ava';
import {listenForCallback} from '../../source/auth/callback-server.js';
import {createLogger} from '../../source/logger.js';

const logger = createLogger({level: 'silent'});

test('the code of a redirect with the right state and issuer', async t => {
	const callback = await listenForCallback({
		port: 0, state: 's1', issuer: 'https://auth.test/', logger,
	});
	t.teardown(async () => callback.close());
	t.regex(callback.redirectUrl.href, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
	const response = await fetch(`${callback.redirectUrl.href}?code=abc&state=s1&iss=${encodeURIComponent('https://auth.test/')}`);
	t.is(response.status, 200);
	t.is(await callback.code, 'abc');
});

test('a redirect with another state is refused and waiting goes on', async t => {
	const callback = await listenForCallback({port: 0, state: 'right', logger});
	t.teardown(async () => callback.close());
	const forged = await fetch(`${callback.redirectUrl.href}?code=evil&state=wrong`);
	t.is(forged.status, 400);
	const other = await fetch(new URL('/elsewhere', callback.redirectUrl));
	t.is(other.status, 404);
	const good = await fetch(`${callback.redirectUrl.href}?code=good&state=right`);
	t.is(good.status, 200);
	t.is(await callback.code, 'good');
});

test('an error redirect (a SignInError: the user said no), a wrong iss, a missing required iss end the wait with an AuthError', async t => {
	const denied = await listenForCallback({port: 0, state: 's', logger});
	t.teardown(async () => denied.close());
	await fetch(`${denied.redirectUrl.href}?error=access_denied&error_description=no&state=s`);
	await t.throwsAsync(denied.code, {name: 'SignInError', message: /refused the sign-in: access_denied: no/});

	const mixUp = await listenForCallback({
		port: 0, state: 's', issuer: 'https://auth.test/', logger,
	});
	t.teardown(async () => mixUp.close());
	await fetch(`${mixUp.redirectUrl.href}?code=c&state=s&iss=https%3A%2F%2Fevil.test%2F`);
	await t.throwsAsync(mixUp.code, {name: 'AuthError', message: /RFC 9207/});

	const required = await listenForCallback({
		port: 0, state: 's', issuer: 'https://auth.test/', issuerRequired: true, logger,
	});
	t.teardown(async () => required.close());
	await fetch(`${required.redirectUrl.href}?code=c&state=s`);
	await t.throwsAsync(required.code, {name: 'AuthError', message: /issuer `\(none\)`/});
});

test('no redirect within the timeout: a SignInError (nobody came back)', async t => {
	const callback = await listenForCallback({
		port: 0, state: 's', timeout: 50, logger,
	});
	t.teardown(async () => callback.close());
	await t.throwsAsync(callback.code, {name: 'SignInError', message: /No sign-in within/});
});

test('a taken port is a clear error; options are validated', async t => {
	const first = await listenForCallback({port: 0, state: 's', logger});
	t.teardown(async () => first.close());
	const taken = Number(first.redirectUrl.port);
	await t.throwsAsync(listenForCallback({port: taken, state: 's', logger}), {message: /is taken; choose another with the `port` option\)/});
	await t.throwsAsync(listenForCallback({
		port: taken, state: 's', settingNames: {port: '--callback-port'}, logger,
	}), {message: /is taken; choose another with --callback-port\)/});
	await t.throwsAsync(listenForCallback({
		port: 0, state: 's', settingNames: {port: 1} as unknown as Record<string, string>, logger,
	}), {instanceOf: TypeError, message: 'Expected `settingNames` to be an object of strings'});
	await t.throwsAsync(listenForCallback({port: 70_000, state: 's', logger}), {instanceOf: TypeError});
	await t.throwsAsync(listenForCallback({port: 0, state: '', logger}), {instanceOf: TypeError});
});
