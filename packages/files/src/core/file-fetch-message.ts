import { parseQueueMessage } from '@herald/runtime';
import * as z from 'zod';

/**
 * The message `POST /files/links` puts on `FileFetchQueue` when a fetch outlives its budget.
 * It carries the caller's groups so the worker re-checks the grants (one may have been
 * removed meanwhile). Nothing in it is secret: no token, no URL.
 */
export const FileFetchMessageSchema = z.strictObject({
  v: z.literal(1),
  requestId: z.uuid(),
  userId: z.string().min(1).max(128),
  groups: z.array(z.string().min(1).max(128)).max(100),
  /** The path as the caller sent it; the worker normalises and checks it again. */
  path: z.string().min(1).max(4096),
  requestedAt: z.iso.datetime(),
});

export type FileFetchMessage = z.infer<typeof FileFetchMessageSchema>;

/**
 * Parses a queue message body; undefined when it is not a file fetch message (logged and
 * dropped by the worker: retrying cannot fix it).
 *
 * @example
 * const message = parseFileFetchMessage(record.body);
 */
export function parseFileFetchMessage(body: string): FileFetchMessage | undefined {
  return parseQueueMessage(FileFetchMessageSchema, body);
}
