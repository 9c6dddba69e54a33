/*
The checks both faces share, as tables (source/listeners/checks/common.ts): Content-Type, a body that is not JSON-RPC, request ids already in use.
*/
import test from 'ava';
import {
	contentTypeRefusal, duplicateId, duplicateRefusal, invalidRefusal, notJson,
} from '../../../source/listeners/checks/common.js';
import type {Refusal} from '../../../source/listeners/refusal.js';
import type {Message, RequestId} from '../../../source/types.js';

const brief = (refusal: Refusal | undefined) => refusal && [refusal.status, refusal.code ?? -32_000, refusal.message];
const request = (id: RequestId): Message => ({jsonrpc: '2.0', id, method: 'ping'});
const pending = (...ids: RequestId[]) => new Set<RequestId>(ids);

test('Content-Type: none or JSON passes, anything else is 415', t => {
	for (const passes of [undefined, '', 'application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json']) {
		t.is(contentTypeRefusal(passes), undefined, `${String(passes)}`);
	}

	for (const refused of ['text/plain', 'application/xml', 'multipart/form-data', 'text/json']) {
		t.is(contentTypeRefusal(refused), notJson, `${refused}`);
	}
});

test('a body that is not JSON-RPC is 400 -32600 saying why', t => {
	t.is(invalidRefusal(undefined), undefined);
	t.deepEqual(brief(invalidRefusal('missing "jsonrpc"')), [400, -32_600, 'Invalid Request: missing "jsonrpc"']);
});

test('request ids: one already waiting for its answer, or used twice in one batch, is refused by the first such id', t => {
	const rows: Array<[string, Message[], Set<RequestId> | undefined, RequestId | undefined]> = [
		['one new', [request(1)], pending(2), undefined],
		['one waiting', [request(1)], pending(1), 1],
		['one, nothing waits', [request(1)], undefined, undefined],
		['a string id is not its number', [request('1')], pending(1), undefined],
		['a batch of new ones', [request(1), request(2), request('a')], pending(3), undefined],
		['twice in a batch', [request(1), request(2), request(1)], undefined, 1],
		['the first of several', [request(1), request(2), request(2), request(1)], pending(2), 2],
		['waiting, in a batch', [request(1), request(5)], pending(5), 5],
	];
	for (const [name, requests, waiting, expected] of rows) {
		t.is(duplicateId(requests, waiting), expected, `${name}`);
	}

	t.is(duplicateRefusal([request(1)], pending(2)), undefined);
	t.deepEqual(brief(duplicateRefusal([request('x'), request('x')], undefined)), [400, -32_600, 'Invalid Request: request id "x" is already in use']);
	t.deepEqual(brief(duplicateRefusal([request(7)], pending(7))), [400, -32_600, 'Invalid Request: request id 7 is already in use']);
});
