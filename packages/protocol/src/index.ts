/**
 * `@herald/protocol`: the wire contracts every Herald package shares: zod schemas, the route
 * table, and the zod-free facts of `@herald/protocol/wire` (which the client SDK imports
 * instead of this entry).
 */
export * from './errors.ts';
export * from './events.ts';
export * from './limits.ts';
export * from './realtime-rest.ts';
export * from './rest.ts';
export * from './rest-contract.ts';
export * from './routes.ts';
export * from './terminal.ts';
export * from './ws.ts';
export * from './ws-connection.ts';
