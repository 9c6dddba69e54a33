/*
Several credential providers as one (source/auth/auth-provider.ts, `combineAuth`): headers merged in order, and a refusal retried when any of them refreshed; every provider hears of every refusal.
*/
import test from 'ava';
import {combineAuth, type AuthProvider} from '../../source/auth/auth-provider.js';

type Hook = 'onUnauthorized' | 'onInsufficientScope';

function provider(name: string, headers: Record<string, string>, refreshes: Partial<Record<Hook, boolean>>, calls: string[]): AuthProvider {
	const hook = (which: Hook) => async () => {
		calls.push(`${name}.${which}`);
		return refreshes[which] ?? false;
	};

	return {
		async headers() {
			return headers;
		},
		onUnauthorized: hook('onUnauthorized'),
		onInsufficientScope: hook('onInsufficientScope'),
	};
}

test('headers are merged in order, later providers winning', async t => {
	const calls: string[] = [];
	const auth = combineAuth(provider('a', {'x-team': 'blue', authorization: 'Bearer a'}, {}, calls), provider('b', {authorization: 'Bearer b'}, {}, calls));
	t.deepEqual(await auth.headers(), {'x-team': 'blue', authorization: 'Bearer b'});
	t.deepEqual(await combineAuth().headers(), {});
});

for (const hook of ['onUnauthorized', 'onInsufficientScope'] as const) {
	test(`${hook}: every provider is asked in order, and the call is retried when any refreshed`, async t => {
		const calls: string[] = [];
		const response = new Response(null, {status: hook === 'onUnauthorized' ? 401 : 403});
		const refreshing = combineAuth(provider('a', {}, {}, calls), provider('b', {}, {[hook]: true}, calls), provider('c', {}, {}, calls));
		t.true(await refreshing[hook]!(response, {}));
		t.deepEqual(calls, [`a.${hook}`, `b.${hook}`, `c.${hook}`]);

		const none = combineAuth(provider('d', {}, {}, calls), {headers: async () => ({})});
		t.false(await none[hook]!(response, {}), 'a provider without the hook does not refresh');
		t.false(await combineAuth()[hook]!(response, {}));
	});
}
