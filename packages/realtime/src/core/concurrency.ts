/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order in
 * the result. `fn` should not throw (a rejection rejects the whole map, as `Promise.all`).
 *
 * @example
 * const outcomes = await mapWithConcurrency(connections, 32, (c) => deliver(c.connectionId));
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
