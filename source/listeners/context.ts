import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Logger} from '../logger.js';
import type {SessionTable} from './session-table/index.js';
import type {Session, SessionRuntime} from './sessions/index.js';

/*
What the request handlers of a listener share: its settings, its session table, the runtime of its sessions, and the way out to its subscriber. A handler is a function of the context and one request.
*/

export type ListenerContext = {
	/**
	Streamable HTTP without sessions: every POST is a session of its own.
	*/
	readonly stateless: boolean;
	readonly maxBodyBytes: number;
	/**
	The answer to a body over `maxBodyBytes` (413): it names the limit and the setting that raises it.
	*/
	readonly tooLarge: string;
	readonly logger: Logger;
	readonly table: SessionTable;
	readonly runtime: SessionRuntime;
	/**
	What `GET /status` answers.
	*/
	readonly status: () => {statusCode: number; body: unknown};
	/**
	Hand a new session to the listener's subscriber.
	*/
	emit(session: Session): void;
	/**
	Whether the listener is closing (no new sessions).
	*/
	closing(): boolean;
};

/**
A request handler: what one method of one route does, once the request passed the request-wide checks. `server` is the served server the route names (`''` for the default one, and for `/status`).
*/
export type Handler = (context: ListenerContext, request: IncomingMessage, response: ServerResponse, server: string) => void;
