import type { TopicEvent } from '@herald/protocol/wire';
import { useEffect, useState } from 'react';
import type { HeraldClientError } from '../errors.ts';
import type { Topics } from '../topics.ts';

/** What {@link useTopic} answers. */
export interface UseTopicResult {
  /** The topic's events received while mounted (and replayed after `afterSeq`), newest last, at most `max`. */
  readonly events: readonly TopicEvent[];
  /** Set when the server refused the subscription (`FORBIDDEN`: no grant). */
  readonly error: HeraldClientError | undefined;
}

/**
 * Subscribes to a shared topic while the component is mounted (through `openTopics` from
 * `@herald/client-sdk/topics`), each event once by `seq`, resumed after reconnects.
 *
 * @example
 * const topics = openTopics(client, { wsUrl });
 * function Announcements() {
 *   const { events, error } = useTopic(topics, 'announcements');
 *   if (error) return <p>{error.message}</p>;
 *   return <ul>{events.map((e) => <li key={e.seq}>{e.title}</li>)}</ul>;
 * }
 */
export function useTopic(
  topics: Topics,
  topic: string,
  options: { readonly max?: number; readonly afterSeq?: number } = {},
): UseTopicResult {
  const { max = 50, afterSeq } = options;
  const [state, setState] = useState<UseTopicResult>({ events: [], error: undefined });
  useEffect(() => {
    setState({ events: [], error: undefined });
    const subscription = topics.subscribe(topic, afterSeq === undefined ? {} : { afterSeq });
    void (async () => {
      try {
        for await (const event of subscription) {
          setState((s) => ({ ...s, events: [...s.events, event].slice(-max) }));
        }
      } catch (error) {
        setState((s) => ({ ...s, error: error as HeraldClientError }));
      }
    })();
    return () => subscription.close();
  }, [topics, topic, max, afterSeq]);
  return state;
}
