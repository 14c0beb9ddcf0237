/** `@herald/protocol`: the wire contracts every Herald package and the client SDK share. */
export * from './errors.ts';
export * from './events.ts';
export * from './limits.ts';
export * from './realtime-rest.ts';
export * from './rest.ts';
export * from './rest-contract.ts';
export * from './routes.ts';
export * from './ws.ts';
