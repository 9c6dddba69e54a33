import test from 'ava';
import {cliSettingNames} from '../../source/cli/setting-names.js';
import {settingName} from '../../source/setting-names.js';

test('the CLI names a library option by its flag', t => {
	t.like(cliSettingNames, {
		maxMessageBytes: '--max-message-bytes',
		maxBodyBytes: '--max-body-bytes',
		maxQueuedBytes: '--max-queued-bytes',
		maxSessions: '--max-sessions',
		maxSessionsPerClient: '--max-sessions-per-client',
		isolateSessions: '--isolate-sessions',
		requestTimeout: '--request-timeout',
		startupTimeout: '--startup-timeout',
		callbackPort: '--callback-port',
		deviceCode: '--device-code',
		verifySsl: '--verify-ssl',
	});
	t.is(settingName(cliSettingNames, 'maxMessageBytes'), '--max-message-bytes');
	t.false(Object.hasOwn(cliSettingNames, 'help'), 'actions are no settings');
});

test('the CLI names the library options its flags set under other names', t => {
	t.is(settingName(cliSettingNames, 'maxLineBytes'), '--max-message-bytes');
	t.is(settingName(cliSettingNames, 'ca'), '--verify-ssl CA_PATH');
	t.is(settingName(cliSettingNames, 'verifyTls'), '--no-verify-ssl');
});
