import { type HeaderSource, headerValue } from './headers.ts';
import { tokenFromSubprotocols } from './subprotocol.ts';

/**
 * A credential presented on `$connect`.
 * - `ticket`: a one-time ticket from `POST /realtime/tickets`, in `?ticket=` (preferred: no
 *   long-lived JWT in URLs or access logs). Redeeming it comes with the realtime issue.
 * - `jwt`: a Cognito ID or access token offered as a subprotocol next to `herald.v1`.
 */
export type Credential =
  | { readonly kind: 'ticket'; readonly ticket: string }
  | { readonly kind: 'jwt'; readonly token: string };

/** The parts of a `$connect` request that can carry a credential. */
export interface ConnectRequest extends HeaderSource {
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
}

/**
 * The credential of a `$connect` request; a ticket wins over a JWT, as the architecture
 * prefers it. `undefined` when the request carries neither.
 *
 * @example
 * extractCredential({ headers: { 'Sec-WebSocket-Protocol': 'herald.v1, eyJh.eyJz.c2ln' } });
 * // { kind: 'jwt', token: 'eyJh.eyJz.c2ln' }
 */
export function extractCredential(request: ConnectRequest): Credential | undefined {
  const ticket = request.queryStringParameters?.ticket;
  if (ticket !== undefined && ticket !== '') return { kind: 'ticket', ticket };
  const token = tokenFromSubprotocols(headerValue(request, 'Sec-WebSocket-Protocol'));
  return token === undefined ? undefined : { kind: 'jwt', token };
}
