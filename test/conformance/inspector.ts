import path from 'node:path';
import process from 'node:process';
import {execa} from 'execa';
import {inspectorCli, node22} from './paths.js';

export type InspectorCall = {
	/**
	A URL, or a command and its arguments (stdio).
	*/
	target: string[];
	/**
	For a URL: `http` (Streamable HTTP) or `sse` (legacy SSE). Omitted for stdio.
	*/
	transport?: 'http' | 'sse';
	method: 'tools/list' | 'tools/call';
	toolName?: string;
	toolArguments?: Record<string, string>;
};

/**
Run `@modelcontextprotocol/inspector-cli --cli` the way a user would (`mcp-inspector-cli --cli TARGET [--transport T] --method M …`) and return the JSON it prints.

The launcher starts the actual CLI with the `node` on `PATH`, so the Node 22 directory goes first on `PATH`; a stdio target should name its interpreter by absolute path (the project's own Node).

@example
```
const {tools} = await runInspector({target: ['http://127.0.0.1:8080/mcp'], transport: 'http', method: 'tools/list'});
```
*/
export async function runInspector({target, transport, method, toolName, toolArguments = {}}: InspectorCall): Promise<unknown> {
	const arguments_ = [
		inspectorCli,
		'--cli',
		...target,
		...(transport ? ['--transport', transport] : []),
		'--method',
		method,
		...(toolName ? ['--tool-name', toolName] : []),
		...(Object.keys(toolArguments).length > 0 ? ['--tool-arg', ...Object.entries(toolArguments).map(([key, value]) => `${key}=${value}`)] : []),
	];
	const node = node22();
	const run = await execa(node, arguments_, {
		// Inspector-cli 1.0.3 finds its own package.json by testing `../package.json` against the working directory but importing it relative to its module: run it from its build directory so both agree (with any other working directory it fails with "Cannot find module …/@modelcontextprotocol/package.json").
		cwd: path.dirname(inspectorCli),
		env: {PATH: `${path.dirname(node)}${path.delimiter}${process.env['PATH'] ?? ''}`},
		reject: false,
		timeout: 60_000,
	});
	if (run.exitCode !== 0) {
		throw new Error(`inspector-cli ${arguments_.slice(1).join(' ')} exited ${String(run.exitCode)}${run.timedOut ? ' (timed out)' : ''}:\n${run.stderr}`);
	}

	try {
		return JSON.parse(run.stdout) as unknown;
	} catch {
		throw new Error(`inspector-cli ${arguments_.slice(1).join(' ')} printed no JSON:\n${run.stdout}\n${run.stderr}`);
	}
}

export type InspectorCheck = {name: string; error?: string};

/**
List the tools of `target` and call `echo` with `text=hi`, as inspector-cli does: both must succeed and the echo must come back.
*/
export async function inspectorChecks(label: string, call: Omit<InspectorCall, 'method'>): Promise<InspectorCheck[]> {
	const checks: InspectorCheck[] = [];
	try {
		const listed = await runInspector({...call, method: 'tools/list'}) as {tools?: Array<{name: string}>};
		const names = listed.tools?.map(tool => tool.name) ?? [];
		checks.push({name: `${label}: tools/list`, error: names.includes('echo') ? undefined : `echo is not among the tools: ${JSON.stringify(listed)}`});
	} catch (error) {
		checks.push({name: `${label}: tools/list`, error: String(error)});
	}

	try {
		const called = await runInspector({
			...call, method: 'tools/call', toolName: 'echo', toolArguments: {text: 'hi'},
		}) as {content?: Array<{type: string; text?: string}>; isError?: boolean};
		const text = called.content?.[0]?.text;
		checks.push({name: `${label}: tools/call echo text=hi`, error: text === 'hi' && !called.isError ? undefined : `expected the text "hi", got ${JSON.stringify(called)}`});
	} catch (error) {
		checks.push({name: `${label}: tools/call echo text=hi`, error: String(error)});
	}

	return checks;
}
