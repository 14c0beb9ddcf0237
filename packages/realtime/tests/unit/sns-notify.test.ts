import { describe, expect, it } from 'vitest';
import { ConnectionStoreError } from '../../src/errors.ts';
import { makeSnsNotifyHandler } from '../../src/handlers/sns-notify.ts';
import { fakeDeps } from '../fakes/fake-deps.ts';
import { events, JOB_A } from '../helpers/events.ts';

const record = (message: string, id = 'm-1') => ({
  Sns: { MessageId: id, TopicArn: 'arn:aws:sns:us-east-1:000000000000:NotifyTopic', Message: message },
});

describe('sns-notify handler', () => {
  it('publishes each valid {userId, event} message to the user', async () => {
    const f = fakeDeps();
    const now = f.clock.now();
    await f.connections.put({
      connectionId: 'a1=',
      userId: 'alice',
      connectedAt: now,
      expiresAt: now / 1000 + 60,
    });
    const event = events(JOB_A).succeeded;
    await makeSnsNotifyHandler(f.provide)({ Records: [record(JSON.stringify({ userId: 'alice', event }))] });
    expect(f.poster.delivered('a1=')).toEqual([JSON.stringify({ type: 'event', event })]);
  });

  it('logs and drops invalid messages without failing the batch, and never logs their content', async () => {
    const f = fakeDeps();
    const now = f.clock.now();
    await f.connections.put({
      connectionId: 'a1=',
      userId: 'alice',
      connectedAt: now,
      expiresAt: now / 1000 + 60,
    });
    const valid = JSON.stringify({ userId: 'alice', event: events(JOB_A).queued });
    await makeSnsNotifyHandler(f.provide)({
      Records: [
        record('not json secret-123', 'm-bad-json'),
        record(
          JSON.stringify({ userId: 'alice', event: { type: 'job.exploded', secret: 'secret-456' } }),
          'm-bad',
        ),
        record(valid, 'm-ok'),
      ],
    });
    expect(f.poster.delivered('a1=')).toHaveLength(1);
    const dropped = f.logs.entries.filter((e) => e.message === 'notify message dropped: not {userId, event}');
    expect(dropped.map((e) => e.snsMessageId)).toEqual(['m-bad-json', 'm-bad']);
    expect(f.logs.text).not.toContain('secret-');
  });

  it('fails the invocation on a transient failure so Lambda retries', async () => {
    const f = fakeDeps();
    f.connections.failNextWith(new ConnectionStoreError('throttled', { retryable: true }));
    const message = JSON.stringify({ userId: 'alice', event: events(JOB_A).queued });
    await expect(makeSnsNotifyHandler(f.provide)({ Records: [record(message)] })).rejects.toBeInstanceOf(
      AggregateError,
    );
  });
});
