/*
The protocol versions the proxy knows and how a session's version is negotiated against the upstream's, with the identity and capabilities the proxy declares as a client.
*/
import {packageVersion} from '../version.js';

/**
The MCP revisions this proxy knows, oldest first. Newer ones are forwarded untouched.
*/
export const knownProtocolVersions = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const;

export const latestProtocolVersion = '2025-11-25';

/**
What the proxy says about itself when it initializes an upstream on behalf of several clients. It declares every client capability, so the upstream may use them; each server→client request is then checked against the capabilities of the client it goes to.
*/
export const proxyClientInfo = {
	name: 'rx-mcp-proxy',
	version: packageVersion,
	protocolVersion: latestProtocolVersion,
} as const;

export const proxyCapabilities = {
	roots: {listChanged: true},
	sampling: {},
	elicitation: {form: {}, url: {}},
} as const;

/**
The protocol version to tell a client that asked for `requested`, when the upstream agreed to `upstream` with the proxy: the upstream's version, unless the client asked for an older revision the proxy knows, which it then gets (the base protocol is compatible across revisions, and the proxy forwards messages raw).
*/
export function negotiateProtocolVersion(requested: string | undefined, upstream: string): string {
	if (requested === undefined || requested === upstream) {
		return upstream;
	}

	if ((knownProtocolVersions as readonly string[]).includes(requested) && requested < upstream) {
		return requested;
	}

	return upstream;
}
