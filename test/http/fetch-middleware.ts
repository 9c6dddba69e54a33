import test from 'ava';
import {
	composeFetch, withAuth, type FetchLike, type FetchMiddleware,
} from '../../source/http/fetch-middleware.js';

/*
Fetch middleware: composition order, and credentials as middleware. The provider cases (401 retried after a refresh, 403 insufficient_scope) are in test/auth/static-headers.ts, which uses the older `withAuth(provider, fetch)` form.
*/

const recording = (seen: Array<Record<string, string>>): FetchLike => async (_url, init) => {
	seen.push(init?.headers as Record<string, string>);
	return new Response('{}', {status: seen.length === 1 ? 401 : 200});
};

const tag = (name: string, order: string[]): FetchMiddleware => next => async (url, init) => {
	order.push(name);
	return next(url, {...init, headers: {...init?.headers as Record<string, string>, [`x-${name}`]: String(order.length)}});
};

test('composeFetch wraps the base in each middleware in turn: the last given sees a request first', async t => {
	const seen: Array<Record<string, string>> = [];
	const order: string[] = [];
	const fetch = composeFetch(recording(seen), tag('inner', order), tag('outer', order));
	await fetch('http://127.0.0.1/mcp', {headers: {accept: 'x'}});
	t.deepEqual(order, ['outer', 'inner']);
	t.deepEqual(seen, [{accept: 'x', 'x-outer': '1', 'x-inner': '2'}]);
	const base = recording(seen);
	t.is(composeFetch(base), base, 'no middleware: the base itself');
});

test('withAuth(provider) is middleware; withAuth(provider, fetch) the same, applied', async t => {
	for (const make of [
		(base: FetchLike, provider: Parameters<typeof withAuth>[0]) => composeFetch(base, withAuth(provider)),
		(base: FetchLike, provider: Parameters<typeof withAuth>[0]) => withAuth(provider, base),
	]) {
		const seen: Array<Record<string, string>> = [];
		let token = 1;
		const fetch = make(recording(seen), {
			headers: () => ({Authorization: `Bearer t${token}`}),
			onUnauthorized() {
				token++;
				return true;
			},
		});
		// eslint-disable-next-line no-await-in-loop -- One form after the other.
		const response = await fetch('http://127.0.0.1/mcp', {headers: {Accept: 'x'}});
		t.is(response.status, 200);
		t.deepEqual(seen, [{accept: 'x', authorization: 'Bearer t1'}, {accept: 'x', authorization: 'Bearer t2'}]);
	}
});
