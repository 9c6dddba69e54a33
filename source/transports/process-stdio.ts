/*
The proxy's own standard input and output as a transport: what a local client writes to us, and what we write back (client mode's face).
*/
import process from 'node:process';
import type {Readable, Writable} from 'node:stream';
import {Observable} from 'rxjs';
import type {Message, Transport} from '../types.js';
import {defaultLogger, type Logger} from '../logger.js';
import {checkSettingNames, type SettingNames} from '../setting-names.js';
import {defaultMaxLineBytes, defaultMaxQueueBytes, wireLineStreams} from './line-stream/index.js';

export type ProcessStdioOptions = {
	/**
	@default process.stdin
	*/
	stdin?: Readable;
	/**
	@default process.stdout
	*/
	stdout?: Writable;
	/**
	The longest message accepted, in bytes.

	@default 134217728 (128 MiB)
	*/
	maxLineBytes?: number;
	/**
	@default 268435456 (256 MiB)
	*/
	maxQueueBytes?: number;
	/**
	How messages name the settings they suggest, by option name: a message over `maxLineBytes` says to raise it as this names it (by default ``the `maxLineBytes` option``; a command line passes its flag, `{maxLineBytes: '--max-message-bytes'}`).
	*/
	settingNames?: SettingNames;
	logger?: Logger;
};

/**
Our own standard input and output as a transport: the side a local MCP client (Claude Desktop, an IDE) talks to when it starts the proxy.

Completes when standard input ends (the client went away), which, through `link`, shuts the other side down gracefully; what that side still sends (answers to requests already made) is written to standard output until it closes. When the outgoing messages complete (the other side closed), it waits for standard output to take what is queued, then completes. Standard output carries nothing but MCP messages.
*/
export function processStdio(options: ProcessStdioOptions = {}): Transport {
	const {
		stdin = process.stdin,
		stdout = process.stdout,
		maxLineBytes = defaultMaxLineBytes,
		maxQueueBytes = defaultMaxQueueBytes,
		settingNames,
		logger = defaultLogger,
	} = options;
	checkSettingNames(settingNames);

	return outgoing$ => new Observable<Message>(subscriber => {
		let inputEnded = false;
		let outgoingDone = false;
		const wired = wireLineStreams({
			readable: stdin,
			writable: stdout,
			subscriber,
			outgoing$,
			options: {
				maxLineBytes, maxQueueBytes, settingNames, logger, label: 'stdin',
			},
			onReadableEnd() {
				logger.debug('stdin ended: the client closed the connection');
				inputEnded = true;
				subscriber.complete();
			},
			onOutgoingComplete() {
				outgoingDone = true;
				void wired.writer.flushed().then(() => {
					if (inputEnded) {
						wired.dispose();
					}

					subscriber.complete();
				});
			},
		});

		const onError = (error: Error) => {
			logger.debug('stdio error:', error.message);
			// The client is gone (EPIPE on stdout, or stdin failed): as good as closed.
			subscriber.complete();
		};

		stdin.on('error', onError);
		stdout.on('error', onError);
		stdin.resume();

		return () => {
			stdin.off('error', onError);
			stdout.off('error', onError);
			stdin.pause();
			// The client closed its end, but may still read ours (`echo REQUEST | mcp-proxy URL`): the answers still owed keep going to standard output until the other side closes.
			if (!inputEnded || outgoingDone) {
				wired.dispose();
			}
		};
	});
}
