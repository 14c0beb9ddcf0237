import {
  type ClientAction,
  type ErrorEnvelope,
  errorEnvelope,
  parseClientFrame,
  type ServerFrame,
} from '@herald/protocol';

/**
 * Actions this server version parses but does not serve yet: subscriptions and resume come
 * with the realtime issue. They are refused with `BAD_REQUEST` and a sentence saying so, never
 * answered as if they had worked.
 */
export const NOT_YET_SUPPORTED_ACTIONS: readonly ClientAction['action'][] = [
  'subscribe',
  'unsubscribe',
  'resume',
];

function errorFrame(error: ErrorEnvelope, id: string | undefined): ServerFrame {
  return id === undefined ? { type: 'error', error } : { type: 'error', id, error };
}

/**
 * The reply to one client message on the `$default` route, which returns it to the sender:
 * `ping` → `pong` (with the id echoed and the server time); an unparseable frame → `error`
 * with the protocol's code; a known action this version does not serve → `error` `BAD_REQUEST`.
 *
 * @example
 * replyToClientFrame('{"action":"ping","id":"1"}', Date.now()); // { type: 'pong', id: '1', at: '2025-…Z' }
 */
export function replyToClientFrame(raw: string | Uint8Array, now: number): ServerFrame {
  const parsed = parseClientFrame(raw);
  if (!parsed.ok) return errorFrame(parsed.error, parsed.id);
  const { action } = parsed;
  switch (action.action) {
    case 'ping': {
      const at = new Date(now).toISOString();
      return action.id === undefined ? { type: 'pong', at } : { type: 'pong', id: action.id, at };
    }
    case 'subscribe':
    case 'unsubscribe':
    case 'resume':
      return errorFrame(
        errorEnvelope('BAD_REQUEST', `action ${action.action} is not supported by this server version`),
        action.id,
      );
  }
}
