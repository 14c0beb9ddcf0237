/**
 * Sets `key` in an insertion-ordered map as its newest entry, dropping the oldest entries beyond
 * `max`: a bounded memory of recent items (finished jobs' outcomes, early `file.ready` events).
 *
 * @example
 * remember(terminals, event.jobId, event, 200);
 */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest as K);
  }
}
