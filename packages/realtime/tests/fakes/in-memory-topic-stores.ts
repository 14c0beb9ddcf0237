import type { TopicEvent } from '@herald/protocol';
import type {
  FanoutQueue,
  FanoutShard,
  TopicEventLog,
  TopicGrantRecord,
  TopicGrantStore,
  TopicSubscriber,
  TopicSubscriptionRecord,
  TopicSubscriptionStore,
} from '../../src/ports.ts';

/** In-memory {@link TopicGrantStore}: one grant per (topic, group), listed by group. */
export class InMemoryTopicGrantStore implements TopicGrantStore {
  readonly #grants = new Map<string, TopicGrantRecord>();

  async list(topic: string): Promise<TopicGrantRecord[]> {
    return [...this.#grants.values()]
      .filter((g) => g.topic === topic)
      .sort((a, b) => a.group.localeCompare(b.group));
  }

  async create(grant: TopicGrantRecord): Promise<'created' | 'exists'> {
    const key = `${grant.topic}\n${grant.group}`;
    if (this.#grants.has(key)) return 'exists';
    this.#grants.set(key, { ...grant });
    return 'created';
  }

  async delete(topic: string, group: string): Promise<boolean> {
    return this.#grants.delete(`${topic}\n${group}`);
  }
}

/** In-memory {@link TopicSubscriptionStore}: (topic, connection) items; reads skip expired ones. */
export class InMemoryTopicSubscriptionStore implements TopicSubscriptionStore {
  readonly #items = new Map<string, TopicSubscriptionRecord>();

  async add(subscription: TopicSubscriptionRecord): Promise<void> {
    const { topic, connectionId, groups } = subscription;
    this.#items.set(`${topic}\n${connectionId}`, { ...subscription, groups: [...groups] });
  }

  async remove(topic: string, connectionId: string): Promise<void> {
    this.#items.delete(`${topic}\n${connectionId}`);
  }

  async removeConnection(connectionId: string): Promise<number> {
    const topics = [...this.#items.values()].filter((i) => i.connectionId === connectionId);
    for (const item of topics) await this.remove(item.topic, connectionId);
    return topics.length;
  }

  async listConnections(topic: string, now: number): Promise<string[]> {
    return (await this.listSubscribers(topic, now)).map((s) => s.connectionId);
  }

  async listSubscribers(topic: string, now: number): Promise<TopicSubscriber[]> {
    return [...this.#items.values()]
      .filter((i) => i.topic === topic && i.expiresAt * 1000 > now)
      .map((i) => ({
        connectionId: i.connectionId,
        groups: i.groups,
        ...(i.frameId !== undefined && { frameId: i.frameId }),
      }));
  }

  /** Every topic a connection is subscribed to (for assertions). */
  topicsOf(connectionId: string): string[] {
    return [...this.#items.values()].filter((i) => i.connectionId === connectionId).map((i) => i.topic);
  }
}

/** In-memory {@link TopicEventLog}: a counter per topic; first write of a (topic, seq) wins. */
export class InMemoryTopicEventLog implements TopicEventLog {
  readonly #counters = new Map<string, number>();
  readonly #events = new Map<string, { event: TopicEvent; expiresAt: number }>();

  async nextSeq(topic: string): Promise<number> {
    const seq = (this.#counters.get(topic) ?? 0) + 1;
    this.#counters.set(topic, seq);
    return seq;
  }

  async append(event: TopicEvent, expiresAt: number): Promise<void> {
    const key = `${event.topic}\n${event.seq}`;
    if (!this.#events.has(key)) this.#events.set(key, { event: structuredClone(event), expiresAt });
  }

  async lastSeq(topic: string): Promise<number> {
    return this.#counters.get(topic) ?? 0;
  }

  async readAfter(topic: string, afterSeq: number, now: number, limit: number): Promise<TopicEvent[]> {
    return [...this.#events.values()]
      .filter((i) => i.event.topic === topic && i.event.seq > afterSeq && i.expiresAt * 1000 > now)
      .map((i) => i.event)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }
}

/** A {@link FanoutQueue} that records every shard; `failNext` makes the next send throw. */
export class RecordingFanoutQueue implements FanoutQueue {
  readonly shards: FanoutShard[] = [];
  #failure: Error | undefined;

  failNextWith(error: Error): void {
    this.#failure = error;
  }

  async send(shards: readonly FanoutShard[]): Promise<void> {
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure) throw failure;
    this.shards.push(...shards);
  }
}
