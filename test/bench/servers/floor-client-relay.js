#!/usr/bin/env node
// The client-mode relay floor: the least a Node proxy between a stdio client and a remote Streamable HTTP server
// can do. Each line from standard input is POSTed as it is to the remote on a keep-alive connection; the answer
// (JSON, or the events of an SSE response once it ends) is written back as lines. It keeps the Mcp-Session-Id and
// the negotiated protocol version, and ends the session (DELETE) when standard input ends. No reconnection, no
// checks, no GET stream. Not a product: a yardstick with the same hops as every client-mode proxy.
//   node floor-client-relay.js URL
import {Buffer} from 'node:buffer';
import http from 'node:http';
import process from 'node:process';

const url = process.argv[2];
if (url === undefined) {
	process.stderr.write('usage: floor-client-relay.js URL\n');
	process.exit(2);
}

const agent = new http.Agent({keepAlive: true});
const headers = {'content-type': 'application/json', accept: 'application/json, text/event-stream'};

function eventsOf(text) {
	const messages = [];
	for (const event of text.split(/\r?\n\r?\n/)) {
		const data = event.split(/\r?\n/).filter(line => line.startsWith('data:')).map(line => line.slice(5).replace(/^ /, '')).join('\n');
		if (data !== '') {
			messages.push(data);
		}
	}

	return messages;
}

function post(line) {
	const body = Buffer.from(line);
	const request = http.request(url, {method: 'POST', agent, headers: {...headers, 'content-length': body.length}}, response => {
		const sessionId = response.headers['mcp-session-id'];
		if (typeof sessionId === 'string') {
			headers['mcp-session-id'] = sessionId;
		}

		const chunks = [];
		response.on('data', chunk => chunks.push(chunk));
		response.on('end', () => {
			const text = Buffer.concat(chunks).toString('utf8');
			if (text === '') {
				return;
			}

			const lines = (response.headers['content-type'] ?? '').includes('text/event-stream') ? eventsOf(text) : [text];
			for (const answer of lines) {
				if (headers['mcp-protocol-version'] === undefined && answer.includes('"protocolVersion"')) {
					headers['mcp-protocol-version'] = JSON.parse(answer).result?.protocolVersion;
				}

				process.stdout.write(`${answer}\n`);
			}
		});
	});
	request.on('error', error => {
		process.stderr.write(`floor-client-relay: ${error.message}\n`);
	});
	request.end(body);
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => {
	buffered += chunk;
	let end = buffered.indexOf('\n');
	while (end !== -1) {
		const line = buffered.slice(0, end);
		buffered = buffered.slice(end + 1);
		if (line.trim() !== '') {
			post(line);
		}

		end = buffered.indexOf('\n');
	}
});
process.stdin.on('end', () => {
	if (headers['mcp-session-id'] === undefined) {
		process.exit(0);
	}

	const request = http.request(url, {method: 'DELETE', agent, headers}, response => {
		response.resume();
		response.on('end', () => process.exit(0));
	});
	request.on('error', () => process.exit(0));
	request.end();
});
