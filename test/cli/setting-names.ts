import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import ts from 'typescript';
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
	t.is(settingName(cliSettingNames, 'headers'), '-H Authorization \'Bearer TOKEN\' (or API_ACCESS_TOKEN)');
	t.is(settingName(cliSettingNames, 'auth'), 'the OAuth client flags');
});

const sourceDirectory = fileURLToPath(new URL('../../source', import.meta.url));

/**
Whether a string spells a command-line setting: a long flag (`--name`) anywhere, or in a text with spaces (a message, not a name the code uses as data) a one-letter flag (`-H`) or an environment variable (`API_ACCESS_TOKEN`, a capitalized name with an underscore).
*/
const spellsSetting = (text: string) => /--[a-z]/i.test(text)
	|| (/\s/.test(text) && (/(?:^|[\s(])-[a-z](?=$|[\s=)])/i.test(text) || /\b[A-Z][A-Z\d]*_[A-Z\d_]+\b/.test(text)));

/**
The string and template literal texts of a TypeScript file that spell a flag or an environment variable, with their lines: comments and doc examples do not count.
*/
function flagsInStrings(name: string, text: string): string[] {
	const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
	const found: string[] = [];
	const visit = (node: ts.Node): void => {
		if ((ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) && spellsSetting(node.text)) {
			const {line} = source.getLineAndCharacterOfPosition(node.getStart(source));
			found.push(`${name}:${line + 1}: ${JSON.stringify(node.text)}`);
		}

		ts.forEachChild(node, visit);
	};

	visit(source);
	return found;
}

test('nothing below the CLI spells a flag or an environment variable in a string: messages name settings through `settingNames`', t => {
	const files = readdirSync(sourceDirectory, {recursive: true, encoding: 'utf8'})
		.filter(file => file.endsWith('.ts') && !file.startsWith(`cli${path.sep}`));
	t.true(files.length > 50, 'the sources were found');
	t.deepEqual(files.flatMap(file => flagsInStrings(`source/${file}`, readFileSync(path.join(sourceDirectory, file), 'utf8'))), []);
});

test('the flag finder sees flags and environment variables in strings and templates, not comments, code or names used as data', t => {
	const text = [
		'// raise it with --max-message-bytes',
		'/** `--verify-ssl` */',
		'let count = 2; --count;',
		'const a = \'raise it with --max-message-bytes\';',
		'const b = `choose another with --callback-port (@{count})`;',
		'const c = `@{a} or --no-verify-ssl`;',
		'const d = "without --device-code";',
		'const e = \'set API_ACCESS_TOKEN\';',
		'const f = `or pass -H Authorization (@{d})`;',
		'const g = [\'EAI_AGAIN\', \'PATH\', \'a-b\', \'x -1\'];',
		'// set MCP_PROXY_API_KEY or pass -e NAME VALUE',
	// `@{` stands for a template's `${`.
	].join('\n').replaceAll('@{', '${');
	t.deepEqual(flagsInStrings('example.ts', text), [
		'example.ts:4: "raise it with --max-message-bytes"',
		'example.ts:5: "choose another with --callback-port ("',
		'example.ts:6: " or --no-verify-ssl"',
		'example.ts:7: "without --device-code"',
		'example.ts:8: "set API_ACCESS_TOKEN"',
		'example.ts:9: "or pass -H Authorization ("',
	]);
});
