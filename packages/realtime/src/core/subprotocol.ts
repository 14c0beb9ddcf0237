import { HERALD_SUBPROTOCOL } from '@herald/protocol';

// The name is a wire fact of `@herald/protocol`, shared with the client SDK; re-exported for this
// package's callers. A browser cannot set an `Authorization` header on a WebSocket, so the client
// offers `Sec-WebSocket-Protocol: herald.v1, <jwt>`. The server must answer with ONE of the
// offered values, and it must be `herald.v1`: echoing the token would leak it and answering
// nothing makes browsers drop the socket.
export { HERALD_SUBPROTOCOL };

// Three base64url segments; the signature may be empty so that `alg: none` tokens reach the
// verifier and are refused there, with a reason, instead of vanishing silently here.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The subprotocols a client offered, in order, from the `Sec-WebSocket-Protocol` value.
 *
 * @example
 * parseSubprotocols('herald.v1, eyJ...'); // ['herald.v1', 'eyJ...']
 */
export function parseSubprotocols(headerValue: string | undefined): string[] {
  if (headerValue === undefined) return [];
  return headerValue
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

/**
 * The subprotocol to answer the handshake with: `herald.v1` when offered, else none.
 *
 * @example
 * chooseSubprotocol('herald.v1, eyJ...'); // 'herald.v1'
 * chooseSubprotocol('graphql-ws');        // undefined
 */
export function chooseSubprotocol(headerValue: string | undefined): typeof HERALD_SUBPROTOCOL | undefined {
  return parseSubprotocols(headerValue).includes(HERALD_SUBPROTOCOL) ? HERALD_SUBPROTOCOL : undefined;
}

/**
 * The JWT a client offered next to `herald.v1`, or `undefined` when `herald.v1` was not offered
 * or there is not exactly one JWT-shaped value (ambiguity is refused, not guessed).
 *
 * @example
 * tokenFromSubprotocols('herald.v1, eyJh.eyJz.c2ln'); // 'eyJh.eyJz.c2ln'
 */
export function tokenFromSubprotocols(headerValue: string | undefined): string | undefined {
  const offered = parseSubprotocols(headerValue);
  if (!offered.includes(HERALD_SUBPROTOCOL)) return undefined;
  const tokens = offered.filter((value) => value !== HERALD_SUBPROTOCOL && JWT_SHAPE.test(value));
  return tokens.length === 1 ? tokens[0] : undefined;
}
