/** `@herald/protocol`: the wire contracts every Herald package and the client SDK share. */
export * from './errors.ts';
export * from './events.ts';
export * from './limits.ts';
export * from './routes.ts';
export * from './ws.ts';
