/*
What the I/O parts of the legacy SSE client (the POSTs and the event stream) share: the configuration, the session state to read (never to change: they report through `dispatch`).
*/
import type {Logger} from '../../logger.js';
import type {SettingNames} from '../../setting-names.js';
import type {FetchLike} from '../../http/fetch-middleware.js';
import type {SseEvent, SseState} from './session-state.js';

export type SseContext = {
	readonly url: URL;
	readonly fetch: FetchLike;
	readonly fixedHeaders: Readonly<Record<string, string>>;
	readonly maxMessageBytes: number;
	readonly settingNames: SettingNames | undefined;
	readonly logger: Logger;
	/**
	The transport's signal: aborted when it ends.
	*/
	readonly signal: AbortSignal;
	readonly state: Readonly<SseState>;
	dispatch(event: SseEvent): void;
};
