/*
The multiplexer's options: what each means, its default, and the checks that turn them into the step's settings.
*/
import type {SchedulerLike} from 'rxjs';
import type {Logger} from '../../logger.js';
import type {SettingNames} from '../../setting-names.js';
import type {MultiplexConfig} from './state.js';

export type MultiplexOptions = {
	/**
	Names the server in logs and errors.

	@default 'the server'
	*/
	name?: string;
	/**
	First delay before restarting an upstream that ended; doubles on each failure in a row.

	@default 1000
	*/
	restartDelay?: number;
	/**
	The longest delay before a restart; a `restartDelay` above it is capped to it.

	@default 30000
	*/
	restartMaxDelay?: number;
	/**
	An upstream that has run this long counts as healthy: the next restart starts from `restartDelay` again.

	@default 10000
	*/
	stableAfter?: number;
	/**
	How long the upstream may take to answer `initialize`.

	@default 60000
	*/
	initializeTimeout?: number;
	/**
	Requests held while the upstream is starting or restarting; more are answered with an error.

	@default 1000
	*/
	maxQueued?: number;
	/**
	How long a server→client request (sampling, elicitation, roots) may wait when several client sessions had requests in flight as it came, and so could each have caused it: it goes to the one left once the others' requests are answered, and the upstream gets an error if more than one is still waiting after this long.

	@default 30000
	*/
	ambiguousRequestTimeout?: number;
	/**
	How messages name the settings they suggest, by option name: the error for an ambiguous server request suggests isolating sessions (`isolateSessions`), e.g. `{isolateSessions: '--isolate-sessions'}`.

	@default the option names (`the \`isolateSessions\` option`)
	*/
	settingNames?: SettingNames;
	/**
	The era of the sessions: `modern` serves requests of the 2026-07-28 revision (each session one request with its own `_meta` envelope): the upstream is probed with `server/discover` instead of initialized, ids and progress tokens are remapped as ever, nothing is answered by the proxy, and logs go only to requests that asked for them. An upstream that speaks only the other era is not restarted: its clients get -32022 with the versions it does speak.

	@default '2025'
	*/
	era?: '2025' | 'modern';
	logger?: Logger;
	scheduler?: SchedulerLike;
};

/**
The step's settings from the options, with their defaults. Throws a `TypeError` for a restart delay that is not a number ≥ 0; a `restartDelay` above `restartMaxDelay` is capped to it, as it always was.
*/
export function multiplexConfig(options: MultiplexOptions): MultiplexConfig {
	const {
		name = 'the server',
		restartDelay = 1000,
		restartMaxDelay = 30_000,
		stableAfter = 10_000,
		initializeTimeout = 60_000,
		maxQueued = 1000,
		ambiguousRequestTimeout = 30_000,
		settingNames,
		era = '2025',
	} = options;
	if (!Number.isFinite(restartDelay) || restartDelay < 0) {
		throw new TypeError(`Expected \`restartDelay\` to be a number ≥ 0, got \`${restartDelay}\``);
	}

	if (!(restartMaxDelay >= 0)) {
		throw new TypeError(`Expected \`restartMaxDelay\` to be a number ≥ 0, got \`${restartMaxDelay}\``);
	}

	return {
		name,
		title: name.charAt(0).toUpperCase() + name.slice(1),
		restartDelay: Math.min(restartDelay, restartMaxDelay),
		restartMaxDelay,
		stableAfter,
		initializeTimeout,
		maxQueued,
		ambiguousRequestTimeout,
		settingNames,
		era,
	};
}
