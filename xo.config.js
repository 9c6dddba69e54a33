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
		},
	},
	{
		files: ['source/cli-arguments.ts'],
		rules: {
			// A flag table is a long list of branches; splitting it would hide the contract.
			complexity: 'off',
		},
	},
	{
		files: ['source/cli.ts', 'source/cli-arguments.ts', 'fixtures/**', 'test/bench/**'],
		rules: {
			'unicorn/no-process-exit': 'off',
		},
	},
];

export default xoConfig;
