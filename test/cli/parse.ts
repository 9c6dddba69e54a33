import test from 'ava';
import {
	isOrigin, isUrl, parseDuration, parseHeaderLine, parseInteger, parseSize, splitCommand,
} from '../../source/cli/parse.js';
import {UsageError} from '../../source/errors.js';

test('splitCommand follows shell quoting', t => {
	t.deepEqual(splitCommand(String.raw`a 'b c' "d \"e\"" f\ g ''`), ['a', 'b c', 'd "e"', 'f g', '']);
});

test('durations: units, a plain number is seconds', t => {
	for (const [value, expected] of [['1500ms', 1500], ['30s', 30_000], ['5m', 300_000], ['1h', 3_600_000], ['2', 2000], ['0.5', 500], [' 0 ', 0]] as const) {
		t.is(parseDuration('x', value), expected, `${value}`);
	}

	for (const value of ['', 'soon', '-1s', '5d', '1 s']) {
		t.throws(() => parseDuration('request-timeout', value), {instanceOf: UsageError, message: /^`--request-timeout` expects a duration/}, `${value}`);
	}
});

test('sizes: binary units, at least one byte', t => {
	for (const [value, expected] of [['1048576', 1_048_576], ['512k', 524_288], ['16MiB', 16_777_216], ['1g', 1_073_741_824], ['1.5 kb', 1536]] as const) {
		t.is(parseSize('x', value), expected, `${value}`);
	}

	for (const value of ['lots', '0', '0.5', '1t', '-1']) {
		t.throws(() => parseSize('max-body-bytes', value), {instanceOf: UsageError, message: /^`--max-body-bytes` expects a size/}, `${value}`);
	}
});

test('integers within bounds', t => {
	t.is(parseInteger('port', '8080', 0, 65_535), 8080);
	for (const value of ['abc', '70000', '-1', '1.5', '1e3']) {
		t.throws(() => parseInteger('port', value, 0, 65_535), {message: `\`--port\` expects an integer between 0 and 65535, got \`${value}\`.`}, `${value}`);
	}
});

test('origins as --allow-origin takes them; a URL with a path is none', t => {
	for (const value of ['*', 'null', 'https://app.example', 'https://app.example/', 'http://[::1]:3000', 'vscode-webview://abc']) {
		t.true(isOrigin(value), `${value}`);
	}

	for (const value of ['https://x.test/mcp', './server.sh', 'node', 'https://user@x.test', 'https://x.test?q']) {
		t.false(isOrigin(value), `${value}`);
	}
});

test('URLs of client mode, and header lines', t => {
	t.true(isUrl('HTTPS://x.test'));
	t.false(isUrl('ftp://x.test'));
	t.deepEqual(parseHeaderLine('X-A:  1 '), ['X-A', '1']);
	t.throws(() => parseHeaderLine(': v'), {message: /expects "Name: value"/});
});
