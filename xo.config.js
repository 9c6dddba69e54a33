/** @type {import('xo').FlatXoConfig} */
const xoConfig = [
	{
		ignores: ['distribution/**', 'test/bench/node_modules/**', 'test/bench/results/**', 'test/conformance/node_modules/**'],
	},
	{
		rules: {
			// JSON-RPC messages are untyped JSON: narrowing them by assertion after a structural check is the point.
			'@typescript-eslint/no-unsafe-type-assertion': 'off',
			// The `v` flag adds nothing to these ASCII patterns.
			'require-unicode-regexp': 'off',
		},
	},
	{
		files: ['test/**'],
		rules: {
			// Tests name environment variables and HTTP headers as they are spelled.
			'@typescript-eslint/naming-convention': 'off',
			// Tests poke at raw JSON-RPC messages.
			'@typescript-eslint/no-unsafe-assignment': 'off',
			'@typescript-eslint/no-unsafe-member-access': 'off',
			'@typescript-eslint/no-unsafe-return': 'off',
			'@typescript-eslint/no-unsafe-argument': 'off',
			'@typescript-eslint/no-unsafe-call': 'off',
			'@typescript-eslint/no-explicit-any': 'off',
			// The legacy SSE transport is deprecated in the SDK, and is what tests of the legacy face need.
			'@typescript-eslint/no-deprecated': 'off',
			// `${VAR}` in plain strings is configuration syntax under test.
			'no-template-curly-in-string': 'off',
		},
	},
	{
		files: ['test/conformance/*.ts'],
		rules: {
			// The conformance runner runs on the root install (execa…); test/conformance/package.json only lists the tools it installs to run on Node 22.
			'n/no-extraneous-import': 'off',
			'import-x/no-extraneous-dependencies': 'off',
		},
	},
	{
		// Only the command's entry point ends the process; library code and the modes never do.
		files: ['source/cli/index.ts', 'fixtures/**', 'test/bench/**'],
		rules: {
			'unicorn/no-process-exit': 'off',
		},
	},
];

export default xoConfig;
