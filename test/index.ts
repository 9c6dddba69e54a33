/*
The public API: source/index.ts exports exactly the names listed here (an accidental export fails), every exported error class has its `is…` guard, and the guards know errors made by another copy of the package.
*/
import {readFile} from 'node:fs/promises';
import test from 'ava';
import ts from 'typescript';
import * as api from '../source/index.js';
import * as errors from '../source/errors.js';
import {root} from './helpers/fixtures.js';

/** The values, sorted by code unit (capitals first). */
const values = `
	AuthError ChildExitError ConnectError HttpError LimitError McpProxyError MessageTooLargeError ProtocolError
	RedirectError SessionExpiredError SignInError SpawnError TimeoutError TransportError UnsupportedTransportError
	UsageError authorizationCode bearerToken clientCredentials clientMode closeWhen combineAuth composeFetch
	createLogger createRedactor defaultAuthDirectory drainOnEnd errorCodes fromSdkTransport guardRequests httpAgent httpListener
	isAuthError isChildExitError isConnectError isErrorResponse isHttpError isLimitError isMcpProxyError
	isMessageTooLargeError isNotification isProtocolError isRedirectError isRequest isResponse isSessionExpiredError
	isSignInError isSpawnError isTimeoutError isTransportError isUnsupportedTransportError isUsageError link
	loadNamedServers messageLog multiplex noRedaction pipeTransport processStdio reconnect remote serverMode signInOnly spawnStdio
	sseClient staticHeaders streamableHttpClient tapMessages toSdkTransport tokenStore transportFetch withAuth
`.trim().split(/\s+/);

/** The types, sorted the same way. */
const types = `
	AuthProvider AuthorizationCodeOptions ClientCredentialsOptions ClientModeOptions DrainOnEndOptions ErrorCode
	ErrorResponse FetchLike FetchMiddleware GuardRequestsOptions HttpAgentOptions HttpClientOptions
	HttpListenerOptions JwtAlgorithm ListenerStats LogLevel Logger LoggerOptions Message MessageDirection MessageLog
	MessageOperator MultiplexOptions MultiplexStatus Multiplexer Notification ProcessStdioOptions ReconnectOptions
	Redactor RemoteOptions RemoteServerConfig RemoteTransportKind Request RequestId Response ServerConfig ServerModeOptions
	Session SettingNames SignInOnlyOptions SpawnStdioOptions SseClientOptions StdioServerConfig StoredAuth
	StreamableHttpClientOptions SuccessResponse TapMessagesOptions TappedMessage TokenStore TokenStoreOptions Transport
	TransportOperator UpstreamState
`.trim().split(/\s+/);

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : (a > b ? 1 : 0));

/** The names source/index.ts exports, read from its syntax: values and types apart, and whether any is an `export *`. */
async function exportedNames() {
	const text = await readFile(`${root}/source/index.ts`, 'utf8');
	const file = ts.createSourceFile('index.ts', text, ts.ScriptTarget.Latest);
	const found = {values: [] as string[], types: [] as string[], star: false};
	for (const statement of file.statements) {
		if (!ts.isExportDeclaration(statement)) {
			continue;
		}

		if (!statement.exportClause || !ts.isNamedExports(statement.exportClause)) {
			found.star = true;
			continue;
		}

		for (const element of statement.exportClause.elements) {
			(statement.isTypeOnly || element.isTypeOnly ? found.types : found.values).push(element.name.text);
		}
	}

	return found;
}

const errorClasses = Object.entries(api).filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error) as Array<[string, new (...arguments_: any[]) => Error]>;
const guardOf = (name: string) => (api as Record<string, unknown>)[`is${name}`] as (value: unknown) => boolean;

test('the package exports exactly these values', t => {
	t.deepEqual(Object.keys(api).toSorted(byCodeUnit), values);
});

test('the package exports exactly these types, and no `export *`', async t => {
	const found = await exportedNames();
	t.false(found.star, 'an `export *` would export whatever a module adds');
	t.deepEqual(found.types.toSorted(byCodeUnit), types);
	t.deepEqual(found.values.toSorted(byCodeUnit), values);
});

test('every exported error class has its guard, true for it and its subclasses only', t => {
	t.is(errorClasses.length, 16);
	for (const [name, type] of errorClasses) {
		const guard = guardOf(name);
		t.is(typeof guard, 'function', `is${name}`);
		t.false(guard(new Error('plain')), `is${name}(new Error())`);
		t.false(guard(undefined), `is${name}(undefined)`);
		t.false(guard({name}), `is${name}({name: '${name}'})`);
		for (const [otherName, Other] of errorClasses) {
			const instance = new Other('message');
			t.is(guard(instance), instance instanceof type, `is${name}(new ${otherName}())`);
		}
	}
});

test('the guards know the errors of another copy of the package, and not a lookalike', async t => {
	const copy = await import(new URL('../source/errors.js?another-copy', import.meta.url).href) as typeof errors;
	t.not(copy.HttpError, errors.HttpError);
	const redirect = new copy.RedirectError('Not followed', 302, 'https://elsewhere.example');
	t.false(redirect instanceof errors.HttpError);
	t.true(api.isRedirectError(redirect));
	t.true(api.isHttpError(redirect));
	t.true(api.isTransportError(redirect));
	t.true(api.isMcpProxyError(redirect));
	t.false(api.isConnectError(redirect));
	t.false(api.isUnsupportedTransportError(redirect));
	t.true(api.isConnectError(new copy.ConnectError('Refused')));

	class HttpError extends Error {
		override name = 'HttpError';
	}

	t.false(api.isHttpError(new HttpError('not ours')));
	t.false(api.isMcpProxyError(new HttpError('not ours')));
});
