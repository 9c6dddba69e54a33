/*
The message log: a sink for `tapMessages` that writes each entry as a redacted JSON line to a file or standard error. Tested with tapMessages (test/operators/tap-messages.ts).
*/
import {createWriteStream} from 'node:fs';
import process from 'node:process';
import {noRedaction, type Redactor} from '../redactor.js';
import {stringifyJson} from '../wire/exact-numbers.js';
import type {TappedMessage} from './tap-messages.js';

export type MessageLog = {
	write: (entry: TappedMessage) => void;
	/**
	Resolves once everything written has reached the file.
	*/
	close: () => Promise<void>;
};

/**
A sink for `tapMessages` that writes one JSON line per message, `{time, direction, session, message}`, to a file (appending) or, without one, to standard error. Never to standard output. The secrets `redactor` knows are hidden.
*/
export function messageLog(file?: string, {redactor = noRedaction}: {redactor?: Redactor} = {}): MessageLog {
	if (file === undefined || file === '-') {
		return {
			write(entry) {
				process.stderr.write(`${redactor.redact(stringifyJson(entry))}\n`);
			},
			async close() {
				// Standard error needs no closing.
			},
		};
	}

	const stream = createWriteStream(file, {flags: 'a', mode: 0o600});
	stream.on('error', error => {
		process.stderr.write(`Cannot write the message log ${file}: ${error.message}\n`);
	});

	return {
		write(entry) {
			stream.write(`${redactor.redact(stringifyJson(entry))}\n`);
		},
		async close() {
			await new Promise<void>(resolve => {
				stream.end(resolve);
			});
		},
	};
}
