import { describe, expect, it } from 'vitest';
import { wantsEvent } from '../../src/core/subscriptions.ts';
import { DEFAULT_TOPIC_GRANTS, isTopicGranted } from '../../src/core/topic-grants.ts';
import { cutShards } from '../../src/core/topic-shards.ts';
import { StoreError } from '../../src/errors.ts';
import { makeHttpCreateTopicGrantHandler } from '../../src/handlers/http-create-topic-grant.ts';
import { makeHttpDeleteTopicGrantHandler } from '../../src/handlers/http-delete-topic-grant.ts';
import { makeHttpListTopicGrantsHandler } from '../../src/handlers/http-list-topic-grants.ts';
import { makeHttpPublishTopicEventHandler } from '../../src/handlers/http-publish-topic-event.ts';
import { makeSnsNotifyHandler } from '../../src/handlers/sns-notify.ts';
import { makeSqsTopicFanoutHandler } from '../../src/handlers/sqs-topic-fanout.ts';
import { makeWsDefaultHandler } from '../../src/handlers/ws-default.ts';
import { makeWsDisconnectHandler } from '../../src/handlers/ws-disconnect.ts';
import { fakeDeps } from '../fakes/fake-deps.ts';
import { events, JOB_A } from '../helpers/events.ts';

type Fake = ReturnType<typeof fakeDeps>;

const wsEvent = (connectionId: string, userId: string, groups: string, body: string) => ({
  requestContext: {
    connectionId,
    requestId: 'r-1',
    authorizer: { userId, username: userId, groups },
  },
  body,
});

const rest = (method: string, groups: string[], params: Record<string, string>, body?: unknown) => ({
  httpMethod: method,
  headers: {},
  pathParameters: params,
  queryStringParameters: null,
  body: body === undefined ? null : JSON.stringify(body),
  isBase64Encoded: false,
  requestContext: {
    requestId: 'r-1',
    authorizer: {
      claims: {
        sub: `sub-${groups.join('-') || 'none'}`,
        'cognito:username': 'u',
        'cognito:groups': groups.join(','),
      },
    },
  },
});

async function connect(f: Fake, connectionId: string, userId: string): Promise<void> {
  const now = f.clock.now();
  await f.connections.put({ connectionId, userId, connectedAt: now, expiresAt: now / 1000 + 3600 });
}

async function subscribe(f: Fake, connectionId: string, userId: string, groups: string, topic: string) {
  const response = await makeWsDefaultHandler(f.provide)(
    wsEvent(connectionId, userId, groups, JSON.stringify({ action: 'subscribe', id: 's', topic })),
  );
  return JSON.parse(response.body ?? 'null') as Record<string, unknown> | null;
}

/** Runs the fan-out worker over every shard the fake queue recorded, as SQS would deliver them. */
async function runFanout(f: Fake) {
  const records = f.fanout.shards.map((shard, i) => ({ messageId: `m-${i}`, body: JSON.stringify(shard) }));
  f.fanout.shards.length = 0;
  return makeSqsTopicFanoutHandler(f.provide)({ Records: records });
}

const topicFrames = (f: Fake, connectionId: string) =>
  f.poster
    .delivered(connectionId)
    .map((d) => JSON.parse(d) as { type: string; event?: { topic: string; seq: number } })
    .filter((frame) => frame.type === 'topic');

describe('topic grants', () => {
  it('grants announcements to everyone by the shipped default, group:<name> to members, nothing else', () => {
    expect(DEFAULT_TOPIC_GRANTS).toEqual([{ topic: 'announcements', group: '*' }]);
    expect(isTopicGranted('announcements', [], [])).toBe(true);
    expect(isTopicGranted('group:ops', ['ops'], [])).toBe(true);
    expect(isTopicGranted('group:ops', ['dev'], [])).toBe(false);
    expect(isTopicGranted('group:ops', ['group:ops'], [])).toBe(false);
    expect(isTopicGranted('ops.deploys', ['ops'], [])).toBe(false);
    expect(isTopicGranted('ops.deploys', ['ops'], [{ topic: 'ops.deploys', group: 'ops' }])).toBe(true);
    expect(isTopicGranted('ops.deploys', ['dev'], [{ topic: 'ops.deploys', group: 'ops' }])).toBe(false);
    expect(isTopicGranted('ops.deploys', [], [{ topic: 'ops.deploys', group: '*' }])).toBe(true);
    expect(isTopicGranted('other', ['ops'], [{ topic: 'ops.deploys', group: 'ops' }])).toBe(false);
  });
});

describe('wantsEvent with shared topics', () => {
  it('lets shared-topic subscriptions leave the user’s own events alone; views still narrow', () => {
    const progress = events(JOB_A).progress;
    expect(wantsEvent(['shared:announcements'], progress)).toBe(true);
    expect(wantsEvent(['shared:announcements', 'topic:files'], progress)).toBe(false);
    expect(wantsEvent(['shared:announcements', `job:${JOB_A}`], progress)).toBe(true);
  });
});

describe('cutShards', () => {
  it('cuts 2,000 ids into 4 shards of 500 and keeps every id once, in order', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `c${i}`);
    const shards = cutShards(ids, 500);
    expect(shards.map((s) => s.length)).toEqual([500, 500, 500, 500]);
    expect(shards.flat()).toEqual(ids);
  });

  it('balances the shards (sizes differ by at most one) and never exceeds the size', () => {
    expect(cutShards(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 3).map((s) => s.length)).toEqual([3, 2, 2]);
    expect(cutShards(Array.from({ length: 1001 }, String), 500).map((s) => s.length)).toEqual([
      334, 334, 333,
    ]);
    expect(cutShards([], 500)).toEqual([]);
    expect(() => cutShards(['a'], 0)).toThrow(RangeError);
  });
});

describe('subscribe / unsubscribe / resume on shared topics ($default)', () => {
  it('acknowledges a granted topic with subscribed {topic} and records it in the topic table', async () => {
    const f = fakeDeps();
    await connect(f, 'c1=', 'alice');
    expect(await subscribe(f, 'c1=', 'alice', '', 'announcements')).toEqual({
      type: 'subscribed',
      id: 's',
      topic: 'announcements',
    });
    expect(await subscribe(f, 'c1=', 'alice', 'ops', 'group:ops')).toMatchObject({ topic: 'group:ops' });
    expect(f.topicSubscriptions.topicsOf('c1=').sort()).toEqual(['announcements', 'group:ops']);
    // Shared topics do not narrow the user's own events.
    expect((await f.connections.listByUser('alice', f.clock.now()))[0]?.subscriptions).toEqual([
      'shared:announcements',
      'shared:group:ops',
    ]);
  });

  it('refuses a topic without a grant with FORBIDDEN and records nothing', async () => {
    const f = fakeDeps();
    await connect(f, 'c1=', 'mallory');
    for (const topic of ['group:ops', 'ops.deploys']) {
      expect(await subscribe(f, 'c1=', 'mallory', 'dev', topic)).toMatchObject({
        type: 'error',
        id: 's',
        error: { code: 'FORBIDDEN' },
      });
    }
    expect(f.topicSubscriptions.topicsOf('c1=')).toEqual([]);
  });

  it('admits a topic an admin granted to one of the caller’s groups', async () => {
    const f = fakeDeps();
    await connect(f, 'c1=', 'bob');
    await f.topicGrants.create({ topic: 'ops.deploys', group: 'ops', createdBy: 'admin', createdAt: 0 });
    expect(await subscribe(f, 'c1=', 'bob', 'dev,ops', 'ops.deploys')).toMatchObject({ type: 'subscribed' });
  });

  it('unsubscribes from both tables', async () => {
    const f = fakeDeps();
    await connect(f, 'c1=', 'alice');
    await subscribe(f, 'c1=', 'alice', '', 'announcements');
    await makeWsDefaultHandler(f.provide)(
      wsEvent('c1=', 'alice', '', JSON.stringify({ action: 'unsubscribe', topic: 'announcements' })),
    );
    expect(f.topicSubscriptions.topicsOf('c1=')).toEqual([]);
    expect((await f.connections.listByUser('alice', f.clock.now()))[0]?.subscriptions ?? []).toEqual([]);
  });

  it('replays a granted topic’s events after afterSeq, then resumed {topic, lastSeq}; refuses ungranted ones', async () => {
    const f = fakeDeps();
    await connect(f, 'c1=', 'alice');
    for (const title of ['one', 'two', 'three']) {
      await makeSnsNotifyHandler(f.provide)({
        Records: [
          {
            Sns: {
              MessageId: title,
              TopicArn: 'arn',
              Message: JSON.stringify({ topic: 'announcements', message: { title, body: '' } }),
            },
          },
        ],
      });
    }
    await makeWsDefaultHandler(f.provide)(
      wsEvent(
        'c1=',
        'alice',
        '',
        JSON.stringify({ action: 'resume', id: 'r', topic: 'announcements', afterSeq: 1 }),
      ),
    );
    const frames = f.poster.delivered('c1=').map((d) => JSON.parse(d) as Record<string, unknown>);
    expect(frames.map((fr) => (fr.event as { seq?: number } | undefined)?.seq ?? fr.type)).toEqual([
      2,
      3,
      'resumed',
    ]);
    expect(frames.at(-1)).toEqual({ type: 'resumed', id: 'r', topic: 'announcements', lastSeq: 3 });

    const refused = await makeWsDefaultHandler(f.provide)(
      wsEvent('c1=', 'alice', '', JSON.stringify({ action: 'resume', topic: 'group:ops', afterSeq: -1 })),
    );
    expect(JSON.parse(refused.body ?? '{}')).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } });
  });

  it('removes a connection’s topic subscriptions on $disconnect', async () => {
    const f = fakeDeps();
    await connect(f, 'c1=', 'alice');
    await subscribe(f, 'c1=', 'alice', '', 'announcements');
    await makeWsDisconnectHandler(f.provide)({ requestContext: { connectionId: 'c1=', requestId: 'r' } });
    expect(f.topicSubscriptions.topicsOf('c1=')).toEqual([]);
    expect(await f.topicSubscriptions.listConnections('announcements', f.clock.now())).toEqual([]);
  });
});

describe('$disconnect with topic subscriptions', () => {
  it('deletes the connection item even when the topic cleanup keeps failing, and logs it', async () => {
    const f = fakeDeps();
    await connect(f, 'c1=', 'alice');
    const failing = {
      ...f.topicSubscriptions,
      removeConnection: async () => {
        throw new StoreError('topicSubscriptions', 'down', { retryable: true });
      },
    } as unknown as typeof f.topicSubscriptions;
    await makeWsDisconnectHandler(() => ({ ...f.deps, topicSubscriptions: failing }), {
      sleep: async () => {},
    })({
      requestContext: { connectionId: 'c1=', requestId: 'r' },
    });
    expect(await f.connections.listByUser('alice', f.clock.now())).toEqual([]);
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'warn', connectionId: 'c1=' });
  });
});

describe('publishing and fan-out', () => {
  it('publishes with a per-topic seq, shards the subscribers, and the workers deliver to exactly them', async () => {
    const f = fakeDeps();
    const provide = () => ({ ...f.deps, topicShardSize: 2 });
    for (const id of ['a=', 'b=', 'c=', 'd=', 'e=']) {
      await connect(f, id, `user-${id}`);
      await subscribe(f, id, `user-${id}`, '', 'announcements');
    }
    await connect(f, 'outsider=', 'eve');
    const admin = makeHttpPublishTopicEventHandler(provide);
    const first = await admin(
      rest('POST', ['admins'], { topic: 'announcements' }, { title: 'Hi', body: 'all' }),
    );
    expect(first.statusCode).toBe(202);
    expect(JSON.parse(first.body)).toEqual({ topic: 'announcements', seq: 1, subscribers: 5, shards: 3 });
    expect(f.fanout.shards.map((s) => s.connectionIds.length)).toEqual([2, 2, 1]);
    expect(await runFanout(f)).toEqual({ batchItemFailures: [] });
    for (const id of ['a=', 'b=', 'c=', 'd=', 'e=']) {
      expect(topicFrames(f, id).map((fr) => fr.event?.seq)).toEqual([1]);
    }
    expect(f.poster.delivered('outsider=')).toEqual([]);
    const second = await admin(
      rest('POST', ['admins'], { topic: 'announcements' }, { title: 'Again', body: '' }),
    );
    expect(JSON.parse(second.body)).toMatchObject({ seq: 2 });
  });

  it('refuses publishing to non-admins with 403 before taking a seq', async () => {
    const f = fakeDeps();
    const res = await makeHttpPublishTopicEventHandler(f.provide)(
      rest('POST', ['ops'], { topic: 'announcements' }, { title: 'x', body: '' }),
    );
    expect(res.statusCode).toBe(403);
    expect(await f.topicEvents.lastSeq('announcements')).toBe(0);
    expect(f.fanout.shards).toEqual([]);
  });

  it('removes gone connections from both tables and redelivers a shard whose posts keep failing', async () => {
    const f = fakeDeps();
    for (const id of ['a=', 'b=', 'c=']) {
      await connect(f, id, `user-${id}`);
      await subscribe(f, id, `user-${id}`, '', 'announcements');
    }
    f.poster.gone('b=');
    f.poster.script('c=', ['server-error', 'server-error', 'server-error', 'server-error', 'server-error']);
    await makeSnsNotifyHandler(f.provide)({
      Records: [
        {
          Sns: {
            MessageId: 'm',
            TopicArn: 'arn',
            Message: JSON.stringify({ topic: 'announcements', message: { title: 't', body: '' } }),
          },
        },
      ],
    });
    const shards = [...f.fanout.shards];
    const first = await runFanout(f);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(await f.topicSubscriptions.listConnections('announcements', f.clock.now())).toEqual(['a=', 'c=']);
    expect(await f.connections.listByUser('user-b=', f.clock.now())).toEqual([]);
    // Redelivered whole: a= gets the same seq again (the SDK drops it), c= gets it at last.
    f.fanout.shards.push(...shards);
    expect(await runFanout(f)).toEqual({ batchItemFailures: [] });
    expect(topicFrames(f, 'a=').map((fr) => fr.event?.seq)).toEqual([1, 1]);
    expect(topicFrames(f, 'c=').map((fr) => fr.event?.seq)).toEqual([1]);
  });

  it('drops a malformed shard without retrying it', async () => {
    const f = fakeDeps();
    const out = await makeSqsTopicFanoutHandler(f.provide)({
      Records: [{ messageId: 'x', body: '{"nope":1}' }],
    });
    expect(out).toEqual({ batchItemFailures: [] });
  });
});

describe('topic grant admin routes', () => {
  it('lets admins create, list and revoke grants; 409 for a repeat, 404 for an unknown one', async () => {
    const f = fakeDeps();
    const create = makeHttpCreateTopicGrantHandler(f.provide);
    const list = makeHttpListTopicGrantsHandler(f.provide);
    const remove = makeHttpDeleteTopicGrantHandler(f.provide);
    const made = await create(rest('POST', ['admins'], { topic: 'ops.deploys' }, { group: 'ops' }));
    expect(made.statusCode).toBe(201);
    expect(JSON.parse(made.body)).toMatchObject({ topic: 'ops.deploys', group: 'ops' });
    expect(
      (await create(rest('POST', ['admins'], { topic: 'ops.deploys' }, { group: 'ops' }))).statusCode,
    ).toBe(409);
    expect(
      (await create(rest('POST', ['admins'], { topic: 'ops.deploys' }, { group: 'a,b' }))).statusCode,
    ).toBe(400);
    expect((await create(rest('POST', ['admins'], { topic: 'jobs' }, { group: 'ops' }))).statusCode).toBe(
      400,
    );
    const listed = await list(rest('GET', ['admins'], { topic: 'ops.deploys' }));
    expect(JSON.parse(listed.body).grants.map((g: { group: string }) => g.group)).toEqual(['ops']);
    expect(
      (await remove(rest('DELETE', ['admins'], { topic: 'ops.deploys', group: 'ops' }))).statusCode,
    ).toBe(204);
    expect(
      (await remove(rest('DELETE', ['admins'], { topic: 'ops.deploys', group: 'ops' }))).statusCode,
    ).toBe(404);
  });

  it('revoking a grant removes the subscribers it admitted, keeps those another grant admits, and no later event reaches them', async () => {
    const f = fakeDeps();
    const grant = (group: string) => ({ topic: 'ops.deploys', group, createdBy: 'root', createdAt: 0 });
    await f.topicGrants.create(grant('ops'));
    await f.topicGrants.create(grant('dev'));
    for (const [id, user, groups] of [
      ['ops=', 'u-ops', 'ops'],
      ['both=', 'u-both', 'ops,dev'],
      ['dev=', 'u-dev', 'dev'],
    ] as const) {
      await connect(f, id, user);
      expect(await subscribe(f, id, user, groups, 'ops.deploys')).toMatchObject({ type: 'subscribed' });
    }
    // A second removed subscriber whose socket is already gone: the revocation still succeeds.
    await connect(f, 'gone=', 'u-gone');
    expect(await subscribe(f, 'gone=', 'u-gone', 'ops', 'ops.deploys')).toMatchObject({ type: 'subscribed' });
    f.poster.gone('gone=');
    const remove = makeHttpDeleteTopicGrantHandler(f.provide);
    expect(
      (await remove(rest('DELETE', ['admins'], { topic: 'ops.deploys', group: 'ops' }))).statusCode,
    ).toBe(204);
    expect((await f.topicSubscriptions.listConnections('ops.deploys', f.clock.now())).sort()).toEqual([
      'both=',
      'dev=',
    ]);
    // The removed connection is told, under the id its subscribe frame carried (the SDK ends
    // that subscription with the error); the others hear nothing.
    const frames = (id: string) => f.poster.delivered(id).map((d) => JSON.parse(d) as unknown);
    expect(frames('ops=')).toEqual([
      {
        type: 'error',
        id: 's',
        error: {
          code: 'FORBIDDEN',
          message: 'Your access to the topic ops.deploys was revoked; no more of its events reach you.',
        },
      },
    ]);
    expect(frames('both=')).toEqual([]);
    expect(frames('dev=')).toEqual([]);

    const publish = makeHttpPublishTopicEventHandler(f.provide);
    expect(
      (await publish(rest('POST', ['admins'], { topic: 'ops.deploys' }, { title: 'after', body: '' })))
        .statusCode,
    ).toBe(202);
    await runFanout(f);
    expect(topicFrames(f, 'ops=')).toEqual([]);
    expect(topicFrames(f, 'both=')).toHaveLength(1);
    expect(topicFrames(f, 'dev=')).toHaveLength(1);
  });

  it('a revocation whose sweep failed half-way is completed by its retry (which answers 404)', async () => {
    const f = fakeDeps();
    await f.topicGrants.create({ topic: 'ops.deploys', group: 'ops', createdBy: 'root', createdAt: 0 });
    for (const id of ['a=', 'b=']) {
      await connect(f, id, `u-${id}`);
      expect(await subscribe(f, id, `u-${id}`, 'ops', 'ops.deploys')).toMatchObject({ type: 'subscribed' });
    }
    const store = f.topicSubscriptions;
    const removeOne = store.remove.bind(store);
    let failures = 1;
    store.remove = async (topic, connectionId) => {
      if (failures-- > 0) throw new StoreError('topicSubscriptions', 'down', { retryable: true });
      return removeOne(topic, connectionId);
    };
    const remove = makeHttpDeleteTopicGrantHandler(f.provide);
    const request = rest('DELETE', ['admins'], { topic: 'ops.deploys', group: 'ops' });
    expect((await remove(request)).statusCode).toBe(503);
    expect((await store.listConnections('ops.deploys', f.clock.now())).length).toBeGreaterThan(0);
    expect((await remove(request)).statusCode).toBe(404);
    expect(await store.listConnections('ops.deploys', f.clock.now())).toEqual([]);
  });

  it('refuses every grant route to non-admins with 403 and changes nothing', async () => {
    const f = fakeDeps();
    await f.topicGrants.create({ topic: 't', group: 'ops', createdBy: 'a', createdAt: 0 });
    expect(
      (await makeHttpListTopicGrantsHandler(f.provide)(rest('GET', ['ops'], { topic: 't' }))).statusCode,
    ).toBe(403);
    expect(
      (await makeHttpCreateTopicGrantHandler(f.provide)(rest('POST', [], { topic: 't' }, { group: 'dev' })))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await makeHttpDeleteTopicGrantHandler(f.provide)(
          rest('DELETE', ['ops'], { topic: 't', group: 'ops' }),
        )
      ).statusCode,
    ).toBe(403);
    expect((await f.topicGrants.list('t')).map((g) => g.group)).toEqual(['ops']);
  });
});
