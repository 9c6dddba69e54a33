import type {LegacyRecord} from '../sessions/legacy/state.js';
import type {StreamableRecord} from '../sessions/streamable/state.js';
import type {ListenerContext} from '../context.js';

/*
The session a request names, as the handlers look it up before their checks: a live or ended session of the right face and server, or none.
*/

export function streamableSessionOf(context: ListenerContext, id: string | undefined, server: string): StreamableRecord | undefined {
	const record = context.table.get(id);
	return record?.kind === 'streamable' && record.server === server ? record : undefined;
}

export function legacySessionOf(context: ListenerContext, id: string | undefined, server: string): LegacyRecord | undefined {
	const record = context.table.get(id);
	return record?.kind === 'sse' && record.server === server ? record : undefined;
}
