// The profiles the benchmark compares: the two floors, ours, and the peers, for the server-mode figures
// (B1, B2, B3, B5, B6: a Streamable HTTP face in front of the stdio fixture) and the client-mode figure
// (B4: a stdio face in front of a remote Streamable HTTP server).
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import {openLeanHttpSession, openLeanStdioSession} from './lib/lean-sessions.js';
import {openHttpSession, openStdioSession} from './lib/sessions.js';
import {freePort, startService} from './lib/service.js';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
export const rootDirectory = path.resolve(benchDirectory, '../..');
const fixture = path.join(rootDirectory, 'fixtures/echo-server.js');
let ourCli = path.join(rootDirectory, 'distribution/cli.js');

/** Measure another build of ours (e.g. a checkout before an optimisation): the path of its `cli.js`. */
export function useOurCli(file) {
	ourCli = path.resolve(file);
}

const node = process.execPath;

/** The B4 remote: swap for `fixtures/remote-server.js` once it prints its URL on stdout or stderr the same way. */
export const remoteServer = {command: node, args: [path.join(benchDirectory, 'servers/remote-server.js')]};
const floorHttpServer = {command: node, args: [path.join(benchDirectory, 'servers/floor-http-server.js')]};
const floorRelay = path.join(benchDirectory, 'servers/floor-relay.js');
const floorClientRelay = path.join(benchDirectory, 'servers/floor-client-relay.js');

/** The first `http://…/mcp` URL in a process's output (how ours and our fixture servers announce themselves). */
export const urlPattern = /(https?:\/\/[^\s"'<>]+?\/mcp)(?![\w/-])/;

function binOf(packageName, binName = packageName) {
	const directory = path.join(benchDirectory, 'node_modules', packageName);
	const {bin, version} = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8'));
	return {script: path.join(directory, typeof bin === 'string' ? bin : bin[binName]), version};
}

/** Installed version of a peer (for the report), or undefined when it is not installed. */
export function peerVersion(packageName) {
	try {
		return binOf(packageName).version;
	} catch {
		return undefined;
	}
}

// An instance whose sessions are stdio children the SDK client spawns (one child per session).
function stdioInstance(spec) {
	const sessions = new Set();
	const track = session => {
		sessions.add(session);
		const {close} = session;
		session.close = async () => {
			sessions.delete(session);
			await close();
		};

		return session;
	};

	return {
		connect: async options => track(await openStdioSession(spec, options)),
		connectLean: async options => track(await openLeanStdioSession(spec, options)),
		pids: () => [...sessions].map(session => session.pid).filter(Boolean),
		async stop() {
			await Promise.all([...sessions].map(async session => session.close()));
		},
	};
}

// An instance that is one long-running process serving Streamable HTTP at `url`.
function httpInstance(service, url) {
	return {
		url,
		connect: async options => openHttpSession(url, options),
		connectLean: async options => openLeanHttpSession(url, options),
		pids: () => [service.pid],
		stop: async () => service.stop(),
	};
}

async function startWithUrl({command, args, label}) {
	const service = await startService({
		command, args, cwd: rootDirectory, readyPattern: urlPattern, label,
	});
	return httpInstance(service, service.match);
}

async function startOnPort({command, args, label}) {
	const port = await freePort();
	const service = await startService({
		command, args: args(port), cwd: rootDirectory, port, label,
	});
	return httpInstance(service, `http://127.0.0.1:${port}/mcp`);
}

/**
@typedef {object} Profile
@property {string} name Column name in the table.
@property {'floor' | 'ours' | 'peer'} kind
@property {string} invocation How it is started, for the report.
@property {(context: {remoteUrl?: string}) => Promise<object>} start
*/

/** Profiles of the server-mode figures: stdio fixture behind a Streamable HTTP face (floors excepted). */
export const serverProfiles = [
	{
		name: 'direct',
		kind: 'floor',
		// Held sessions over stdio are one fixture process each: no floor for B3/B6 (direct-http is), and
		// 100 of them take minutes to start on 2 cores. Run there only when named with --profiles.
		whenNamed: ['B3', 'B6'],
		invocation: 'SDK Client → stdio → node fixtures/echo-server.js (one child per session)',
		start: async () => stdioInstance({command: node, args: [fixture], cwd: rootDirectory}),
	},
	{
		name: 'direct-http',
		kind: 'floor',
		invocation: 'SDK Client → Streamable HTTP → test/bench/servers/floor-http-server.js (plain node:http, JSON answers)',
		start: async () => startWithUrl({...floorHttpServer, label: 'floor-http-server'}),
	},
	{
		name: 'relay',
		kind: 'floor',
		invocation: 'SDK Client → Streamable HTTP → test/bench/servers/floor-relay.js → stdio → node fixtures/echo-server.js (one shared child; plain node:http, one line each way per request, nothing else)',
		start: async () => startWithUrl({command: node, args: [floorRelay, node, fixture], label: 'floor-relay'}),
	},
	{
		name: 'ours',
		kind: 'ours',
		invocation: 'node distribution/cli.js --port 0 -- node fixtures/echo-server.js',
		start: async () => startWithUrl({command: node, args: [ourCli, '--port', '0', '--', node, fixture], label: 'ours'}),
	},
	{
		name: 'ours-isolated',
		kind: 'ours',
		figures: ['B3', 'B6'],
		invocation: 'node distribution/cli.js --isolate-sessions --port 0 -- node fixtures/echo-server.js',
		start: async () => startWithUrl({command: node, args: [ourCli, '--isolate-sessions', '--port', '0', '--', node, fixture], label: 'ours-isolated'}),
	},
	{
		name: 'mcp-proxy',
		kind: 'peer',
		package: 'mcp-proxy',
		invocation: 'mcp-proxy --host 127.0.0.1 --port P --server stream -- node fixtures/echo-server.js',
		start: async () => startOnPort({
			command: node,
			args: port => [binOf('mcp-proxy').script, '--host', '127.0.0.1', '--port', String(port), '--server', 'stream', '--', node, fixture],
			label: 'mcp-proxy',
		}),
	},
	{
		name: 'supergateway',
		kind: 'peer',
		package: 'supergateway',
		invocation: 'supergateway --stdio "node fixtures/echo-server.js" --outputTransport streamableHttp --stateful --port P --logLevel none',
		start: async () => startOnPort({
			command: node,
			args: port => [binOf('supergateway').script, '--stdio', `"${node}" "${fixture}"`, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none'],
			label: 'supergateway',
		}),
	},
];

/** Profiles of the client-mode figure (B4): a stdio face in front of the remote at `remoteUrl`. */
export const clientProfiles = [
	{
		name: 'direct',
		kind: 'floor',
		invocation: 'SDK Client → stdio → node fixtures/echo-server.js (no remote at all)',
		start: async () => stdioInstance({command: node, args: [fixture], cwd: rootDirectory}),
	},
	{
		name: 'direct-http',
		kind: 'floor',
		invocation: 'SDK Client → Streamable HTTP → the remote',
		async start({remoteUrl}) {
			return {
				connect: async options => openHttpSession(remoteUrl, options),
				pids: () => [],
				async stop() {
					// Nothing of its own runs: the remote belongs to the figure.
				},
			};
		},
	},
	{
		name: 'relay',
		kind: 'floor',
		invocation: 'SDK Client → stdio → test/bench/servers/floor-client-relay.js URL (each line POSTed as it is on a keep-alive connection, the answer written back; nothing else)',
		start: async ({remoteUrl}) => stdioInstance({command: node, args: [floorClientRelay, remoteUrl], cwd: rootDirectory}),
	},
	{
		name: 'ours',
		kind: 'ours',
		invocation: 'SDK Client → stdio → node distribution/cli.js URL',
		start: async ({remoteUrl}) => stdioInstance({command: node, args: [ourCli, remoteUrl], cwd: rootDirectory}),
	},
	{
		name: 'mcp-remote',
		kind: 'peer',
		package: 'mcp-remote',
		invocation: 'SDK Client → stdio → mcp-remote URL --transport http-only --silent',
		start: async ({remoteUrl}) => stdioInstance({
			command: node,
			args: [binOf('mcp-remote').script, remoteUrl, '--transport', 'http-only', '--silent'],
			// Its OAuth state directory: a throwaway one, never the user's ~/.mcp-auth.
			env: {MCP_REMOTE_CONFIG_DIR: mkdtempSync(path.join(tmpdir(), 'bench-mcp-remote-'))},
			cwd: rootDirectory,
		}),
	},
	{
		name: 'supergateway',
		kind: 'peer',
		package: 'supergateway',
		invocation: 'SDK Client → stdio → supergateway --streamableHttp URL --logLevel none',
		start: async ({remoteUrl}) => stdioInstance({
			command: node,
			args: [binOf('supergateway').script, '--streamableHttp', remoteUrl, '--logLevel', 'none'],
			cwd: rootDirectory,
		}),
	},
];

/** Peers that cannot take part in a kind of figure, and why (for the table's notes). */
export const cannotDo = [
	{
		profile: 'direct',
		figures: ['B3', 'B6'],
		reason: 'not run unless named in --profiles: held stdio sessions are one fixture process each (what ours-isolated and supergateway measure), so direct-http is the floor here',
	},
	{profile: 'mcp-proxy', figures: ['B4'], reason: 'cannot: has no client mode (stdio → remote Streamable HTTP)'},
	{profile: 'mcp-remote', figures: ['B1', 'B2', 'B3', 'B5', 'B6'], reason: 'cannot: has no server mode (it only bridges stdio → remote)'},
];

/** Start the B4 remote; resolves to `{url, stop}`. */
export async function startRemote() {
	const service = await startService({
		...remoteServer, cwd: rootDirectory, readyPattern: urlPattern, label: 'remote-server',
	});
	return {url: service.match, pids: () => [service.pid], stop: async () => service.stop()};
}
