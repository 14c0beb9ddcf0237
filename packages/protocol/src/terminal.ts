import type { HeraldEvent, TerminalEvent } from './events.ts';

/**
 * Whether an event is terminal: it ends its job or file request. A client stops expecting events
 * of that stream after it; the publisher pushes it to FCM when it reached no open WebSocket.
 * Zod-free (types only), so the client SDK shares it through `@herald/protocol/wire`.
 *
 * @example
 * if (isTerminalEvent(event) && delivered === 0) await push(userId, event);
 */
export function isTerminalEvent(event: HeraldEvent): event is TerminalEvent {
  // Two kinds are not terminal; every other one ends its job or file request (the SDK's bundle
  // carries this test: the short form keeps it small).
  return event.type !== 'job.queued' && event.type !== 'job.progress';
}
