import type { TopicEvent } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import type {
  TopicEventLog,
  TopicGrantStore,
  TopicSubscriptionRecord,
  TopicSubscriptionStore,
} from '../../src/ports.ts';

/** The three topic tables of one test: each EMPTY (e.g. fresh tables). */
export interface TopicStores {
  readonly grants: TopicGrantStore;
  readonly subscriptions: TopicSubscriptionStore;
  readonly events: TopicEventLog;
}

/**
 * The behaviour every topic store must have, run against the in-memory fakes and DynamoDB.
 *
 * @param make returns empty stores for each test.
 */
export function describeTopicStoresContract(name: string, make: () => Promise<TopicStores>): void {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const live = Math.floor(now / 1000) + 3600;
  const record = (
    topic: string,
    connectionId: string,
    userId: string,
    expiresAt: number,
    groups: string[],
    frameId?: string,
  ): TopicSubscriptionRecord => ({
    topic,
    connectionId,
    userId,
    expiresAt,
    groups,
    ...(frameId !== undefined && { frameId }),
  });
  const event = (topic: string, seq: number): TopicEvent => ({
    topic,
    seq,
    at: '2025-06-01T11:59:00.000Z',
    title: `#${seq}`,
    body: '',
  });

  describe(`${name}: topic grants`, () => {
    it('creates a grant once, lists a topic’s grants by group, deletes one and says when there was none', async () => {
      const { grants } = await make();
      const grant = { topic: 'ops.deploys', group: 'ops', createdBy: 'admin', createdAt: now };
      expect(await grants.create(grant)).toBe('created');
      expect(await grants.create({ ...grant, createdBy: 'someone-else' })).toBe('exists');
      await grants.create({ ...grant, group: 'dev' });
      await grants.create({ ...grant, topic: 'other' });
      expect(await grants.list('ops.deploys')).toEqual([{ ...grant, group: 'dev' }, grant]);
      expect(await grants.delete('ops.deploys', 'ops')).toBe(true);
      expect(await grants.delete('ops.deploys', 'ops')).toBe(false);
      expect((await grants.list('ops.deploys')).map((g) => g.group)).toEqual(['dev']);
    });
  });

  describe(`${name}: topic subscriptions`, () => {
    it('lists a topic’s live connections only, once each, and removes one or all of a connection’s', async () => {
      const { subscriptions } = await make();
      await subscriptions.add(record('news', 'a=', 'u1', live, []));
      await subscriptions.add(record('news', 'a=', 'u1', live, []));
      await subscriptions.add(record('news', 'b=', 'u2', live, []));
      await subscriptions.add(record('news', 'expired=', 'u3', Math.floor(now / 1000) - 1, []));
      await subscriptions.add(record('ops', 'a=', 'u1', live, []));
      expect((await subscriptions.listConnections('news', now)).sort()).toEqual(['a=', 'b=']);
      await subscriptions.remove('news', 'b=');
      await subscriptions.remove('news', 'never=');
      expect(await subscriptions.listConnections('news', now)).toEqual(['a=']);
      expect(await subscriptions.removeConnection('a=')).toBe(2);
      expect(await subscriptions.listConnections('news', now)).toEqual([]);
      expect(await subscriptions.listConnections('ops', now)).toEqual([]);
      expect(await subscriptions.removeConnection('a=')).toBe(0);
    });

    it('lists a topic’s live subscribers with the groups and frame id they subscribed with', async () => {
      const { subscriptions } = await make();
      await subscriptions.add(record('ops.deploys', 'a=', 'u1', live, ['ops', 'dev'], 'topic-1'));
      await subscriptions.add(record('ops.deploys', 'b=', 'u2', live, []));
      await subscriptions.add(record('ops.deploys', 'expired=', 'u3', Math.floor(now / 1000) - 1, ['ops']));
      const listed = await subscriptions.listSubscribers('ops.deploys', now);
      expect(listed.sort((x, y) => x.connectionId.localeCompare(y.connectionId))).toEqual([
        { connectionId: 'a=', groups: ['ops', 'dev'], frameId: 'topic-1' },
        { connectionId: 'b=', groups: [] },
      ]);
    });

    it('lists more connections than one Query page holds', async () => {
      const { subscriptions } = await make();
      const ids = Array.from(
        { length: 1200 },
        (_, i) => `c${String(i).padStart(4, '0')}-${'x'.repeat(900)}=`,
      );
      for (let i = 0; i < ids.length; i += 50) {
        await Promise.all(
          ids.slice(i, i + 50).map((id) => subscriptions.add(record('big', id, 'u', live, []))),
        );
      }
      expect((await subscriptions.listConnections('big', now)).length).toBe(1200);
    });
  });

  describe(`${name}: topic event log`, () => {
    it('hands out seq 1, 2, 3 per topic, never twice, and remembers the last', async () => {
      const { events } = await make();
      expect(await events.lastSeq('news')).toBe(0);
      expect(
        await Promise.all([events.nextSeq('news'), events.nextSeq('news'), events.nextSeq('news')]).then(
          (s) => s.sort(),
        ),
      ).toEqual([1, 2, 3]);
      expect(await events.nextSeq('ops')).toBe(1);
      expect(await events.lastSeq('news')).toBe(3);
    });

    it('replays live events after a seq, in order, at most `limit`; the first append of a seq stands', async () => {
      const { events } = await make();
      for (const seq of [3, 1, 2]) await events.append(event('news', seq), live);
      await events.append({ ...event('news', 2), title: 'again' }, live);
      await events.append(event('news', 4), Math.floor(now / 1000) - 1);
      await events.append(event('ops', 1), live);
      expect((await events.readAfter('news', -1, now, 10)).map((e) => [e.seq, e.title])).toEqual([
        [1, '#1'],
        [2, '#2'],
        [3, '#3'],
      ]);
      expect((await events.readAfter('news', 1, now, 1)).map((e) => e.seq)).toEqual([2]);
      expect(await events.readAfter('news', 3, now, 10)).toEqual([]);
    });

    it('never replays the counter as an event', async () => {
      const { events } = await make();
      await events.nextSeq('news');
      expect(await events.readAfter('news', -1, now, 10)).toEqual([]);
    });
  });
}
