/*
Table tests of what a failed `fetch` means (source/http/connect-errors.ts): which errors never reached the server, which are aborts, and the readable reason with its TLS hint. The errors are built as undici rejects: "fetch failed", caused by the system call's error and its code.
*/
import test from 'ava';
import {describeFetchError, isAbort, isConnectFailure} from '../../source/http/connect-errors.js';

const fetchFailed = (cause: unknown) => new TypeError('fetch failed', {cause});
const systemError = (code: string, syscall?: string) => Object.assign(new Error(`${syscall ?? 'read'} ${code} 127.0.0.1:9`), {code, syscall});

test('a connect failure is one whose code says the connection never opened, or that failed in connect, anywhere in the first five of its chain', t => {
	const cases: Array<[string, unknown, boolean]> = [
		['refused', fetchFailed(systemError('ECONNREFUSED', 'connect')), true],
		['unknown host', fetchFailed(systemError('ENOTFOUND', 'getaddrinfo')), true],
		['undici\'s connect timeout', fetchFailed(systemError('UND_ERR_CONNECT_TIMEOUT')), true],
		['a certificate refused', fetchFailed(systemError('CERT_HAS_EXPIRED')), true],
		['reset while connecting', fetchFailed(systemError('ECONNRESET', 'connect')), true],
		['timed out while connecting', fetchFailed(systemError('ETIMEDOUT', 'connect')), true],
		['reset after it opened', fetchFailed(systemError('ECONNRESET', 'read')), false],
		['the other side closed', fetchFailed(systemError('UND_ERR_SOCKET')), false],
		['the first of an AggregateError (happy eyeballs)', fetchFailed(new AggregateError([systemError('ECONNREFUSED', 'connect'), new Error('other')], 'connect failed')), true],
		['four causes deep', fetchFailed(new Error('a', {cause: new Error('b', {cause: new Error('c', {cause: systemError('ECONNREFUSED')})})})), true],
		['five causes deep: past the walk', fetchFailed(new Error('a', {cause: new Error('b', {cause: new Error('c', {cause: new Error('d', {cause: systemError('ECONNREFUSED')})})})})), false],
		['an empty code', fetchFailed(systemError('')), false],
		['not an error', 'ECONNREFUSED', false],
		['undefined', undefined, false],
	];
	for (const [name, error, expected] of cases) {
		t.is(isConnectFailure(error), expected, `${name}`);
	}
});

test('the reason is the cause\'s, not "fetch failed"; a certificate that cannot be verified gets a hint naming the settings that help, as `settingNames` names them', t => {
	t.regex(describeFetchError(fetchFailed(systemError('ECONNREFUSED', 'connect'))), /^connect ECONNREFUSED 127\.0\.0\.1:9/);
	const selfSigned = fetchFailed(Object.assign(new Error('self-signed certificate'), {code: 'DEPTH_ZERO_SELF_SIGNED_CERT'}));
	const byOption = 'self-signed certificate (trust its CA with the `ca` option of `httpAgent`, or turn verification off with the `verifyTls` option of `httpAgent`)';
	t.is(describeFetchError(selfSigned), byOption);
	const byFlag = 'self-signed certificate (trust its CA with --verify-ssl CA_PATH, or turn verification off with --no-verify-ssl)';
	t.is(describeFetchError(selfSigned, {ca: '--verify-ssl CA_PATH', verifyTls: '--no-verify-ssl'}), byFlag);
	for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
		t.regex(describeFetchError(fetchFailed(Object.assign(new Error('unverified'), {code}))), /trust its CA with/, `${code}`);
	}

	const expired = fetchFailed(Object.assign(new Error('certificate has expired'), {code: 'CERT_HAS_EXPIRED'}));
	t.notRegex(describeFetchError(expired), /trust its CA/, 'an expired certificate is not fixed by trusting its CA');
});

test('an abort is an AbortError by name or an ABORT_ERR by code', t => {
	const controller = new AbortController();
	controller.abort();
	t.true(isAbort(controller.signal.reason));
	t.true(isAbort(Object.assign(new Error('aborted'), {code: 'ABORT_ERR'})));
	t.false(isAbort(new Error('aborted')));
	t.false(isAbort(fetchFailed(systemError('ECONNRESET'))));
	t.false(isAbort('AbortError'));
});
