import test from 'ava';
import {redact, redactSecret} from '../source/logger.js';

test('registered secrets are redacted; rotating ones are bounded to the newest, fixed ones are all kept', t => {
	redactSecret('fixed-secret-one');
	for (let index = 0; index < 100; index++) {
		redactSecret(`rotating-token-${index}-end`, {rotating: true});
	}

	t.is(redact('a fixed-secret-one b'), 'a *** b');
	t.is(redact('rotating-token-99-end'), '***');
	t.is(redact('rotating-token-68-end'), '***');
	// The oldest rotating secrets were let go.
	t.is(redact('rotating-token-0-end'), 'rotating-token-0-end');
	// Too short to register: it would mask ordinary text.
	redactSecret('abc');
	t.is(redact('abc'), 'abc');
});
