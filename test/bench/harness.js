// The benchmark run: for each figure, repetitions in which every profile runs its slice in rotating order
// (A B C, B C A, …), medians across repetitions, one table on stdout and the JSON in results/.
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {parseArgs} from 'node:util';
import {figures, GuardError} from './figures.js';
import {cpuSecondsUsed, describeMachine, machineLine} from './lib/machine.js';
import {treePids} from './lib/process-tree.js';
import {killAllServices} from './lib/service.js';
import {median, withDeadline} from './lib/stats.js';
import {
	cannotDo, clientProfiles, peerVersion, rootDirectory, serverProfiles, startRemote, useOurCli,
} from './profiles.js';
import {renderTable, tableRows, targetSummary} from './report.js';

const fullConfig = {
	reps: 3,
	warmup: 200,
	b1Calls: 2000,
	b2Clients: 8,
	b2Calls: 500,
	b3Sessions: 100,
	b4Calls: 2000,
	b5Calls: 50,
	b5Bytes: 1_000_000,
	b6Sessions: [1, 10, 100, 1000],
	b6Calls: 500,
	b6Warmup: 50,
	openConcurrency: 16,
	openTimeoutSeconds: 120,
	sliceSeconds: 240,
	b6SliceSeconds: 900,
};

const quickConfig = {
	...fullConfig,
	reps: 1,
	warmup: 50,
	b1Calls: 300,
	b2Calls: 60,
	b3Sessions: 20,
	b4Calls: 300,
	b5Calls: 10,
	b6Sessions: [1, 10, 100],
	b6Calls: 100,
	b6Warmup: 20,
	sliceSeconds: 60,
	b6SliceSeconds: 180,
};

const help = `Usage: npm run bench -- [options]

  --only B1,B2,…        figures to run (default: all of B1…B6)
  --profiles a,b,…      profiles to run (default: all): direct, direct-http, relay, ours, ours-isolated,
                        mcp-proxy, supergateway, mcp-remote
  --reps N              repetitions per figure (default 3; 1 with --quick)
  --warmup N            calls per session before a figure's timed calls (default 200; 50 with --quick)
  --quick               small counts, one repetition: a smoke test of a minute or two
  --sessions 1,10,…     the S values of B6 (default 1,10,100,1000; 1,10,100 with --quick)
  --max-rss-gib N       in B6, a profile whose process tree passes this RSS (or would, projected from
                        its growth so far) "did not survive" that S (default 4)
  --min-free-gib N      stop a profile of B3 or B6 when the machine's free memory falls below this
                        (default 3)
  --out FILE            where to write the JSON (default test/bench/results/latest.json)
  --ours FILE           the cli.js to measure as ours (default distribution/cli.js)
  --check               exit with code 1 unless every target of ours was judged and met
  --help                this text
`;

function parseOptions(argv) {
	const {values} = parseArgs({
		args: argv,
		options: {
			only: {type: 'string'},
			profiles: {type: 'string'},
			reps: {type: 'string'},
			warmup: {type: 'string'},
			quick: {type: 'boolean', default: false},
			sessions: {type: 'string'},
			'max-rss-gib': {type: 'string', default: '4'},
			'min-free-gib': {type: 'string', default: '3'},
			out: {type: 'string', default: path.join(rootDirectory, 'test/bench/results/latest.json')},
			ours: {type: 'string'},
			check: {type: 'boolean', default: false},
			help: {type: 'boolean', default: false},
		},
	});
	const positive = (name, text) => {
		const value = Number(text);
		if (!Number.isFinite(value) || value <= 0) {
			throw new TypeError(`Expected \`--${name}\` to be a positive number, got \`${text}\``);
		}

		return value;
	};

	const list = text => text.split(',').map(item => item.trim()).filter(Boolean);
	const config = {...(values.quick ? quickConfig : fullConfig)};
	if (values.reps !== undefined) {
		config.reps = Math.round(positive('reps', values.reps));
	}

	if (values.warmup !== undefined) {
		config.warmup = Math.round(positive('warmup', values.warmup));
	}

	if (values.sessions !== undefined) {
		config.b6Sessions = list(values.sessions).map(text => Math.round(positive('sessions', text))).toSorted((a, b) => a - b);
	}

	const figureIds = values.only === undefined ? figures.map(figure => figure.id) : list(values.only).map(id => id.toUpperCase());
	for (const id of figureIds) {
		if (!figures.some(figure => figure.id === id)) {
			throw new TypeError(`Expected \`--only\` to list figures among ${figures.map(figure => figure.id).join(', ')}, got \`${id}\``);
		}
	}

	return {
		help: values.help,
		quick: values.quick,
		config,
		figureIds,
		profileNames: values.profiles === undefined ? undefined : list(values.profiles),
		guard: {maxTreeRssBytes: positive('max-rss-gib', values['max-rss-gib']) * (1024 ** 3), minFreeBytes: positive('min-free-gib', values['min-free-gib']) * (1024 ** 3)},
		out: path.resolve(values.out),
		ours: values.ours,
		check: values.check,
	};
}

/** Kill everything this run started: services (with their trees) and any other child left (stdio sessions). */
function killEverything() {
	killAllServices();
	for (const pid of treePids([process.pid])) {
		if (pid !== process.pid) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// Already gone.
			}
		}
	}
}

const log = message => {
	process.stderr.write(`${message}\n`);
};

function summary(result) {
	return Object.entries(result)
		.filter(([key, value]) => typeof value === 'number' && !key.startsWith('openMs@'))
		.map(([key, value]) => `${key} ${key.includes('Bytes') ? `${(value / 1e6).toFixed(1)}MB` : value.toFixed(key.endsWith('Ms') || key.includes('Ms@') ? 3 : 0)}`)
		.join(', ');
}

function profilesFor(figure, profileNames) {
	const all = figure.group === 'client' ? clientProfiles : serverProfiles;
	return all.filter(profile => {
		if (profileNames !== undefined && !profileNames.includes(profile.name)) {
			return false;
		}

		// Some profiles run in some figures only when named (--profiles), e.g. direct in B3 and B6.
		if (profile.whenNamed?.includes(figure.id)) {
			return profileNames !== undefined;
		}

		return profile.figures === undefined || profile.figures.includes(figure.id);
	});
}

/**
Run one slice: start the profile, measure one repetition of the figure, stop the profile. Failures are recorded
in `state` (notes; profiles that never start are not tried again in this figure), never thrown.
*/
async function runSlice({figure, profile, rep, context, options, state}) {
	const {config, guard} = options;
	const label = `${figure.id} rep ${rep + 1}/${config.reps} ${profile.name}`;
	const began = performance.now();
	const elapsed = () => `[${((performance.now() - began) / 1000).toFixed(1)} s]`;
	let instance;
	try {
		instance = await withDeadline(profile.start(context), 30_000, `${profile.name} start`);
	} catch (error) {
		state.failedToStart.add(profile.name);
		state.notes[profile.name] = `failed to start: ${error.message}`;
		log(`${label}: failed to start: ${error.message}`);
		return;
	}

	const seconds = figure.id === 'B6' ? config.b6SliceSeconds : config.sliceSeconds;
	try {
		const result = await withDeadline(figure.run(instance, config, guard), seconds * 1000, label);
		state.raw[profile.name].push(result);
		if (result.note) {
			state.notes[profile.name] = result.note;
		}

		log(`${label}: ${summary(result)}${result.note ? ` (${result.note})` : ''} ${elapsed()}`);
	} catch (error) {
		// A stdio profile starts with its first session: a failure to connect at all is a failure to start.
		const neverStarted = rep === 0 && state.raw[profile.name].length === 0 && /connection closed|exited|econnrefused/i.test(error.message);
		let kind = neverStarted ? 'failed to start' : 'failed';
		if (error instanceof GuardError) {
			kind = 'did not survive';
		}

		state.notes[profile.name] = `${kind}: ${error.message}`;
		if (neverStarted) {
			state.failedToStart.add(profile.name);
		}

		log(`${label}: ${kind}: ${error.message} ${elapsed()}`);
	} finally {
		await withDeadline(instance.stop(), 15_000, `${profile.name} stop`).catch(error => {
			log(`${label}: stop: ${error.message}`);
		});
	}
}

/** Run one figure: reps × profiles in rotating order (A B C, B C A, …); returns raw results, medians and notes. */
async function runFigure(figure, options) {
	const profiles = profilesFor(figure, options.profileNames);
	const state = {raw: Object.fromEntries(profiles.map(profile => [profile.name, []])), notes: {}, failedToStart: new Set()};
	const context = {};
	let remote;
	if (figure.group === 'client') {
		remote = await startRemote();
		context.remoteUrl = remote.url;
	}

	try {
		for (let rep = 0; rep < options.config.reps; rep++) {
			const order = profiles.map((_, index) => profiles[(index + rep) % profiles.length]);
			for (const profile of order.filter(profile => !state.failedToStart.has(profile.name))) {
				// eslint-disable-next-line no-await-in-loop
				await runSlice({
					figure, profile, rep, context, options, state,
				});
			}
		}
	} finally {
		await remote?.stop();
	}

	const {raw, notes} = state;
	const medians = {};
	for (const [name, results] of Object.entries(raw)) {
		if (results.length === 0) {
			continue;
		}

		const keys = new Set(results.flatMap(result => Object.keys(result).filter(key => typeof result[key] === 'number')));
		medians[name] = Object.fromEntries([...keys].map(key => [key, median(results.map(result => result[key]))]));
		medians[name].reps = results.length;
	}

	return {
		raw, medians, notes, profiles: profiles.map(profile => profile.name),
	};
}

/** Run the benchmark with the given command-line arguments; resolves to the process exit code. */
export async function main(argv) {
	let options;
	try {
		options = parseOptions(argv);
	} catch (error) {
		log(`bench: ${error.message}\n\n${help}`);
		return 2;
	}

	if (options.help) {
		process.stdout.write(help);
		return 0;
	}

	if (options.ours !== undefined) {
		useOurCli(options.ours);
	}

	const onSignal = signal => {
		log(`bench: ${signal}, stopping every process started`);
		killEverything();
		process.exit(130);
	};

	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	process.once('exit', killEverything);

	const machine = describeMachine();
	const started = new Date();
	log(`bench: ${options.quick ? 'quick' : 'full'} run of ${options.figureIds.join(', ')}, ${options.config.reps} repetition(s), on ${machineLine(machine)}`);
	const results = {};
	for (const figure of figures.filter(figure => options.figureIds.includes(figure.id))) {
		log(`${figure.id}: ${figure.title}`);
		// eslint-disable-next-line no-await-in-loop
		results[figure.id] = await runFigure(figure, options);
	}

	const profileKinds = Object.fromEntries([...serverProfiles, ...clientProfiles].map(profile => [profile.name, profile.kind]));
	const medians = Object.fromEntries(Object.entries(results).map(([id, result]) => [id, result.medians]));
	const rows = tableRows({
		config: options.config, medians, profileKinds, figureIds: options.figureIds,
	});
	const allColumns = ['direct', 'direct-http', 'relay', 'ours', 'ours-isolated', 'mcp-proxy', 'supergateway', 'mcp-remote'];
	const columns = allColumns.filter(column => Object.values(results).some(result => result.profiles.includes(column)));
	// One note per profile and reason, naming the figures it applies to (log timestamps left out).
	const grouped = new Map();
	const addNote = (id, profile, text) => {
		const key = `${profile}: ${text.replaceAll(/\[[A-Z]? ?\d{4}-\d\d-\d\d[^\]]*]\s*/g, '')}`;
		grouped.set(key, [...(grouped.get(key) ?? []), id]);
	};

	for (const [id, result] of Object.entries(results)) {
		for (const [profile, note] of Object.entries(result.notes)) {
			addNote(id, profile, note);
		}

		for (const entry of cannotDo) {
			if (entry.figures.includes(id) && columns.includes(entry.profile) && !result.profiles.includes(entry.profile)) {
				addNote(id, entry.profile, entry.reason);
			}
		}
	}

	const notes = [...grouped].map(([key, ids]) => `${ids.join(', ')} ${key}`);

	const peers = Object.fromEntries(['mcp-proxy', 'supergateway', 'mcp-remote'].map(name => [name, peerVersion(name)]));
	const seconds = (Date.now() - started.getTime()) / 1000;
	const cpuSeconds = cpuSecondsUsed();
	const table = renderTable(rows, columns);
	const lines = [
		table,
		'',
		targetSummary(rows),
		`Medians of ${options.config.reps} repetition(s), profiles interleaved; ${options.quick ? 'quick' : 'full'} run of ${Math.round(seconds)} s`
		+ `${cpuSeconds === undefined ? '' : ` (${Math.round(cpuSeconds)} CPU-s used by the run's processes)`} on ${started.toISOString().slice(0, 10)}.`,
		`Machine: ${machineLine(machine)}; load average at start ${machine.loadAverage.join(' ')}.`,
		`Peers: ${Object.entries(peers).map(([name, version]) => `${name} ${version ?? '(not installed)'}`).join(', ')}.`,
		...(notes.length > 0 ? ['', 'Notes:', ...notes.map(note => `- ${note}`)] : []),
		'',
	];
	process.stdout.write(`\n${lines.join('\n')}`);

	const json = {
		date: started.toISOString(),
		seconds,
		cpuSeconds,
		command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
		machine,
		config: options.config,
		guard: options.guard,
		peers,
		invocations: Object.fromEntries([
			...serverProfiles.map(profile => [`server:${profile.name}`, profile.invocation]),
			...clientProfiles.map(profile => [`client:${profile.name}`, profile.invocation]),
		]),
		figures: results,
		table: rows.map(({format, ...row}) => row),
		notes,
		targets: targetSummary(rows),
		markdown: table,
	};
	mkdirSync(path.dirname(options.out), {recursive: true});
	writeFileSync(options.out, `${JSON.stringify(json, undefined, '\t')}\n`);
	log(`bench: JSON written to ${path.relative(process.cwd(), options.out)}`);
	const allMet = rows.every(row => row.target === undefined || row.met === true);
	return options.check && !allMet ? 1 : 0;
}
