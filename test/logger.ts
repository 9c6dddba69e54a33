import test from 'ava';
import {redact, redactNamedSecret, redactSecret} from '../source/logger.js';

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

test('values of secret-looking names are redacted, with the credential after a scheme; other names are left alone', t => {
	redactNamedSecret('Authorization', 'Bearer named-bearer-value');
	redactNamedSecret('X-Api-Key', 'named-api-key-value');
	redactNamedSecret('DB_PASSWORD', 'named-password-value');
	redactNamedSecret('GOOGLE_CREDENTIALS', 'named-credential-value');
	redactNamedSecret('X-Trace', 'named-trace-value');
	t.is(redact('Bearer named-bearer-value'), '***');
	t.is(redact('token named-bearer-value'), 'token ***');
	t.is(redact('named-api-key-value named-password-value named-credential-value'), '*** *** ***');
	t.is(redact('named-trace-value'), 'named-trace-value');
});
