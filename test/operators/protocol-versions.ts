/*
Table tests of the protocol version a client is told when the proxy initialized its upstream on its behalf (source/operators/protocol-versions.ts).
*/
import test from 'ava';
import {
	knownProtocolVersions, latestProtocolVersion, negotiateProtocolVersion, proxyClientInfo,
} from '../../source/operators/protocol-versions.js';

test('a client gets the upstream\'s version, unless it asked for an older revision the proxy knows', t => {
	const rows: Array<[string | undefined, string, string]> = [
		[undefined, '2025-06-18', '2025-06-18'],
		['2025-06-18', '2025-06-18', '2025-06-18'],
		['2025-03-26', '2025-06-18', '2025-03-26'],
		['2024-11-05', '2025-11-25', '2024-11-05'],
		// Newer than the upstream: the upstream's.
		['2025-11-25', '2025-03-26', '2025-03-26'],
		// Unknown to the proxy, older or newer: the upstream's.
		['2024-01-01', '2025-06-18', '2025-06-18'],
		['2026-07-28', '2025-06-18', '2025-06-18'],
		['garbage', '2025-06-18', '2025-06-18'],
		// An upstream newer than the proxy knows is forwarded untouched.
		['2025-06-18', '2026-07-28', '2025-06-18'],
		[undefined, '2026-07-28', '2026-07-28'],
	];
	for (const [requested, upstream, told] of rows) {
		t.is(negotiateProtocolVersion(requested, upstream), told, `${String(requested)} with ${upstream}`);
	}
});

test('the known revisions are in order, the latest is the last, and the proxy initializes with it', t => {
	t.deepEqual(knownProtocolVersions.toSorted(), [...knownProtocolVersions]);
	t.is(knownProtocolVersions.at(-1), latestProtocolVersion);
	t.is(proxyClientInfo.protocolVersion, latestProtocolVersion);
});
