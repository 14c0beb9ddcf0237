// How a Herald WebSocket connection is opened and closed: facts the server, the local gateway
// and the client SDK must agree on. Plain values, no zod: the SDK imports them from
// `@herald/protocol/wire`.

/**
 * The WebSocket subprotocol Herald speaks. A browser cannot set an `Authorization` header on a
 * WebSocket, so a client without a ticket offers `Sec-WebSocket-Protocol: herald.v1, <jwt>`; the
 * server answers with exactly `herald.v1` (echoing the token would leak it, answering nothing
 * makes browsers drop the socket).
 *
 * @example
 * new WebSocket(wsUrl, [HERALD_SUBPROTOCOL, idToken]);
 */
export const HERALD_SUBPROTOCOL = 'herald.v1';

/**
 * RFC 6455 close codes of an orderly end: API Gateway closes with `GOING_AWAY` at its idle
 * timeout and its 2-hour connection limit, and with `NORMAL` when the connection is deleted
 * through `@connections`. A client reconnects after them without reporting an error.
 *
 * @example
 * const orderly = code === ORDERLY_CLOSE_CODES.NORMAL || code === ORDERLY_CLOSE_CODES.GOING_AWAY;
 */
export const ORDERLY_CLOSE_CODES = { NORMAL: 1000, GOING_AWAY: 1001 } as const;

/**
 * Close codes that refuse a connection for good: the client stops reconnecting. The numbers of
 * HTTP 401/403 in the 4000–4999 range RFC 6455 leaves to applications (as graphql-ws does).
 *
 * @example
 * socket.close(AUTH_CLOSE_CODES.UNAUTHENTICATED, 'token expired');
 */
export const AUTH_CLOSE_CODES = { UNAUTHENTICATED: 4401, FORBIDDEN: 4403 } as const;

/**
 * The close code a client sends when it gives up on a socket whose `pong` never came.
 *
 * @example
 * socket.close(HEARTBEAT_CLOSE_CODE, 'heartbeat timeout');
 */
export const HEARTBEAT_CLOSE_CODE = 4000;
