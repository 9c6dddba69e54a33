import {readFile} from 'node:fs/promises';
import test from 'ava';
import {
	defaultOf, flags, kebab, type FlagName,
} from '../../source/cli/flags.js';
import {
	describedFlags, flagUsage, helpText, helpWidth, wrap,
} from '../../source/cli/help-text.js';
import {root} from '../helpers/fixtures.js';

/*
The help text: the readme shows it verbatim, it describes every flag, and its left column and defaults come from the flag table.
*/

test('the readme\'s CLI section shows the help text verbatim', async t => {
	const readme = await readFile(`${root}/readme.md`, 'utf8');
	const start = readme.indexOf('```\n$ mcp-proxy --help\n\n');
	t.not(start, -1, 'the readme has a `$ mcp-proxy --help` block');
	const body = readme.slice(start + '```\n$ mcp-proxy --help\n\n'.length);
	t.is(body.slice(0, body.indexOf('```\n')), helpText);
});

test('the help text starts with the usage and ends with a line break', t => {
	t.regex(helpText, /^Usage\n {2}\$ mcp-proxy \[options] URL/);
	t.true(helpText.endsWith('servers.json\n'));
	t.false(helpText.includes('\t'));
});

test('every flag of the table is described in the help', t => {
	for (const name of Object.keys(flags) as FlagName[]) {
		t.true(describedFlags.includes(name) || helpText.includes(`--${kebab(name)}`), `${name}`);
	}
});

test('a flag\'s left column comes from the table: short form, name, metavar', t => {
	t.is(flagUsage('headers'), '-H, --headers KEY VALUE');
	t.is(flagUsage('env'), '-e, --env KEY VALUE');
	t.is(flagUsage('maxBodyBytes'), '--max-body-bytes SIZE');
	t.is(flagUsage('stateless'), '--stateless');
	t.regex(helpText, /^ {2}--max-body-bytes SIZE {10}Largest request body accepted \(default: 16MiB\)$/m);
	t.regex(helpText, /^ {2}--transport auto\|streamablehttp\|sse\n {33}Remote transport/m);
});

test('the defaults the help quotes are the table\'s', t => {
	for (const name of ['signInTimeout', 'reconnectDelay', 'reconnectMaxDelay', 'maxBodyBytes', 'maxSessions', 'maxQueuedBytes', 'sessionTimeout', 'startupTimeout', 'maxMessageBytes'] as const) {
		t.true(helpText.includes(`(default: ${defaultOf(name)})`), `${name}`);
	}
});

test('the help fits 80 columns; descriptions are wrapped at spaces', t => {
	const long = helpText.split('\n').filter(line => [...line].length > helpWidth);
	t.deepEqual(long, []);
	t.deepEqual(wrap('a bb ccc dddd', 6), ['a bb', 'ccc', 'dddd']);
	t.deepEqual(wrap('averylongword x', 4), ['averylongword', 'x'], 'a longer word keeps a line of its own');
	t.deepEqual(wrap('', 10), []);
});
