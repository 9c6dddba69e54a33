import test from 'ava';
import {
	redact, redactArguments, redactNamedSecret, redactSecret,
} from '../source/logger.js';

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

test('a command line\'s secret-looking values are redacted: flags, NAME=value, headers, URL passwords and tokens; other values are left alone', t => {
	redactArguments([
		'server.js',
		'--api-key',
		'arg-Key-0001',
		'--token=arg-Token-0002',
		'--client-secret',
		'arg-Secret-0003',
		'--db-password',
		'arg-Password-0004',
		'-e',
		'GITHUB_PERSONAL_ACCESS_TOKEN=arg-Env-0005',
		'--header',
		'Authorization: Bearer arg-Bearer-0006',
		'https://user:arg-Url-0007@example.com/sse?access_token=arg-Query-0008&page=arg-Page-0009',
		'--port',
		'arg-Port-0010',
		'--auth-file',
		'--verbose',
		'--no-auth',
		'arg-Positional-0011',
		'PLAIN=arg-Plain-0012',
		'X-Trace: arg-Trace-0013',
		'--max-tokens',
		'40961',
		'--tokenizer',
		'arg-Tokenizer-0014',
		'--author',
		'arg-Author-0015',
		'MAX_TOKENS=81921',
		'--apikey',
		'arg-Apikey-0016',
		'--auth-token',
		'arg-AuthToken-0017',
		'--pass',
		'arg-Pass-0018',
	]);
	for (const secret of ['arg-Key-0001', 'arg-Token-0002', 'arg-Secret-0003', 'arg-Password-0004', 'arg-Env-0005', 'arg-Bearer-0006', 'arg-Url-0007', 'arg-Query-0008', 'arg-Apikey-0016', 'arg-AuthToken-0017', 'arg-Pass-0018']) {
		t.is(redact(`x ${secret} y`), 'x *** y', `${secret} is redacted`);
	}

	for (const plain of ['server.js', 'arg-Page-0009', 'arg-Port-0010', '--verbose', 'arg-Positional-0011', 'arg-Plain-0012', 'arg-Trace-0013', '40961', 'arg-Tokenizer-0014', 'arg-Author-0015', '81921']) {
		t.is(redact(plain), plain, `${plain} is left alone`);
	}
});
