/** Most connection ids one fan-out shard holds, by default (`HERALD_TOPIC_SHARD_SIZE`). */
export const DEFAULT_TOPIC_SHARD_SIZE = 500;

/**
 * Cuts a topic's subscribers into shards of at most `size` ids, in order, each handled by one
 * fan-out worker invocation. Shards are balanced (sizes differ by at most one), so parallel
 * workers finish together instead of one waiting on a full shard while another posts a stub.
 *
 * @example
 * cutShards(['a', 'b', 'c', 'd', 'e'], 2); // [['a', 'b'], ['c', 'd'], ['e']]
 * cutShards(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 3); // [['a', 'b', 'c'], ['d', 'e'], ['f', 'g']]
 * cutShards(Array.from({ length: 2000 }, String), 500).length; // 4
 */
export function cutShards<T>(ids: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`shard size must be a positive integer, got ${size}`);
  const count = Math.ceil(ids.length / size);
  const shards: T[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    // The first `ids.length % count` shards take one extra id.
    const length = Math.floor(ids.length / count) + (i < ids.length % count ? 1 : 0);
    shards.push(ids.slice(start, start + length));
    start += length;
  }
  return shards;
}
