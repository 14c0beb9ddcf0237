import type { Unsubscribe } from './emitter.ts';

/**
 * Calls `fn` once when `signal` aborts, or at once if it already has; returns the function that
 * stops listening (for work that ended first).
 *
 * @example
 * const off = onAbort(options.signal, () => controller.abort());
 * try { await work(controller.signal); } finally { off(); }
 */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): Unsubscribe {
  if (signal?.aborted) fn();
  else signal?.addEventListener('abort', fn, { once: true });
  return () => signal?.removeEventListener('abort', fn);
}
