/*
Bodies of the remote server's answers (source/http/body.ts), on in-memory responses whose streams count what was pulled: read whole within a limit or only their start, bounded for another reader, previewed on one line, parsed into messages.
*/
import {Buffer} from 'node:buffer';
import test from 'ava';
import {MessageTooLargeError} from '../../source/errors.js';
import {
	contentType, limitBody, parseMessages, previewText, readLimitedText, readStart,
} from '../../source/http/body.js';

type Counted = {response: Response; pulled: () => number; cancelled: () => boolean};

/**
A response whose body is `chunks` (then endless `filler` chunks when `endless`), counting what the reader pulled.
*/
function counted(chunks: string[], {headers = {}, endless = false}: {headers?: Record<string, string>; endless?: boolean} = {}): Counted {
	let pulled = 0;
	let cancelled = false;
	const body = new ReadableStream<Uint8Array>({
		pull(controller) {
			if (pulled < chunks.length) {
				controller.enqueue(Buffer.from(chunks[pulled]!));
			} else if (endless && pulled < 10_000) {
				controller.enqueue(Buffer.alloc(1024, 'x'));
			} else {
				controller.close();
			}

			pulled++;
		},
		cancel() {
			cancelled = true;
		},
	}, {highWaterMark: 0});
	return {response: new Response(body, {headers}), pulled: () => pulled, cancelled: () => cancelled};
}

const what = 'The remote server\'s answer to `tools/call`';
const raise = 'raise it with --max-message-bytes';

test('readLimitedText: the whole text within the limit, byte order mark dropped, multi-byte characters cut between chunks kept', async t => {
	t.is(await readLimitedText(counted(['{"a":', '1}']).response, 100, what, raise), '{"a":1}');
	t.is(await readLimitedText(counted(['\uFEFF{}']).response, 100, what, raise), '{}');
	const euro = Buffer.from('€');
	const split = new Response(new ReadableStream({
		start(controller) {
			controller.enqueue(euro.subarray(0, 1));
			controller.enqueue(euro.subarray(1));
			controller.close();
		},
	}));
	t.is(await readLimitedText(split, 3, what, raise), '€', 'exactly at the limit');
	t.is(await readLimitedText(new Response(null), 100, what, raise), '');
});

test('readLimitedText: a body over the limit, declared or streamed, is a MessageTooLargeError naming it, and the rest is not read', async t => {
	const declared = counted(['x'], {headers: {'content-length': '1000'}});
	const error = await t.throwsAsync(readLimitedText(declared.response, 100, what, raise), {instanceOf: MessageTooLargeError});
	t.is(error.message, 'The remote server\'s answer to `tools/call` (1000 bytes) exceeds the proxy\'s limit of 100 bytes (raise it with --max-message-bytes)');
	t.is(declared.pulled(), 0, 'refused without reading');

	const endless = counted([], {endless: true});
	const streamed = await t.throwsAsync(readLimitedText(endless.response, 4096, what, raise), {instanceOf: MessageTooLargeError});
	t.is(streamed.message, 'The remote server\'s answer to `tools/call` exceeds the proxy\'s limit of 4096 bytes (raise it with --max-message-bytes)');
	t.true(endless.pulled() <= 6, `pulled ${endless.pulled()} chunks of 1 KiB`);
	t.true(endless.cancelled());
});

test('readStart: at most the bytes asked for, and the body is cancelled', async t => {
	const endless = counted(['head '], {endless: true});
	const start = await readStart(endless.response, 2048);
	t.is(start.length, 2048);
	t.true(start.startsWith('head x'));
	t.true(endless.pulled() <= 4);
	t.true(endless.cancelled());
	t.is(await readStart(counted(['short']).response), 'short');
	t.is(await readStart(new Response(null)), '');
});

test('limitBody: whoever reads the body gets it within the limit, or an error past it; bodiless answers are left as they are', async t => {
	t.deepEqual(await limitBody(counted(['{"ok":', 'true}']).response, 100, what, raise).json(), {ok: true});

	const endless = counted([], {endless: true});
	const limited = limitBody(endless.response, 4096, what, raise);
	const error = await t.throwsAsync(limited.text(), {instanceOf: MessageTooLargeError});
	t.regex(error.message, /exceeds the proxy's limit of 4096 bytes \(raise it with --max-message-bytes\)$/);
	t.true(endless.pulled() <= 6, `pulled ${endless.pulled()} chunks of 1 KiB`);
	t.true(endless.cancelled());

	const declared = counted(['x'], {headers: {'content-length': '1000'}});
	await t.throwsAsync(limitBody(declared.response, 100, what, raise).arrayBuffer(), {instanceOf: MessageTooLargeError, message: /\(1000 bytes\) exceeds/});
	t.is(declared.pulled(), 0);

	const noContent = new Response(null, {status: 204});
	t.is(limitBody(noContent, 100, what, raise), noContent);
});

test('previewText: one line, HTML tags, scripts and styles removed, cut with an ellipsis', t => {
	const rows: Array<[string, number | undefined, string]> = [
		['  a\n\tb   c ', undefined, 'a b c'],
		['<html><head><style>p {}</style><script>let x = "<p>";</script></head><body><h1>502</h1> Bad <b>Gateway</b></body></html>', undefined, '502 Bad Gateway'],
		['not <html> when it does not start with a tag', undefined, 'not <html> when it does not start with a tag'],
		['abcdefghij', 4, 'abcd…'],
		['abcd', 4, 'abcd'],
		['', undefined, ''],
	];
	for (const [text, maxLength, preview] of rows) {
		t.is(previewText(text, maxLength), preview, `${text}`);
	}
});

test('parseMessages: a message or a batch; what is not JSON or not JSON-RPC is reported and skipped', t => {
	const reasons: string[] = [];
	const onInvalid = (reason: string) => {
		reasons.push(reason);
	};

	t.deepEqual(parseMessages('{"jsonrpc":"2.0","id":1,"result":{}}', onInvalid), [{jsonrpc: '2.0', id: 1, result: {}}]);
	t.deepEqual(parseMessages('[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]', onInvalid), [{jsonrpc: '2.0', method: 'a'}, {jsonrpc: '2.0', method: 'b'}]);
	t.deepEqual(reasons, []);
	t.deepEqual(parseMessages('{"jsonrpc":', onInvalid), []);
	t.deepEqual(parseMessages('{"hello":"world"}', onInvalid), []);
	t.is(reasons.length, 2);
	t.regex(reasons[0]!, /^not valid JSON \(/);
	t.regex(reasons[1]!, /^not a JSON-RPC message: /);
});

test('contentType: lower-cased, empty when there is none', t => {
	t.is(contentType(new Response('', {headers: {'content-type': 'Text/Event-Stream; charset=UTF-8'}})), 'text/event-stream; charset=utf-8');
	const none = new Response('');
	none.headers.delete('content-type');
	t.is(contentType(none), '');
});
