/*
The message and transport types every module shares: JSON-RPC messages (the SDK's), a transport, and the operators on them.
*/
import type {Observable, MonoTypeOperatorFunction} from 'rxjs';
import type {
	JSONRPCMessage,
	JSONRPCRequest,
	JSONRPCNotification,
	JSONRPCResponse,
	JSONRPCErrorResponse,

} from '@modelcontextprotocol/sdk/types.js';

/**
A JSON-RPC 2.0 message as MCP defines it. The proxy forwards these raw: unknown methods, `_meta` and future fields pass untouched.
*/
export type Message = JSONRPCMessage;

export type Request = JSONRPCRequest;
export type Notification = JSONRPCNotification;
export type SuccessResponse = JSONRPCResponse;
export type ErrorResponse = JSONRPCErrorResponse;
export type Response = SuccessResponse | ErrorResponse;

/**
A connection: a function from the messages we send to the messages we receive.

Subscribing connects, unsubscribing disconnects (immediately, without waiting), an error means the connection failed, and completion means the peer closed cleanly. When `outgoing$` completes, the transport closes gracefully (for example closes a child's stdin, or deletes an HTTP session) and then completes.

A transport subscribes to `outgoing$` before it emits anything, so a synchronous exchange loses no message.
*/
export type Transport = (outgoing$: Observable<Message>) => Observable<Message>;

/**
A decorator of transports: auth injection, reconnection, logging…
*/
export type TransportOperator = (transport: Transport) => Transport;

/**
An operator on one direction of a message stream.
*/
export type MessageOperator = MonoTypeOperatorFunction<Message>;

export {type RequestId} from '@modelcontextprotocol/sdk/types.js';
