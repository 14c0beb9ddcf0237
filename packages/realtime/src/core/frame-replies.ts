import type { ErrorEnvelope, ServerFrame } from '@herald/protocol';
import { ConnectionGoneError } from '../errors.ts';
import type { ConnectionPoster } from '../ports.ts';

/**
 * An `error` frame, echoing the client frame's id when it had one.
 *
 * @example
 * errorFrame(errorEnvelope('NOT_FOUND'), '7'); // { type: 'error', id: '7', error: { code: 'NOT_FOUND', … } }
 */
export function errorFrame(error: ErrorEnvelope, id: string | undefined): ServerFrame {
  return id === undefined ? { type: 'error', error } : { type: 'error', id, error };
}

/**
 * A reply frame with the client frame's id, when it had one.
 *
 * @example
 * withId({ type: 'pong' as const, at }, '1'); // { type: 'pong', at, id: '1' }
 */
export function withId<T extends object>(frame: T, id: string | undefined): T & { id?: string } {
  return id === undefined ? frame : { ...frame, id };
}

/**
 * Posts encoded frames to one connection one at a time (PostToConnection order is delivery order
 * only if each call completes first). A connection that is gone meanwhile ends it quietly.
 *
 * @example
 * await postInOrder(poster, connectionId, [...replayed, resumed]);
 */
export async function postInOrder(
  poster: ConnectionPoster,
  connectionId: string,
  frames: readonly string[],
): Promise<void> {
  try {
    for (const frame of frames) await poster.post(connectionId, frame);
  } catch (error) {
    if (error instanceof ConnectionGoneError) return;
    throw error;
  }
}
