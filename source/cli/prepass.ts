import process from 'node:process';
import {UsageError} from '../errors.js';
import {
	actionFlags, flags, meowFlagNames, pairFlags, type FlagSpec, type MeowFlagName, type OptionalFlagName, type PairFlagName,
} from './flags.js';
import {
	isCommand, isOrigin, isUrl, parseVerifySsl, type Environment,
} from './parse.js';

/*
The Python-compatible pre-pass: takes out of the arguments what meow cannot parse the way the Python `mcp-proxy` (argparse) does — the two-value flags, the optional values, further values of `--allow-origin`, `--help`/`--version` and the `--` separator — keeps a single-value flag's last occurrence only, and refuses unknown flags. Pure but for file-system look-ups (is a word a command or a file?).
*/

/**
What the pre-pass took out of the arguments, and what is left for meow.
*/
export type Prepass = {
	/**
	Our arguments for meow: flags and positionals before `--`.
	*/
	argv: string[];
	/**
	Everything after `--`: the child's command and its arguments, or its arguments when the command came before.
	*/
	afterSeparator: string[];
	/**
	The values of the two-value flags, in order: `-H KEY VALUE`, `-e KEY VALUE`, `--named-server NAME COMMAND`.
	*/
	pairs: Record<PairFlagName, Array<[string, string]>>;
	verifySsl: boolean | string | undefined;
	logMessages: string | undefined;
	help: boolean;
	version: boolean;
	/**
	The positionals, in order: the URL, or the command and its arguments before `--` (a flag after the command that is not ours among them).
	*/
	positionals: string[];
};

/**
How an optional-value flag reads its value: whether the next word is its value (else it is a positional), what a value means, and what the flag means alone.
*/
type OptionalValue = {
	readonly field: OptionalFlagName;
	readonly takesNext: (next: string, environment: Environment) => boolean;
	readonly parse: (value: string) => boolean | string;
	readonly alone: boolean | string;
};

const optionalValues = new Map<string, OptionalValue>([
	['--verify-ssl', {
		field: 'verifySsl',
		takesNext: next => !next.startsWith('-') && !isUrl(next),
		parse: parseVerifySsl,
		alone: true,
	}],
	['--no-verify-ssl', {
		field: 'verifySsl',
		takesNext: () => false,
		parse: () => false,
		alone: false,
	}],
	['--log-messages', {
		field: 'logMessages',
		// A following word is the file only if it looks like a path and is not a command: `--log-messages node server.js`, `--log-messages python3.11 server.py` and `--log-messages ./run.sh` keep the command.
		takesNext: (next, environment) => !next.startsWith('-') && !isUrl(next) && /[./\\]/.test(next) && !isCommand(next, environment),
		parse: value => (value === '' ? '-' : value),
		alone: '-',
	}],
]);

/**
Where the pre-pass is in the arguments, and which tokens of `result.argv` an argument given again replaces.
*/
type Scan = {
	readonly ours: readonly string[];
	readonly environment: Environment;
	readonly result: Prepass;
	/**
	Where each single-value flag's tokens are in `result.argv`.
	*/
	readonly lastOccurrence: Map<MeowFlagName, number[]>;
	/**
	Tokens of earlier occurrences, to drop at the end.
	*/
	readonly dropped: Set<number>;
};

/**
A flag where it occurs in the arguments: `--name=value` is `{name: '--name', inlineValue: 'value'}`.
*/
type Occurrence = {
	readonly index: number;
	readonly token: string;
	readonly name: string;
	readonly inlineValue: string | undefined;
};

/**
Take out what meow cannot parse: the two-value flags of the Python tool, optional values, further values of `--allow-origin`, and the `--` separator. A single-value flag given again replaces the earlier value (the last one wins, as with argparse). Unknown flags are refused here, with a hint about `--`.
*/
export function prepass(argv: readonly string[], environment: Environment = process.env): Prepass {
	const separator = argv.indexOf('--');
	const scan: Scan = {
		ours: separator === -1 ? [...argv] : argv.slice(0, separator),
		environment,
		result: {
			argv: [],
			afterSeparator: separator === -1 ? [] : argv.slice(separator + 1),
			pairs: {headers: [], env: [], namedServer: []},
			verifySsl: undefined,
			logMessages: undefined,
			help: false,
			version: false,
			positionals: [],
		},
		lastOccurrence: new Map(),
		dropped: new Set(),
	};
	const {ours, result} = scan;
	for (let index = 0; index < ours.length; index++) {
		const token = ours[index]!;
		if (!token.startsWith('-') || token === '-') {
			result.argv.push(token);
			result.positionals.push(token);
			continue;
		}

		const equals = token.startsWith('--') ? token.indexOf('=') : -1;
		const flag: Occurrence = {
			index,
			token,
			name: equals === -1 ? token : token.slice(0, equals),
			inlineValue: equals === -1 ? undefined : token.slice(equals + 1),
		};
		const pair = pairFlags.get(flag.name);
		const optional = optionalValues.get(flag.name);
		const action = actionFlags.get(flag.name);
		if (pair) {
			index = takePair(scan, flag, pair);
		} else if (optional) {
			index = takeOptional(scan, flag, optional);
		} else if (action) {
			result[action] = true;
		} else {
			index = takeMeowFlag(scan, flag);
		}
	}

	result.argv = result.argv.filter((_, position) => !scan.dropped.has(position));
	return result;
}

/**
A two-value flag at `index`: its two values (the first may be inline, `--env=KEY VALUE`). Returns the index of the last word taken.
*/
function takePair({ours, result}: Scan, {index, name, inlineValue}: Occurrence, pair: PairFlagName): number {
	const values = inlineValue === undefined ? ours.slice(index + 1, index + 3) : [inlineValue, ...ours.slice(index + 1, index + 2)];
	if (values.length < 2 || values.some(value => value.startsWith('--'))) {
		const spec: FlagSpec = flags[pair];
		throw new UsageError(`\`${name}\` expects two values, ${spec.metavar!}${values[0] === undefined ? '' : `; got only \`${values[0]}\``}. Example: ${name} ${spec.example!}`);
	}

	result.pairs[pair].push([values[0]!, values[1]!]);
	return index + (inlineValue === undefined ? 2 : 1);
}

/**
An optional-value flag at `index`: its inline value, the next word when it is one, or none. Returns the index of the last word taken.
*/
function takeOptional({ours, result, environment}: Scan, {index, inlineValue}: Occurrence, optional: OptionalValue): number {
	const next = ours[index + 1];
	const takesNext = inlineValue === undefined && next !== undefined && optional.takesNext(next, environment);
	const value = inlineValue ?? (takesNext ? next : undefined);
	Object.assign(result, {[optional.field]: value === undefined ? optional.alone : optional.parse(value)});
	return takesNext ? index + 1 : index;
}

/**
A flag meow parses, at `index`, copied to meow's arguments with its value (and, for `--allow-origin`, the further origins after it), or a flag that is not ours: the command's when it comes after the command, else refused. Returns the index of the last word taken.
*/
function takeMeowFlag(scan: Scan, occurrence: Occurrence): number {
	const {result} = scan;
	const {
		index, token, name, inlineValue,
	} = occurrence;
	const bare = name.startsWith('--no-') ? name.slice(5) : name.slice(2);
	const known = name.startsWith('--') ? meowFlagNames.get(bare) : undefined;
	if (!known || (name.startsWith('--no-') && flags[known].kind !== 'boolean')) {
		if (result.positionals.length > 0 && !isUrl(result.positionals[0]!)) {
			// After the command, a flag that is not ours is the command's (the ones we know stay ours, as in the Python tool).
			result.positionals.push(token);
			return index;
		}

		throw new UsageError(`Unknown option \`${token}\`. See \`mcp-proxy --help\`; a server command's own flags go after the command, or after \`--\`.`);
	}

	const {kind}: FlagSpec = flags[known];
	const start = result.argv.length;
	if (kind === 'boolean') {
		// Spelled out, so that meow does not take a following `true` or `false` for its value: as with argparse, that word is a positional (`--stateless false …` runs `false`).
		result.argv.push(inlineValue === undefined ? `--${bare}=${name.startsWith('--no-') ? 'false' : 'true'}` : token);
		return index;
	}

	result.argv.push(token);
	const last = inlineValue === undefined ? takeValue(scan, occurrence, known) : index;
	if (kind === 'string') {
		for (const earlier of scan.lastOccurrence.get(known) ?? []) {
			scan.dropped.add(earlier);
		}

		scan.lastOccurrence.set(known, Array.from({length: result.argv.length - start}, (_, offset) => start + offset));
	}

	return last;
}

/**
The value of a flag that takes one, from the word after it (and, for `--allow-origin`, the further origins after that). Returns the index of the last word taken.
*/
function takeValue({ours, result}: Scan, {index, token, name}: Occurrence, known: MeowFlagName): number {
	const value = ours[index + 1];
	if (value === undefined || (value.startsWith('-') && value !== '-')) {
		throw new UsageError(`\`${name}\` expects a value.`);
	}

	result.argv.push(value);
	let last = index + 1;
	// `--allow-origin A B C`, as in the Python tool (nargs="+"): the words after the value that are origins; a command or a URL with a path is not one.
	if (known === 'allowOrigin') {
		while (last + 1 < ours.length && isOrigin(ours[last + 1]!)) {
			result.argv.push(token, ours[++last]!);
		}
	}

	return last;
}
