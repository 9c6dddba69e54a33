/*
The shape every file of source/ keeps, so a reader finds each behaviour by its noun or verb in one small file: an opening comment that says the file's one job, at most 450 lines, and no function longer than 120 lines. Data such as the help text may live in data files.
*/
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import ts from 'typescript';
import {root} from './helpers/fixtures.js';

const longestFile = 450;
const longestFunction = 120;

type SourceFile = {file: string; text: string; tree: ts.SourceFile};

function sourceFiles(): SourceFile[] {
	return readdirSync(path.join(root, 'source'), {recursive: true, encoding: 'utf8'})
		.filter(file => file.endsWith('.ts'))
		.map(file => {
			const text = readFileSync(path.join(root, 'source', file), 'utf8');
			return {file: file.split(path.sep).join('/'), text, tree: ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)};
		});
}

const files = sourceFiles();

/**
Whether the file opens with a comment of its own: a block comment before its imports or before its first statement, other than the doc comment (`/**`) of that statement.
*/
export function hasOpeningComment({text, tree}: SourceFile): boolean {
	const isFileComment = (range: ts.CommentRange) => {
		const comment = text.slice(range.pos, range.end);
		return !comment.startsWith('#!') && !/^\/[*/]\s*(?:eslint|@ts-)/.test(comment);
	};

	const firstImport = tree.statements.find(statement => ts.isImportDeclaration(statement));
	const first = tree.statements.find(statement => !ts.isImportDeclaration(statement));
	const beforeImports = firstImport ? ts.getLeadingCommentRanges(text, firstImport.getFullStart()) ?? [] : [];
	const beforeFirst = first ? ts.getLeadingCommentRanges(text, first.getFullStart()) ?? [] : [];
	// The last comment before the first statement is that statement's own when it is a doc comment.
	const last = beforeFirst.at(-1);
	const own = last && text.slice(last.pos, last.end).startsWith('/**') ? last : undefined;
	return [...beforeImports, ...beforeFirst.filter(range => range !== own)].some(range => isFileComment(range));
}

function longFunctions({tree}: SourceFile): string[] {
	const found: string[] = [];
	const visit = (node: ts.Node) => {
		if (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node)) {
			const start = tree.getLineAndCharacterOfPosition(node.getStart()).line;
			const end = tree.getLineAndCharacterOfPosition(node.getEnd()).line;
			const lines = end - start + 1;
			if (lines > longestFunction) {
				const name = 'name' in node && node.name ? node.name.getText() : '(anonymous)';
				found.push(`${name} at line ${start + 1}: ${lines} lines`);
			}
		}

		ts.forEachChild(node, visit);
	};

	visit(tree);
	return found;
}

test('every source file opens with a comment that says its job', t => {
	t.true(files.length > 50);
	t.deepEqual(files.filter(file => !hasOpeningComment(file)).map(({file}) => file), []);
});

test(`no source file is longer than ${longestFile} lines`, t => {
	const long = files
		.map(({file, text}) => ({file, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0)}))
		.filter(({lines}) => lines > longestFile)
		.map(({file, lines}) => `${file}: ${lines} lines`);
	t.deepEqual(long, []);
});

test(`no function in source/ is longer than ${longestFunction} lines`, t => {
	const long = files.flatMap(file => longFunctions(file).map(where => `${file.file}: ${where}`));
	t.deepEqual(long, []);
});

test('the checks see what they look for', t => {
	const parse = (text: string) => ({file: 'probe.ts', text, tree: ts.createSourceFile('probe.ts', text, ts.ScriptTarget.Latest, true)});
	t.true(hasOpeningComment(parse('/*\nThe job.\n*/\nimport x from \'y\';\nexport const a = x;\n')));
	t.true(hasOpeningComment(parse('import x from \'y\';\n\n/*\nThe job.\n*/\n\n/**\nA doc.\n*/\nexport const a = x;\n')));
	t.false(hasOpeningComment(parse('import x from \'y\';\n\n/**\nOnly the doc of `a`.\n*/\nexport const a = x;\n')));
	t.false(hasOpeningComment(parse('// eslint-disable-next-line\nexport const a = 1;\n')));
	const body = Array.from({length: longestFunction}, (_, index) => `\tconst v${index} = ${index};`).join('\n');
	t.deepEqual(longFunctions(parse(`/* x */\nfunction long() {\n${body}\n}\n`)), [`long at line 2: ${longestFunction + 2} lines`]);
});
