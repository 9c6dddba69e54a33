import test from 'ava';
import {LoggingMessageNotificationSchema} from '@modelcontextprotocol/sdk/types.js';
import {StreamableHTTPError} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
	connectStreamable,
	eventually,
	startListener,
	textOf,
} from '../helpers/listener.js';
import {isAlive} from '../helpers/processes.js';

test('an SDK client lists and calls tools, gets progress on the right call, logs, a sampling request and a 20 MB result', async t => {
	const listener = await startListener(t);
	const {client} = await connectStreamable(t, `${listener.url}/mcp`);
	const logs: unknown[] = [];
	client.setNotificationHandler(LoggingMessageNotificationSchema, notification => {
		logs.push(notification.params.data);
	});

	t.is(listener.sessions.length, 1);
	t.like(listener.sessions[0], {server: '', face: 'streamable-http', stateless: false});
	t.regex(listener.sessions[0]!.id, /^[\u0021-\u007E]{32,}$/);

	const {tools} = await client.listTools();
	t.true(tools.some(tool => tool.name === 'echo'));
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'héllo'}})), 'héllo');

	const progressA: number[] = [];
	const progressB: number[] = [];
	const [a, b] = await Promise.all([
		client.callTool({name: 'progress', arguments: {steps: 3, delayMs: 5}}, undefined, {
			onprogress(update) {
				progressA.push(update.progress);
			},
		}),
		client.callTool({name: 'progress', arguments: {steps: 5, delayMs: 2}}, undefined, {
			onprogress(update) {
				progressB.push(update.progress);
			},
		}),
	]);
	t.is(textOf(a), 'done 3');
	t.is(textOf(b), 'done 5');
	t.deepEqual(progressA, [1, 2, 3]);
	t.deepEqual(progressB, [1, 2, 3, 4, 5]);
	t.true(await eventually(() => logs.length === 2));
	t.deepEqual(logs.map(String).toSorted((a, b) => a.localeCompare(b)), ['finished 3 steps', 'finished 5 steps']);

	t.is(textOf(await client.callTool({name: 'sample', arguments: {prompt: 'hi'}})), 'sampled: echo of hi');

	const big = textOf(await client.callTool({name: 'big', arguments: {bytes: 20 * 1024 * 1024}}));
	t.is(big.length, 20 * 1024 * 1024);
	t.regex(big, /^x+$/);

	t.deepEqual(await listener.stop(), []);
});

test('long strings in results and requests arrive as they were written: multi-byte, escaped, lone surrogates, several blocks, in JSON and SSE answers', async t => {
	const listener = await startListener(t);
	const {client} = await connectStreamable(t, `${listener.url}/mcp`);
	const cases = [
		{bytes: 300_000, fill: 'x', blocks: 1},
		{bytes: 300_000, fill: 'é🌍abc\u2028', blocks: 2},
		{bytes: 300_001, fill: '🌍', blocks: 1},
		{bytes: 200_000, fill: 'line\n"quoted"\\ \u0001', blocks: 1},
		{bytes: 140_000, fill: 'ab', blocks: 3},
	];
	for (const input of cases) {
		const expected = input.fill.repeat(Math.ceil(input.bytes / input.fill.length)).slice(0, input.bytes);
		for (const progress of [false, true]) {
			const progressSeen: number[] = [];
			// eslint-disable-next-line no-await-in-loop
			const result = await client.callTool({name: 'big', arguments: input}, undefined, progress
				? {
					onprogress(notification) {
						progressSeen.push(notification.progress);
					},
				}
				: {});
			const texts = (result.content as Array<{text: string}>).map(block => block.text);
			t.is(texts.length, input.blocks);
			t.true(texts.every(text => text === expected), `${JSON.stringify(input.fill)} ×${input.blocks}${progress ? ' with progress' : ''}`);
			t.deepEqual(progressSeen, progress ? [0] : []);
		}
	}

	// And in requests: a long string value through the proxy to the child, and back.
	for (const long of ['plain '.repeat(50_000), 'é🌍 '.repeat(50_000), 'with\n"escapes" '.repeat(20_000)]) {
		// eslint-disable-next-line no-await-in-loop
		t.is(textOf(await client.callTool({name: 'echo', arguments: {text: long}})), long);
	}

	t.deepEqual(await listener.stop(), []);
});

test('DELETE ends the session: the child exits, the id is forgotten (404) and nothing is left', async t => {
	const listener = await startListener(t);
	const {client, transport} = await connectStreamable(t, `${listener.url}/mcp`);
	t.is(textOf(await client.callTool({name: 'echo', arguments: {text: 'a'}})), 'a');
	const {sessionId} = transport;
	t.truthy(sessionId);
	t.is(listener.stats().sessions, 1);
	const [pid] = listener.pids;

	await transport.terminateSession();
	t.true(await eventually(() => listener.stats().sessions === 0));
	t.true(await eventually(() => !isAlive(pid!), 10_000));

	const response = await fetch(`${listener.url}/mcp`, {
		method: 'POST',
		headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId!},
		body: JSON.stringify({jsonrpc: '2.0', id: 9, method: 'tools/list'}),
	});
	t.is(response.status, 404);
	t.like(await response.json(), {jsonrpc: '2.0', id: null, error: {code: -32_001}});

	// The SDK client itself sees the 404.
	const error = await t.throwsAsync(client.listTools());
	t.true(error instanceof StreamableHTTPError || String(error).includes('404'));
	await client.close();
	t.true(await eventually(() => listener.stats().streams === 0));
});

test('a cut POST stream is resumed with Last-Event-ID: every progress notification and the result arrive exactly once', async t => {
	const listener = await startListener(t);
	let cutDone = false;
	let resumedWith: string | undefined;
	const cuttingFetch: typeof fetch = async (input, init) => {
		const headers = new Headers(init?.headers);
		if (init?.method === 'GET' && headers.has('last-event-id')) {
			resumedWith = headers.get('last-event-id')!;
		}

		const response = await fetch(input, init);
		const isProgressCall = init?.method === 'POST' && typeof init.body === 'string' && init.body.includes('"progress"');
		if (cutDone || !isProgressCall || !response.headers.get('content-type')?.includes('text/event-stream')) {
			return response;
		}

		cutDone = true;
		// Pass exactly the first event (whatever the chunking), then cut the connection: the rest must come from the replay.
		const reader = response.body!.getReader();
		let seen = new Uint8Array(0);
		let passed = false;
		const body = new ReadableStream<Uint8Array>({
			async pull(controller) {
				if (passed) {
					await reader.cancel();
					controller.error(new Error('cut by the test'));
					return;
				}

				const {value, done} = await reader.read();
				if (done) {
					controller.close();
					return;
				}

				const joined = new Uint8Array(seen.length + value.length);
				joined.set(seen);
				joined.set(value, seen.length);
				seen = joined;
				const end = new TextDecoder().decode(seen).indexOf('\n\n');
				if (end !== -1) {
					passed = true;
					controller.enqueue(seen.slice(0, end + 2));
				}
			},
		});
		return new Response(body, {status: response.status, headers: response.headers});
	};

	const {client} = await connectStreamable(t, `${listener.url}/mcp`, {
		fetch: cuttingFetch,
		reconnectionOptions: {
			initialReconnectionDelay: 100, maxReconnectionDelay: 500, reconnectionDelayGrowFactor: 1.5, maxRetries: 5,
		},
	});
	const progress: number[] = [];
	const result = await client.callTool({name: 'progress', arguments: {steps: 6, delayMs: 60}}, undefined, {
		onprogress(update) {
			progress.push(update.progress);
		},
	});
	t.true(cutDone);
	t.regex(resumedWith ?? '', /^p\d+-\d+$/);
	t.is(textOf(result), 'done 6');
	t.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
	await client.close();
});

test('four clients with ten concurrent calls each get every reply, and only their own', async t => {
	const listener = await startListener(t);
	const clients = await Promise.all([0, 1, 2, 3].map(async () => connectStreamable(t, `${listener.url}/mcp`)));
	t.is(listener.stats().sessions, 4);
	await Promise.all(clients.map(async ({client}, c) => {
		// Every third call asks for progress: its notifications must come back to it alone.
		const calls = Array.from({length: 10}, async (_, index): Promise<[unknown, unknown]> => {
			if (index % 3 === 0) {
				const steps = 1 + ((c + index) % 4);
				const seen: number[] = [];
				const result = await client.callTool({name: 'progress', arguments: {steps, delayMs: 1}}, undefined, {
					onprogress(update) {
						seen.push(update.progress);
					},
				});
				return [[textOf(result), seen], [`done ${steps}`, Array.from({length: steps}, (_, step) => step + 1)]];
			}

			const text = `client ${c} call ${index} ${'·'.repeat(index * 100)}`;
			const result = await client.callTool({name: 'echo', arguments: {text}});
			return [textOf(result), text];
		});
		const outcomes = await Promise.all(calls);
		t.deepEqual(outcomes.map(([actual]) => actual), outcomes.map(([, expected]) => expected));
	}));

	for (const {client, transport} of clients) {
		// eslint-disable-next-line no-await-in-loop
		await transport.terminateSession();
		// eslint-disable-next-line no-await-in-loop
		await client.close();
	}

	t.true(await eventually(() => listener.stats().sessions === 0 && listener.stats().streams === 0));
	t.deepEqual(await listener.stop(), []);
	t.is(listener.pids.length, 4);
});

test('named servers have their own routes, and a session of one is unknown on another', async t => {
	const listener = await startListener(t, {servers: ['', 'alpha', 'beta gamma']});
	const {client: alpha, transport} = await connectStreamable(t, `${listener.url}/servers/alpha/mcp`);
	t.is(textOf(await alpha.callTool({name: 'echo', arguments: {text: 'α'}})), 'α');
	const {client: spaced} = await connectStreamable(t, `${listener.url}/servers/beta%20gamma/mcp`);
	t.is(textOf(await spaced.callTool({name: 'echo', arguments: {text: 'β'}})), 'β');
	t.deepEqual(listener.sessions.map(session => session.server), ['alpha', 'beta gamma']);
	t.deepEqual(listener.stats().sessionsByServer, {alpha: 1, 'beta gamma': 1});

	const crossed = await fetch(`${listener.url}/mcp`, {
		method: 'POST',
		headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId!},
		body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'}),
	});
	t.is(crossed.status, 404);
	await crossed.body?.cancel();

	const unknown = await fetch(`${listener.url}/servers/delta/mcp`, {method: 'POST', body: '{}'});
	t.is(unknown.status, 404);
	await unknown.body?.cancel();
});
