import test from 'ava';
import {
	actionFlags, defaultOf, meowFlagNames, meowFlags, pairFlags,
} from '../../source/cli/flags.js';
import {parse} from '../helpers/cli.js';

/*
The flag table and the lists derived from it.
*/

test('meow parses the flags with no value, one value, or one each time; the pre-pass takes the others', t => {
	t.deepEqual(meowFlags.header, {type: 'string', isMultiple: true});
	t.deepEqual(meowFlags.port, {type: 'string'});
	t.deepEqual(meowFlags.stateless, {type: 'boolean'});
	for (const name of ['headers', 'env', 'namedServer', 'verifySsl', 'logMessages', 'help', 'version']) {
		t.false(Object.hasOwn(meowFlags, name), `${name}`);
	}

	t.is(meowFlagNames.get('max-sessions-per-client'), 'maxSessionsPerClient');
	t.is(meowFlagNames.get('headers'), undefined);
});

test('two-value flags and actions by every spelling', t => {
	t.deepEqual([...pairFlags], [['-H', 'headers'], ['--headers', 'headers'], ['-e', 'env'], ['--env', 'env'], ['--named-server', 'namedServer']]);
	t.deepEqual([...actionFlags], [['--version', 'version'], ['-h', 'help'], ['--help', 'help']]);
});

test('every default in the table is what the options get when the flag is not given', t => {
	const server = parse(['cmd']);
	const client = parse(['https://x.test/mcp']);
	t.like(server, {
		host: defaultOf('host'), port: Number(defaultOf('port')), exposeHeaders: [defaultOf('exposeHeader')], logLevel: defaultOf('logLevel').toLowerCase(),
	});
	t.like(client, {transport: defaultOf('transport'), verifySsl: defaultOf('verifySsl') === 'true'});
});
