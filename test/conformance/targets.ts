/**
Which conformance runs `npm run test:conformance` (and so `npm test` and CI) performs.

To enable a target, move its name from `pendingTargets` to `enabledTargets`: that is the whole edit. A pending target can still be run by name: `npm run test:conformance -- --target server/proxy-multiplexed`.

The 2026-07-28 targets (`server-2026/…`, `client-2026/…`: the suite 0.2.0-alpha.12, `--requirements 2026-07-28`) are opt-in for now: `npm run test:conformance-2026` runs `enabledTargets2026` (scored) and `pendingTargets2026` (reported per scenario, not scored). To make them part of `npm test`, add their names to `enabledTargets`.
*/

export const serverTargets = {
	/**
	The fixture served over Streamable HTTP by the SDK itself, no proxy: proves the fixture passes every scenario.
	*/
	'server/direct': 'node fixtures/conformance-server.js --http',
	/**
	Server mode, one shared (multiplexed) fixture child behind every session.
	*/
	'server/proxy-multiplexed': 'node distribution/cli.js --port 0 -- node fixtures/conformance-server.js',
	/**
	Server mode, one fixture child per session.
	*/
	'server/proxy-isolated': 'node distribution/cli.js --port 0 --isolate-sessions -- node fixtures/conformance-server.js',
	/**
	Two hops: server mode whose child is client mode, which talks Streamable HTTP to the fixture's own HTTP face.
	*/
	'server/proxy-chain': 'node distribution/cli.js --port 0 -- node distribution/cli.js http://127.0.0.1:FIXTURE/mcp',
} as const;

export const clientTargets = {
	/**
	The driver's SDK client talks HTTP to the scenario server itself: validates the driver and the harness.
	*/
	'client/direct': 'conformance client --command "node fixtures/conformance-client.js"',
	/**
	The driver's SDK client talks stdio to client mode (`node distribution/cli.js URL …`), which talks to the scenario server.
	*/
	'client/via-proxy': 'conformance client --command "node fixtures/conformance-client.js --via-proxy"',
} as const;

export const inspectorTargets = {
	/**
	Inspector-cli against the fixture itself: `/mcp` (http), `/sse` (sse) and stdio.
	*/
	'inspector/direct': 'inspector-cli --cli http://…/mcp | http://…/sse | node fixtures/conformance-server.js',
	/**
	Inspector-cli against server mode's `/mcp` and `/sse`, and against client mode over stdio.
	*/
	'inspector/proxy': 'inspector-cli --cli http://proxy/mcp | http://proxy/sse | node distribution/cli.js http://fixture/mcp',
} as const;

/**
The 2026-07-28 server scenarios (the suite 0.2.0-alpha.12, `server --requirements 2026-07-28`: 37 scored) against the SDK v2 fixture and, once the proxy speaks the era (issue 18), against the proxy in front of it.
*/
export const server2026Targets = {
	/**
	The SDK v2 fixture over Streamable HTTP, both eras (2026 requests to createMcpHandler, 2025 traffic to sessions), no proxy: the baseline (37 of 37).
	*/
	'server-2026/direct': 'node fixtures/conformance-server-2026.js --http',
	/**
	The same fixture serving 2026-07-28 only (2025 requests get -32022).
	*/
	'server-2026/direct-modern-only': 'node fixtures/conformance-server-2026.js --http --modern-only',
	/**
	Server mode, one shared child that serves both eras (serveStdio).
	*/
	'server-2026/proxy-multiplexed': 'node distribution/cli.js --port 0 -- node fixtures/conformance-server-2026.js',
	/**
	Server mode, one shared child that speaks 2026-07-28 only (refuses `initialize`).
	*/
	'server-2026/proxy-modern-child': 'node distribution/cli.js --port 0 -- node fixtures/conformance-server-2026.js --modern-only',
	/**
	Server mode, one child per session.
	*/
	'server-2026/proxy-isolated': 'node distribution/cli.js --port 0 --isolate-sessions -- node fixtures/conformance-server-2026.js',
	/**
	Server mode without sessions.
	*/
	'server-2026/proxy-stateless': 'node distribution/cli.js --port 0 --stateless -- node fixtures/conformance-server-2026.js',
	/**
	Two hops: server mode whose child is client mode, which talks Streamable HTTP to the fixture's own HTTP face (both eras).
	*/
	'server-2026/proxy-chain': 'node distribution/cli.js --port 0 -- node distribution/cli.js http://127.0.0.1:FIXTURE/mcp',
	/**
	Server mode as an HTTP→HTTP intermediary: its config file names the fixture's HTTP face (both eras) as a remote server, served at /servers/fixture/mcp.
	*/
	'server-2026/proxy-remote': 'node distribution/cli.js --port 0 --named-server-config FILE (fixture: {url: http://127.0.0.1:FIXTURE/mcp})',
} as const;

/**
The 2026-07-28 client scenarios (`clientScenarios2026`, at `--spec-version 2026-07-28`) with the SDK v2 driver.
*/
export const client2026Targets = {
	/**
	The driver's SDK v2 client talks HTTP to the scenario server itself: the baseline (7 of 7).
	*/
	'client-2026/direct': 'conformance client --command "node fixtures/conformance-client-2026.js" --spec-version 2026-07-28',
	/**
	The driver's SDK v2 client talks stdio to client mode (`node distribution/cli.js URL`), which talks to the scenario server.
	*/
	'client-2026/via-proxy': 'conformance client --command "node fixtures/conformance-client-2026.js --via-proxy" --spec-version 2026-07-28',
} as const;

export type ServerTargetName = keyof typeof serverTargets | keyof typeof server2026Targets;
export type ClientTargetName = keyof typeof clientTargets | keyof typeof client2026Targets;
export type InspectorTargetName = keyof typeof inspectorTargets;
export type TargetName = ServerTargetName | ClientTargetName | InspectorTargetName;

export const allTargets = [
	...Object.keys(serverTargets),
	...Object.keys(clientTargets),
	...Object.keys(inspectorTargets),
	...Object.keys(server2026Targets),
	...Object.keys(client2026Targets),
] as TargetName[];

/**
Whether a target runs the 2026-07-28 requirements (suite 0.2.0-alpha.12) rather than 0.1.16.
*/
export const is2026Target = (name: TargetName): boolean => name.startsWith('server-2026/') || name.startsWith('client-2026/');

/**
Run by `npm run test:conformance`.
*/
export const enabledTargets: TargetName[] = [
	'server/direct',
	'client/direct',
	'inspector/direct',
	'server/proxy-multiplexed',
	'server/proxy-isolated',
	'server/proxy-chain',
	'client/via-proxy',
	'inspector/proxy',
];

/**
Targets that exist but are not run by default.
*/
export const pendingTargets: TargetName[] = [];

/**
Scored by `npm run test:conformance-2026`: the SDK v2 fixture and driver directly, the baseline the proxy targets are measured against; server mode in every topology in front of a dual-era and a 2026-only child, the two-hop chain (server mode, then client mode) and server mode in front of the fixture as a remote server of its config file (37 of 37 required scenarios each, as directly); and the client scenarios through client mode (7 of 7, as directly).
*/
export const enabledTargets2026: TargetName[] = [
	'server-2026/direct',
	'server-2026/direct-modern-only',
	'server-2026/proxy-multiplexed',
	'server-2026/proxy-modern-child',
	'server-2026/proxy-isolated',
	'server-2026/proxy-stateless',
	'server-2026/proxy-chain',
	'server-2026/proxy-remote',
	'client-2026/direct',
	'client-2026/via-proxy',
];

/**
2026-07-28 targets that wait for the proxy to speak the era (issue 18): `npm run test:conformance-2026` runs them and reports each scenario without scoring it; named, one counts like any other.
*/
export const pendingTargets2026: TargetName[] = [];

/**
The suite's client authorization scenarios (`conformance list --client`, 0.1.16) that client mode passes with its browser sign-in: discovery variants, CIMD, scope selection, step-up and its retry limit, token endpoint authentication, pre-registration, the 2025-03-26 fallbacks, a resource mismatch refused, and the draft offline_access ones. Through the proxy the driver signs in with a scripted browser (`fixtures/scripted-browser.js`); in the direct target its own in-memory SDK provider reads the authorization server's redirect. Not here: `auth/cross-app-access-complete-flow` (an enterprise extension the proxy does not implement).
*/
export const clientSignInScenarios = [
	'auth/metadata-default',
	'auth/metadata-var1',
	'auth/metadata-var2',
	'auth/metadata-var3',
	'auth/basic-cimd',
	'auth/scope-from-www-authenticate',
	'auth/scope-from-scopes-supported',
	'auth/scope-omitted-when-undefined',
	'auth/scope-step-up',
	'auth/scope-retry-limit',
	'auth/token-endpoint-auth-basic',
	'auth/token-endpoint-auth-post',
	'auth/token-endpoint-auth-none',
	'auth/pre-registration',
	'auth/2025-03-26-oauth-metadata-backcompat',
	'auth/2025-03-26-oauth-endpoint-fallback',
	'auth/resource-mismatch',
	'auth/offline-access-scope',
	'auth/offline-access-not-supported',
] as const;

/**
The client scenarios issue 5 requires (the suite's `auth/client-credentials-jwt` needs `private_key_jwt` in client mode).
*/
export const clientScenarios = [
	'initialize',
	'tools_call',
	'sse-retry',
	'auth/client-credentials-basic',
	'auth/client-credentials-jwt',
] as const;

/**
The client scenarios the 2026-07-28 requirements score that need no authorization (`conformance list --requirements 2026-07-28`, 0.2.0-alpha.12; the 25 `auth/*` ones are left for client mode's sign-in to take on).
*/
export const clientScenarios2026 = [
	'tools_call',
	'request-metadata',
	'sep-2322-client-request-state',
	'http-standard-headers',
	'http-custom-headers',
	'http-invalid-tool-headers',
	'json-schema-ref-no-deref',
] as const;
