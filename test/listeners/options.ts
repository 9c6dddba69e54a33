/*
The HTTP listener's option rules (source/listeners/options.ts): each bad option is a TypeError naming it.
*/
import test from 'ava';
import {validateOptions, type HttpListenerOptions} from '../../source/listeners/options.js';

test('each option is checked, with a precise TypeError naming it', t => {
	const rows: Array<[HttpListenerOptions, RegExp]> = [
		[{port: 70_000}, /`port`.*70{4}/],
		[{port: 1.5}, /`port`/],
		[{servers: []}, /`servers`/],
		[{servers: ['a/b']}, /a\/b/],
		[{servers: ['..']}, /`servers`.*got `\.\.`/],
		[{maxBodyBytes: 0}, /`maxBodyBytes`/],
		[{maxSessions: -1}, /`maxSessions`/],
		[{idleConnectionTimeout: 0}, /`idleConnectionTimeout`/],
		[{idleConnectionTimeout: 1500.5}, /`idleConnectionTimeout`/],
		[{idleConnectionTimeout: Number.POSITIVE_INFINITY}, /`idleConnectionTimeout`/],
		[{sessionTimeout: 0}, /`sessionTimeout`/],
		[{maxSessionsPerClient: 0}, /`maxSessionsPerClient`/],
		[{handshakeTimeout: -1}, /`handshakeTimeout`/],
		[{eventStoreLimit: 1.5}, /`eventStoreLimit`/],
		[{apiKey: ''}, /`apiKey`/],
		[{allowOrigins: 'x' as unknown as string[]}, /`allowOrigins`/],
		[{host: ''}, /`host`/],
	];
	for (const [options, message] of rows) {
		t.throws(() => {
			validateOptions(options);
		}, {instanceOf: TypeError, message}, `${JSON.stringify(options)}`);
	}

	t.notThrows(() => {
		validateOptions({eventStoreLimit: 0, servers: ['', 'x']});
	});
});
