import test from 'ava';
import {settingName} from '../source/setting-names.js';

test('a setting is named by the names given, else as the library option', t => {
	t.is(settingName(undefined, 'maxMessageBytes'), 'the `maxMessageBytes` option');
	t.is(settingName({maxMessageBytes: '--max-message-bytes'}, 'maxMessageBytes'), '--max-message-bytes');
	t.is(settingName({other: '--other'}, 'maxMessageBytes'), 'the `maxMessageBytes` option');
});
