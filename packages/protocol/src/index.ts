/**
 * `@herald/protocol`: the wire contracts every Herald package shares: zod schemas, the route
 * contracts, and the zod-free facts of `@herald/protocol/wire` (which the client SDK imports
 * instead of this entry). The API documents are built by `@herald/protocol/docs`.
 */
export * from './errors.ts';
export * from './events.ts';
export type { HandlerRef } from './handler-ref.ts';
export * from './limits.ts';
export * from './realtime-rest.ts';
export * from './rest.ts';
export * from './rest-endpoints.ts';
export * from './rest-multipart.ts';
export * from './rest-routes.ts';
export * from './routes.ts';
export * from './terminal.ts';
export * from './topic-names.ts';
export * from './topics.ts';
export * from './ws.ts';
export * from './ws-connection.ts';
