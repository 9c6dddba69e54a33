/*
Table tests of the one spelling of request headers (source/http/headers.ts): lower-case names from every form `HeadersInit` takes, and extra headers refused when a value could smuggle a header of its own.
*/
import test from 'ava';
import {checkedHeaders, lowerCaseHeaders} from '../../source/http/headers.js';

test('headers of every form become one plain object with lower-case names; of two spellings of one name the last wins', t => {
	const expected = {'content-type': 'application/json', 'x-api-key': 'k'};
	const forms: Array<[string, HeadersInit | undefined, Record<string, string>]> = [
		['a record', {'Content-Type': 'application/json', 'X-API-Key': 'k'}, expected],
		['pairs', [['Content-Type', 'application/json'], ['X-API-Key', 'k']], expected],
		['a Headers', new Headers({'Content-Type': 'application/json', 'X-API-Key': 'k'}), expected],
		['two spellings', {'X-Api-Key': 'first', 'x-api-key': 'second'}, {'x-api-key': 'second'}],
		['none', undefined, {}],
		['empty', {}, {}],
	];
	for (const [name, headers, result] of forms) {
		t.deepEqual(lowerCaseHeaders(headers), result, `${name}`);
	}
});

test('extra headers are lower-cased, and a value with a line break or a NUL is a TypeError naming the header', t => {
	t.deepEqual(checkedHeaders({Authorization: 'Bearer a b', 'X-Empty': ''}), {authorization: 'Bearer a b', 'x-empty': ''});
	t.deepEqual(checkedHeaders(undefined), {});
	for (const bad of ['a\r\nx-injected: 1', 'a\nb', 'a\rb', 'a\0b']) {
		t.throws(() => checkedHeaders({'X-Trace': bad}), {instanceOf: TypeError, message: 'Expected the value of header `x-trace` to have no line break or NUL'}, `${JSON.stringify(bad)}`);
	}
});
