import type {IncomingHttpHeaders} from 'node:http';
import {settingName, type SettingNames} from '../../setting-names.js';
import {isModernVersion} from '../../wire/modern.js';
import {anyServer, parseRoute, type Route} from '../routes.js';
import type {Check, Refusal} from '../refusal.js';
import {repeatedHeader, type Security} from '../security.js';
import {shuttingDown} from './common.js';

/*
The checks every request goes through, in order, as tables of pure checks: first the gate (shutting down, repeated headers, Host, Origin), then, for anything but a CORS preflight, access (API key, route, method). What each route takes is the one table of methods here; the listener's dispatch table is typed from it.
*/

/**
What the request-wide checks look at.
*/
export type RequestFacts = {
	readonly method: string;
	readonly url: string | undefined;
	readonly headers: IncomingHttpHeaders;
	readonly rawHeaders: readonly string[];
	readonly route: Route | undefined;
	readonly closing: boolean;
	readonly stateless: boolean;
};

/**
The methods each route takes (OPTIONS aside, answered for every route), and its `Allow` header.
*/
export const routeMethods = {
	mcp: {methods: ['GET', 'POST', 'DELETE'], allow: 'GET, POST, DELETE, OPTIONS'},
	sse: {methods: ['GET'], allow: 'GET, OPTIONS'},
	messages: {methods: ['POST'], allow: 'POST, OPTIONS'},
	status: {methods: ['GET', 'HEAD'], allow: 'GET, OPTIONS'},
} as const;

export type RouteKind = keyof typeof routeMethods;

function methodRefusal(kind: RouteKind): Refusal {
	return Object.freeze({status: 405, message: 'Method not allowed', headers: Object.freeze({allow: routeMethods[kind].allow})});
}

const methodRefusals: Readonly<Record<RouteKind, Refusal>> = {
	mcp: methodRefusal('mcp'), sse: methodRefusal('sse'), messages: methodRefusal('messages'), status: methodRefusal('status'),
};

const statelessRefusal: Refusal = Object.freeze({status: 405, message: 'Method not allowed: this server is stateless', headers: Object.freeze({allow: 'POST, OPTIONS'})});
const foreignOrigin: Refusal = Object.freeze({status: 403, message: 'Forbidden: invalid Origin header', log: 'Refused a request from a foreign Origin'});
const unauthorized: Refusal = Object.freeze({status: 401, message: 'Unauthorized: a valid API key is required', headers: Object.freeze({'WWW-Authenticate': 'Bearer'})});
const notFound: Refusal = Object.freeze({status: 404, message: 'Not Found'});

export type RequestChecks = {
	/**
	Before anything else, CORS preflights included.
	*/
	readonly gate: ReadonlyArray<Check<RequestFacts>>;
	/**
	For a CORS preflight: whether the path is one a served server could have.
	*/
	readonly preflight: ReadonlyArray<Check<RequestFacts>>;
	/**
	For every other request, once the CORS headers are set: the API key, the route, the method.
	*/
	readonly access: ReadonlyArray<Check<RequestFacts>>;
};

/**
The request-wide check tables of a listener, built once with its security settings.
*/
export function requestChecks(security: Security, settingNames?: SettingNames): RequestChecks {
	const foreignHost: Refusal = Object.freeze({
		status: 403,
		message: `Forbidden: invalid Host header (DNS rebinding protection). Behind a reverse proxy, allow the host name it forwards with ${settingName(settingNames, 'allowHosts')}`,
		log: `Refused a request with a foreign Host header (DNS rebinding protection; ${settingName(settingNames, 'allowHosts')} allows a name)`,
	});
	const closing: Check<RequestFacts> = facts => facts.closing ? shuttingDown : undefined;
	const repeated: Check<RequestFacts> = facts => {
		const name = repeatedHeader(facts.rawHeaders);
		return name === undefined
			? undefined
			: {
				status: 400, message: `Bad Request: more than one ${name} header`, headers: {connection: 'close'}, log: `Refused a request with more than one ${name} header`,
			};
	};

	const host: Check<RequestFacts> = facts => security.hostAllowed(facts) ? undefined : foreignHost;
	const origin: Check<RequestFacts> = facts => security.originAllowed(facts.headers.origin) ? undefined : foreignOrigin;
	// A preflight never carries the API key: without it, a path shaped like a server's is answered alike whether that server exists or not.
	const shaped: Check<RequestFacts> = facts => facts.route ?? (security.authorized(facts) ? undefined : parseRoute(facts.url, anyServer)) ? undefined : notFound;
	const apiKey: Check<RequestFacts> = facts => security.authorized(facts) ? undefined : unauthorized;
	const route: Check<RequestFacts> = facts => facts.route ? undefined : notFound;
	return {
		gate: [closing, repeated, host, origin],
		preflight: [shaped],
		access: [apiKey, route, method],
	};
}

function headerText(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

const modernMethodRefusal: Refusal = Object.freeze({status: 405, message: 'Method not allowed.', headers: Object.freeze({allow: 'POST'})});

/**
405 for a method the route does not take; GET and DELETE of a stateless server's `/mcp` say why, and so do those of the 2026 revision (a modern `MCP-Protocol-Version` and no session: that revision has no GET stream and no session to delete).
*/
const method: Check<RequestFacts> = facts => {
	const {kind} = (facts.route!);
	if (kind === 'mcp' && (facts.method === 'GET' || facts.method === 'DELETE')) {
		if (facts.stateless) {
			return statelessRefusal;
		}

		if (facts.headers['mcp-session-id'] === undefined && isModernVersion(headerText(facts.headers['mcp-protocol-version']))) {
			return modernMethodRefusal;
		}
	}

	return (routeMethods[kind].methods as readonly string[]).includes(facts.method) ? undefined : methodRefusals[kind];
};
