import test from 'ava';
import {accepts, isJsonContentType} from '../../source/listeners/http-io.js';

/*
The listener's small HTTP helpers: reading Accept and Content-Type.
*/

test('Accept and Content-Type', t => {
	t.true(accepts('application/json, text/event-stream', 'text/event-stream'));
	t.true(accepts('*/*', 'application/json'));
	t.true(accepts('text/*', 'text/event-stream'));
	t.false(accepts('application/json', 'text/event-stream'));
	t.false(accepts(undefined, 'application/json'));
	t.true(isJsonContentType('application/json; charset=utf-8'));
	t.true(isJsonContentType(undefined));
	t.true(isJsonContentType('application/vnd.api+json'));
	t.false(isJsonContentType('text/plain'));
});
