import {
	accessSync, constants, existsSync, statSync,
} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {UsageError} from '../errors.js';

/*
The small parsers of flag values and words of the command line: durations, sizes, integers, booleans, header lines, origins, URLs, commands (on disk or on PATH) and shell-quoted command strings. Each throws a `UsageError` that names the flag and what it expects.
*/

export type Environment = Readonly<Record<string, string | undefined>>;

export const isUrl = (value: string) => /^https?:\/\//i.test(value);

const durationUnits: Record<string, number> = {
	ms: 1,
	s: 1000,
	m: 60_000,
	h: 3_600_000,
};

/**
A duration in milliseconds from `1500ms`, `30s`, `5m`, `1h`, or a plain number of seconds.
*/
export function parseDuration(flag: string, value: string): number {
	const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
	if (!match) {
		throw new UsageError(`\`--${flag}\` expects a duration such as 30s, 1500ms or 5m (a plain number is seconds), got \`${value}\`.`);
	}

	return Math.round(Number(match[1]) * durationUnits[match[2] ?? 's']!);
}

const sizeUnits = new Map<string, number>([
	['', 1],
	['b', 1],
	['k', 1024],
	['kb', 1024],
	['kib', 1024],
	['m', 1024 ** 2],
	['mb', 1024 ** 2],
	['mib', 1024 ** 2],
	['g', 1024 ** 3],
	['gb', 1024 ** 3],
	['gib', 1024 ** 3],
]);

/**
A size in bytes from `1048576`, `512k`, `16MiB`, `1g` (binary units).
*/
export function parseSize(flag: string, value: string): number {
	const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
	const unit = match ? sizeUnits.get(match[2]!.toLowerCase()) : undefined;
	if (!match || unit === undefined || Number(match[1]) * unit < 1) {
		throw new UsageError(`\`--${flag}\` expects a size in bytes such as 1048576, 512k or 16MiB, got \`${value}\`.`);
	}

	return Math.floor(Number(match[1]) * unit);
}

export function parseInteger(flag: string, value: string, min: number, max: number): number {
	const number = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
	if (!Number.isSafeInteger(number) || number < min || number > max) {
		throw new UsageError(`\`--${flag}\` expects an integer between ${min} and ${max}, got \`${value}\`.`);
	}

	return number;
}

const booleanWords = new Map<string, boolean>([
	['true', true],
	['yes', true],
	['on', true],
	['1', true],
	['false', false],
	['no', false],
	['off', false],
	['0', false],
]);

/**
The value of `--verify-ssl`: a boolean word (`true`, `no`, `0`…), or the path of an existing CA bundle.
*/
export function parseVerifySsl(value: string): boolean | string {
	const word = booleanWords.get(value.toLowerCase());
	if (word !== undefined) {
		return word;
	}

	if (!existsSync(value)) {
		throw new UsageError(`\`--verify-ssl\` expects true, false or the path of a CA bundle; \`${value}\` is none of these (no such file).`);
	}

	return value;
}

/**
A `--header` value, `Name: value`, as a pair.
*/
export function parseHeaderLine(value: string): [string, string] {
	const colon = value.indexOf(':');
	if (colon <= 0) {
		throw new UsageError(`\`--header\` expects "Name: value", got \`${value}\`. For two separate values use -H NAME VALUE.`);
	}

	return [value.slice(0, colon).trim(), value.slice(colon + 1).trim()];
}

const headerName = /^[!#$%&'*+.^`|~\w-]+$/;

/**
A header as given on the command line, refused when its name is not a token or its value could start another header.
*/
export function checkHeader([name, value]: [string, string]): [string, string] {
	if (!headerName.test(name)) {
		throw new UsageError(`Invalid header name \`${name}\`: use letters, digits and - only.`);
	}

	// Header injection: a value with a line break would start a new header.
	if (/[\r\n\0]/.test(value)) {
		throw new UsageError(`Invalid value for header \`${name}\`: it contains a line break or NUL.`);
	}

	return [name, value];
}

/**
A CORS origin as `--allow-origin` takes it: `*`, `null`, or `scheme://host[:port]` with no path but an optional `/`. A URL with a path (`http://host/mcp`) is never one, so the URL of client mode is not taken for an origin.
*/
export function isOrigin(value: string): boolean {
	if (value === '*' || value === 'null') {
		return true;
	}

	if (!/^[a-z][a-z\d+.-]*:\/\/[^/?#@\s]+\/?$/i.test(value) || !URL.canParse(value)) {
		return false;
	}

	const url = new URL(value);
	return url.pathname === '/' || url.pathname === '';
}

function isExecutableFile(file: string, environment: Environment): boolean {
	try {
		if (!statSync(file).isFile()) {
			return false;
		}

		if (process.platform === 'win32') {
			const extensions = (environment['PATHEXT'] ?? '.COM;.EXE;.BAT;.CMD').toUpperCase().split(';');
			return extensions.includes(path.extname(file).toUpperCase());
		}

		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/**
Whether `word` names something to run: an existing executable file or a directory, or a bare name (no slash) of an executable on PATH.
*/
export function isCommand(word: string, environment: Environment): boolean {
	try {
		if (statSync(word).isDirectory()) {
			return true;
		}
	} catch {
		// Not there: maybe a name on PATH.
	}

	if (isExecutableFile(word, environment)) {
		return true;
	}

	if (/[/\\]/.test(word)) {
		return false;
	}

	const pathValue = environment['PATH'] ?? environment['Path'] ?? '';
	const extensions = process.platform === 'win32' ? ['', ...(environment['PATHEXT'] ?? '.COM;.EXE;.BAT;.CMD').split(';')] : [''];
	return pathValue.split(path.delimiter).some(directory => directory !== '' && extensions.some(extension => isExecutableFile(path.join(directory, word + extension), environment)));
}

/**
Split a command string the way a POSIX shell would (quotes and backslashes), without running a shell.
*/
export function splitCommand(command: string): string[] {
	const words: string[] = [];
	let word = '';
	let inWord = false;
	let quote: '"' | '\'' | undefined;
	for (let index = 0; index < command.length; index++) {
		const character = command[index]!;
		if (quote === '\'') {
			if (character === '\'') {
				quote = undefined;
			} else {
				word += character;
			}
		} else if (quote === '"') {
			if (character === '"') {
				quote = undefined;
			} else if (character === '\\' && index + 1 < command.length && '"\\$`'.includes(command[index + 1]!)) {
				word += command[++index];
			} else {
				word += character;
			}
		} else if (character === '\'' || character === '"') {
			quote = character;
			inWord = true;
		} else if (character === '\\' && index + 1 < command.length) {
			word += command[++index];
			inWord = true;
		} else if (/\s/.test(character)) {
			if (inWord) {
				words.push(word);
				word = '';
				inWord = false;
			}
		} else {
			word += character;
			inWord = true;
		}
	}

	if (quote) {
		throw new UsageError(`Unterminated ${quote === '"' ? 'double' : 'single'} quote in \`${command}\`.`);
	}

	if (inWord) {
		words.push(word);
	}

	return words;
}
