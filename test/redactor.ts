import test from 'ava';
import {createLogger} from '../source/logger.js';
import {createRedactor, noRedaction} from '../source/redactor.js';

test('registered secrets are redacted; rotating ones are bounded to the newest, fixed ones are all kept', t => {
	const redactor = createRedactor();
	redactor.add('fixed-secret-one');
	for (let index = 0; index < 100; index++) {
		redactor.add(`rotating-token-${index}-end`, {rotating: true});
	}

	t.is(redactor.redact('a fixed-secret-one b'), 'a *** b');
	t.is(redactor.redact('rotating-token-99-end'), '***');
	t.is(redactor.redact('rotating-token-68-end'), '***');
	// The oldest rotating secrets were let go.
	t.is(redactor.redact('rotating-token-0-end'), 'rotating-token-0-end');
	// Too short to register: it would mask ordinary text.
	redactor.add('abc');
	t.is(redactor.redact('abc'), 'abc');
});

test('values of secret-looking names are redacted, with the credential after a scheme; other names are left alone', t => {
	const redactor = createRedactor();
	redactor.addNamed('Authorization', 'Bearer named-bearer-value');
	redactor.addNamed('X-Api-Key', 'named-api-key-value');
	redactor.addNamed('DB_PASSWORD', 'named-password-value');
	redactor.addNamed('GOOGLE_CREDENTIALS', 'named-credential-value');
	redactor.addNamed('X-Trace', 'named-trace-value');
	t.is(redactor.redact('Bearer named-bearer-value'), '***');
	t.is(redactor.redact('token named-bearer-value'), 'token ***');
	t.is(redactor.redact('named-api-key-value named-password-value named-credential-value'), '*** *** ***');
	t.is(redactor.redact('named-trace-value'), 'named-trace-value');
});

test('a command line\'s secret-looking values are redacted: flags, NAME=value, headers, URL passwords and tokens; other values are left alone', t => {
	const redactor = createRedactor();
	redactor.addArguments([
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
	const secrets = [
		'arg-Key-0001',
		'arg-Token-0002',
		'arg-Secret-0003',
		'arg-Password-0004',
		'arg-Env-0005',
		'arg-Bearer-0006',
		'arg-Url-0007',
		'arg-Query-0008',
		'arg-Apikey-0016',
		'arg-AuthToken-0017',
		'arg-Pass-0018',
	];
	for (const secret of secrets) {
		t.is(redactor.redact(`x ${secret} y`), 'x *** y', `${secret} is redacted`);
	}

	const plains = ['server.js', 'arg-Page-0009', 'arg-Port-0010', '--verbose', 'arg-Positional-0011', 'arg-Plain-0012', 'arg-Trace-0013', '40961', 'arg-Tokenizer-0014', 'arg-Author-0015', '81921'];
	for (const plain of plains) {
		t.is(redactor.redact(plain), plain, `${plain} is left alone`);
	}
});

test('two redactors do not see each other\'s secrets, and no redaction keeps nothing', t => {
	const first = createRedactor();
	const second = createRedactor();
	first.add('first-secret-1111');
	second.addNamed('Authorization', 'Bearer second-secret-2222');
	t.is(first.redact('first-secret-1111 second-secret-2222'), '*** second-secret-2222');
	t.is(second.redact('first-secret-1111 second-secret-2222'), 'first-secret-1111 ***');
	noRedaction.add('kept-nowhere-3333');
	t.is(noRedaction.redact('kept-nowhere-3333'), 'kept-nowhere-3333');
});

test('a logger hides the secrets of the redactor it is given, and only those', t => {
	const redactor = createRedactor();
	const lines: string[] = [];
	const logger = createLogger({
		redactor,
		write(line) {
			lines.push(line);
		},
	});
	const plain = createLogger({
		write(line) {
			lines.push(line);
		},
	});
	redactor.add('logged-secret-4444');
	logger.info('token logged-secret-4444 sent');
	logger.child('[child]').warning('again logged-secret-4444');
	plain.info('elsewhere logged-secret-4444');
	t.true(lines[0]!.endsWith('token *** sent\n'));
	t.true(lines[1]!.endsWith('[child]] again ***\n'));
	t.true(lines[2]!.endsWith('elsewhere logged-secret-4444\n'), 'a logger without the redactor does not know its secrets');
});
