import test from 'ava';
import {
	checkSettingNames, raiseWith, renameSettings, settingName,
} from '../source/setting-names.js';

test('a setting is named by the names given, else as the library option', t => {
	t.is(settingName(undefined, 'maxMessageBytes'), 'the `maxMessageBytes` option');
	t.is(settingName({maxMessageBytes: '--max-message-bytes'}, 'maxMessageBytes'), '--max-message-bytes');
	t.is(settingName({other: '--other'}, 'maxMessageBytes'), 'the `maxMessageBytes` option');
});

test('the advice to raise a limit names its setting', t => {
	t.is(raiseWith(undefined, 'maxMessageBytes'), 'raise it with the `maxMessageBytes` option');
	t.is(raiseWith({maxMessageBytes: '--max-message-bytes'}, 'maxMessageBytes'), 'raise it with --max-message-bytes');
});

test('a layer below that calls a setting by another option name gets it named as this layer names it', t => {
	t.is(settingName(renameSettings(undefined, {maxLineBytes: 'maxMessageBytes'}), 'maxLineBytes'), 'the `maxMessageBytes` option');
	const names = renameSettings({maxMessageBytes: '--max-message-bytes', isolateSessions: '--isolate-sessions'}, {maxLineBytes: 'maxMessageBytes'});
	t.is(settingName(names, 'maxLineBytes'), '--max-message-bytes');
	t.is(settingName(names, 'isolateSessions'), '--isolate-sessions', 'the other names are kept');
});

test('setting names are checked', t => {
	t.notThrows(() => {
		checkSettingNames(undefined);
	});
	t.notThrows(() => {
		checkSettingNames({maxMessageBytes: '--max-message-bytes'});
	});
	for (const bad of [null, 'names', {maxMessageBytes: 1}]) {
		t.throws(() => {
			checkSettingNames(bad);
		}, {instanceOf: TypeError, message: 'Expected `settingNames` to be an object of strings'});
	}
});
