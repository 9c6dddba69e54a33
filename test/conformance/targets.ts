/**
Which conformance runs `npm run test:conformance` (and so `npm test` and CI) performs.

To enable a target, move its name from `pendingTargets` to `enabledTargets`: that is the whole edit. A pending target can still be run by name: `npm run test:conformance -- --target server/proxy-multiplexed`.
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

export type ServerTargetName = keyof typeof serverTargets;
export type ClientTargetName = keyof typeof clientTargets;
export type InspectorTargetName = keyof typeof inspectorTargets;
export type TargetName = ServerTargetName | ClientTargetName | InspectorTargetName;

export const allTargets = [...Object.keys(serverTargets), ...Object.keys(clientTargets), ...Object.keys(inspectorTargets)] as TargetName[];

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
