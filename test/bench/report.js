// The table: one row per metric (figure × what is measured), one column per profile, then ours' ratios to the
// floor and to the best peer, the target of issue 7 and whether ours meets it.

const ms = value => (value >= 100 ? value.toFixed(0) : (value >= 10 ? value.toFixed(1) : value.toFixed(3)));
const integer = value => Math.round(value).toLocaleString('en-US');
const mb = value => (value / 1e6).toFixed(1);
const kb = value => (value / 1e3).toFixed(1);

/** Best peer value of a metric (the lowest or highest among the peers that measured it). */
function bestPeer(values, peers, better) {
	const measured = peers.map(peer => values[peer]).filter(value => Number.isFinite(value));
	if (measured.length === 0) {
		return undefined;
	}

	return better === 'lower' ? Math.min(...measured) : Math.max(...measured);
}

/**
The metrics of the table for a run configuration. `target(values, context)` returns true (met), false (missed) or
undefined (cannot be judged: ours or the reference is missing).
*/
export function metricsFor(config) {
	const largest = config.b6Sessions.at(-1);
	const smallest = config.b6Sessions[0];
	const ours = values => values.ours;
	const atMost = (factor, reference) => (values, context) => {
		const value = ours(values);
		const limit = reference(values, context);
		return Number.isFinite(value) && Number.isFinite(limit) ? value <= factor * limit : undefined;
	};

	const atLeast = (factor, reference) => (values, context) => {
		const value = ours(values);
		const limit = reference(values, context);
		return Number.isFinite(value) && Number.isFinite(limit) ? value >= factor * limit : undefined;
	};

	const floor = values => values['direct-http'];
	const best = (values, context) => context.bestPeer;
	const rows = [
		{
			figure: 'B1', key: 'p50Ms', label: 'B1 p50 (ms)', better: 'lower', format: ms, target: {text: '≤ 1.3× direct-http', check: atMost(1.3, floor)},
		},
		{
			figure: 'B1', key: 'p99Ms', label: 'B1 p99 (ms)', better: 'lower', format: ms, target: {text: '≤ 0.5× best peer', check: atMost(0.5, best)},
		},
		{
			figure: 'B1', key: 'callsPerSecond', label: 'B1 calls/s', better: 'higher', format: integer,
		},
		{
			figure: 'B2', key: 'callsPerSecond', label: `B2 calls/s (${config.b2Clients}×${config.b2Calls})`, better: 'higher', format: integer,
			target: {text: '≥ 3× best peer', check: atLeast(3, best)},
		},
		{
			figure: 'B2', key: 'leanCallsPerSecond', label: `B2 calls/s (${config.b2Clients}×${config.b2Calls}, lean clients)`, better: 'higher', format: integer,
			target: {text: '≥ 3× best peer', check: atLeast(3, best)},
		},
		{
			figure: 'B3', key: 'openMs', label: `B3 open ${config.b3Sessions} sessions (ms)`, better: 'lower', format: ms, target: {text: '≤ best peer', check: atMost(1, best)},
		},
		{
			figure: 'B3', key: 'rssBytes', label: `B3 RSS, ${config.b3Sessions} sessions (MB)`, better: 'lower', format: mb, target: {text: '≤ 0.5× best peer', check: atMost(0.5, best)},
		},
		{
			figure: 'B4', key: 'p50Ms', label: 'B4 p50 (ms)', better: 'lower', format: ms, target: {
				text: '≤ 1.3× direct-http, < every peer',
				check(values, context) {
					const value = ours(values);
					if (!Number.isFinite(value) || !Number.isFinite(floor(values))) {
						return undefined;
					}

					return value <= 1.3 * floor(values) && context.peers.every(peer => !Number.isFinite(values[peer]) || value < values[peer]);
				},
			},
		},
		{
			figure: 'B4', key: 'p99Ms', label: 'B4 p99 (ms)', better: 'lower', format: ms,
		},
		{
			figure: 'B4', key: 'callsPerSecond', label: 'B4 calls/s', better: 'higher', format: integer,
		},
		{
			figure: 'B5', key: 'mbPerSecond', label: `B5 MB/s (${config.b5Calls}×${mb(config.b5Bytes)} MB)`, better: 'higher', format: value => value.toFixed(1),
			target: {text: '≥ 2× best peer', check: atLeast(2, best)},
		},
	];
	for (const count of config.b6Sessions) {
		rows.push({
			figure: 'B6', key: `p50Ms@${count}`, label: `B6 p50 @${count} sessions (ms)`, better: 'lower', format: ms,
			target: count === largest && largest !== smallest
				? {text: `≤ 1.2× ours @${smallest}`, check: atMost(1.2, (values, context) => context.ours?.[`p50Ms@${smallest}`])}
				: undefined,
		}, {
			figure: 'B6', key: `rssBytes@${count}`, label: `B6 RSS @${count} sessions (MB)`, better: 'lower', format: mb,
		});
	}

	rows.push({
		figure: 'B6', key: 'growthBytesPerSession', label: 'B6 RSS growth per extra session (KB)', better: 'lower', format: kb, target: {text: '≤ 0.5× best peer', check: atMost(0.5, best)},
	});
	return rows;
}

function ratio(value, reference) {
	return Number.isFinite(value) && Number.isFinite(reference) && reference !== 0 ? `${(value / reference).toFixed(2)}×` : '—';
}

/**
Build the table rows (as data) from the medians: `medians[figure][profile][key]`.
@returns {Array<{figure, label, values, ours, directRatio, floorRatio, peerRatio, bestPeer, target, met}>}
*/
export function tableRows({config, medians, profileKinds, figureIds}) {
	const rows = [];
	for (const metric of metricsFor(config)) {
		if (!figureIds.includes(metric.figure)) {
			continue;
		}

		const byProfile = medians[metric.figure] ?? {};
		const values = Object.fromEntries(Object.entries(byProfile).map(([profile, keys]) => [profile, keys[metric.key]]));
		const peers = Object.keys(byProfile).filter(profile => profileKinds[profile] === 'peer');
		const best = bestPeer(values, peers, metric.better);
		const context = {bestPeer: best, peers, ours: byProfile.ours};
		const met = metric.target?.check(values, context);
		// Would the relay floor (the least a Node proxy that spawns its server does) meet the same target?
		const relayMet = Number.isFinite(values.relay) ? metric.target?.check({...values, ours: values.relay}, {...context, ours: byProfile.relay}) : undefined;
		rows.push({
			figure: metric.figure,
			key: metric.key,
			label: metric.label,
			format: metric.format,
			values,
			bestPeer: best,
			directRatio: ratio(values.ours, values.direct),
			floorRatio: ratio(values.ours, values['direct-http']),
			relayRatio: ratio(values.ours, values.relay),
			peerRatio: ratio(values.ours, best),
			target: metric.target?.text,
			met,
			relayMet,
		});
	}

	return rows;
}

/** Render the rows as a Markdown table (docs/benchmarks.md takes it as is). */
export function renderTable(rows, columns) {
	const withRelay = columns.includes('relay');
	const header = ['figure', ...columns, 'ours ÷ direct', 'ours ÷ direct-http', ...(withRelay ? ['ours ÷ relay'] : []), 'ours ÷ best peer', 'target (ours)', 'met', ...(withRelay ? ['relay meets it'] : [])];
	const lines = [
		`| ${header.join(' | ')} |`,
		`|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`,
	];
	for (const row of rows) {
		const cells = columns.map(column => (Number.isFinite(row.values[column]) ? row.format(row.values[column]) : '—'));
		const mark = value => ({true: '✓', false: '✗'}[value] ?? (row.target ? '?' : ''));
		lines.push(`| ${[
			row.label, ...cells, row.directRatio, row.floorRatio, ...(withRelay ? [row.relayRatio] : []), row.peerRatio, row.target ?? '', mark(row.met), ...(withRelay ? [row.target ? mark(row.relayMet) : ''] : []),
		].join(' | ')} |`);
	}

	return lines.join('\n');
}

/** One line counting the targets: "Targets met by ours: 3 of 11 (2 missed, 6 not judged: ours or the reference missing)". */
export function targetSummary(rows) {
	const judged = rows.filter(row => row.target !== undefined);
	const met = judged.filter(row => row.met === true).length;
	const missed = judged.filter(row => row.met === false).length;
	const unknown = judged.length - met - missed;
	const beyondFloor = judged.filter(row => row.met === false && row.relayMet === false).length;
	const floorNote = beyondFloor > 0 ? `, ${beyondFloor} of them missed by the relay floor too` : '';
	return `Targets met by ours: ${met} of ${judged.length} (${missed} missed${floorNote}, ${unknown} not judged: ours or the reference missing).`;
}
