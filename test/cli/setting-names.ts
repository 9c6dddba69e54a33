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
});

const sourceDirectory = fileURLToPath(new URL('../../source', import.meta.url));

/**
The string and template literal texts of a TypeScript file that spell a flag (`--name`), with their lines: comments and doc examples do not count.
*/
function flagsInStrings(name: string, text: string): string[] {
	const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
	const found: string[] = [];
	const visit = (node: ts.Node): void => {
		if ((ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) && /--[a-z]/i.test(node.text)) {
			const {line} = source.getLineAndCharacterOfPosition(node.getStart(source));
			found.push(`${name}:${line + 1}: ${JSON.stringify(node.text)}`);
		}

		ts.forEachChild(node, visit);
	};

	visit(source);
	return found;
}

test('nothing below the CLI spells a flag in a string: messages name settings through `settingNames`', t => {
	const files = readdirSync(sourceDirectory, {recursive: true, encoding: 'utf8'})
		.filter(file => file.endsWith('.ts') && !file.startsWith(`cli${path.sep}`));
	t.true(files.length > 50, 'the sources were found');
	t.deepEqual(files.flatMap(file => flagsInStrings(`source/${file}`, readFileSync(path.join(sourceDirectory, file), 'utf8'))), []);
});

test('the flag finder sees strings and templates, not comments or code', t => {
	const text = [
		'// raise it with --max-message-bytes',
		'/** `--verify-ssl` */',
		'let count = 2; --count;',
		'const a = \'raise it with --max-message-bytes\';',
		'const b = `choose another with --callback-port (@{count})`;',
		'const c = `@{a} or --no-verify-ssl`;',
		'const d = "without --device-code";',
	// `@{` stands for a template's `${`.
	].join('\n').replaceAll('@{', '${');
	t.deepEqual(flagsInStrings('example.ts', text), [
		'example.ts:4: "raise it with --max-message-bytes"',
		'example.ts:5: "choose another with --callback-port ("',
		'example.ts:6: " or --no-verify-ssl"',
		'example.ts:7: "without --device-code"',
	]);
});
