import { createHash } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalQueue, type LocalQueueOptions } from '../../src/queue.ts';

const queues: LocalQueue[] = [];

function makeQueue(
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>,
  options: Partial<LocalQueueOptions> = {},
): LocalQueue {
  const queue = new LocalQueue({ name: 'test-queue', handler, visibilityTimeoutMs: 100, ...options });
  queues.push(queue);
  return queue;
}

/** Fails the test instead of hanging if the queue never drains. */
function drained(queue: LocalQueue, ms = 3000): Promise<void> {
  return Promise.race([
    queue.drain(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('queue did not drain')), ms).unref()),
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

describe('LocalQueue', () => {
  it('delivers SQS-shaped records and deletes them when the handler succeeds', async () => {
    const records: SQSRecord[] = [];
    const queue = makeQueue(
      async (event) => {
        records.push(...event.Records);
        return undefined;
      },
      { region: 'eu-west-1', accountId: '123456789012' },
    );
    const before = Date.now();
    const id = queue.send('{"hello":"world"}', { kind: { dataType: 'String', stringValue: 'greeting' } });
    await drained(queue);

    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({
      messageId: id,
      body: '{"hello":"world"}',
      md5OfBody: createHash('md5').update('{"hello":"world"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:test-queue',
      awsRegion: 'eu-west-1',
      messageAttributes: { kind: { dataType: 'String', stringValue: 'greeting' } },
      attributes: { ApproximateReceiveCount: '1', SenderId: '123456789012' },
    });
    expect(record?.receiptHandle).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
    expect(record?.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(record?.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(
      Number(record?.attributes.SentTimestamp),
    );
    expect(queue.stats()).toEqual({ inFlight: 0, visible: 0, deadLettered: 0, delivered: 1 });
  });

  it('redelivers a failed message only after the visibility timeout, with a new receipt handle', async () => {
    const deliveries: Array<{ at: number; record: SQSRecord }> = [];
    const queue = makeQueue(
      async (event) => {
        for (const record of event.Records) deliveries.push({ at: Date.now(), record });
        if (deliveries.length === 1) throw new Error('transient');
        return undefined;
      },
      { visibilityTimeoutMs: 150 },
    );
    queue.send('retry me');
    await sleep(60);
    // Failed, but not visible again yet: SQS keeps it hidden for the rest of the timeout.
    expect(deliveries).toHaveLength(1);
    expect(queue.stats()).toMatchObject({ inFlight: 1, visible: 0 });
    await drained(queue);

    expect(deliveries).toHaveLength(2);
    const [first, second] = deliveries;
    expect(second?.record.messageId).toBe(first?.record.messageId);
    expect(second?.record.attributes.ApproximateReceiveCount).toBe('2');
    expect(second?.record.receiptHandle).not.toBe(first?.record.receiptHandle);
    expect(second?.record.attributes.ApproximateFirstReceiveTimestamp).toBe(
      first?.record.attributes.ApproximateFirstReceiveTimestamp,
    );
    // Real timers: allow a few ms of timer slack below the configured timeout.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(140);
    expect(queue.stats()).toMatchObject({ delivered: 1, deadLettered: 0 });
  });

  it('moves a message that keeps failing to the dead-letter list after maxReceiveCount receives', async () => {
    let calls = 0;
    const queue = makeQueue(
      async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
      { visibilityTimeoutMs: 50, maxReceiveCount: 3 },
    );
    const id = queue.send('poison');
    await drained(queue);

    expect(calls).toBe(3);
    const dead = queue.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      messageId: id,
      body: 'poison',
      attributes: { ApproximateReceiveCount: '3', DeadLetterQueueSourceArn: queue.arn },
    });
    expect(dead[0]?.lastError).toContain('boom 3');
    expect(queue.stats()).toEqual({ inFlight: 0, visible: 0, deadLettered: 1, delivered: 0 });
    // Nothing more arrives once it is dead-lettered.
    await sleep(120);
    expect(calls).toBe(3);
  });

  it('redelivers only the records listed in batchItemFailures', async () => {
    const batches: string[][] = [];
    const queue = makeQueue(async (event) => {
      batches.push(event.Records.map((r) => r.body));
      const failing = event.Records.filter(
        (r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1',
      );
      return { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    queue.send('a');
    queue.send('b');
    queue.send('c');
    await drained(queue);

    expect(batches).toEqual([['a', 'b', 'c'], ['b']]);
    expect(queue.stats()).toMatchObject({ delivered: 3, deadLettered: 0 });
  });

  it('fails the whole batch when the handler throws', async () => {
    const batches: Array<Array<[string, string]>> = [];
    const queue = makeQueue(async (event) => {
      batches.push(event.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount]));
      if (batches.length === 1) throw new Error('whole batch');
      return undefined;
    });
    queue.send('a');
    queue.send('b');
    queue.send('c');
    await drained(queue);

    expect(batches[0]).toEqual([
      ['a', '1'],
      ['b', '1'],
      ['c', '1'],
    ]);
    expect(batches.slice(1).flat().sort()).toEqual([
      ['a', '2'],
      ['b', '2'],
      ['c', '2'],
    ]);
  });

  it('fails the whole batch when batchItemFailures names an unknown or empty identifier', async () => {
    for (const bad of [{ itemIdentifier: 'not-in-this-batch' }, { itemIdentifier: '' }, {}]) {
      let firstBatch = true;
      const redelivered: string[] = [];
      const queue = makeQueue(async (event) => {
        if (!firstBatch) {
          redelivered.push(...event.Records.map((r) => r.body));
          return undefined;
        }
        firstBatch = false;
        return { batchItemFailures: [bad] } as SQSBatchResponse;
      });
      queue.send('x');
      queue.send('y');
      await drained(queue);
      expect(redelivered.sort()).toEqual(['x', 'y']);
    }
  });

  it('treats an empty batchItemFailures list as complete success', async () => {
    let calls = 0;
    const queue = makeQueue(async () => {
      calls++;
      return { batchItemFailures: [] };
    });
    queue.send('one');
    queue.send('two');
    await drained(queue);
    await sleep(150);
    expect(calls).toBe(1);
    expect(queue.stats().delivered).toBe(2);
  });

  it('caps batches at batchSize and runs at most `concurrency` batches at once', async () => {
    const sizes: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const queue = makeQueue(
      async (event) => {
        sizes.push(event.Records.length);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(30);
        running--;
        return undefined;
      },
      { batchSize: 2, concurrency: 2, visibilityTimeoutMs: 5000 },
    );
    for (let i = 0; i < 7; i++) queue.send(`m${i}`);
    await drained(queue);

    expect(sizes.every((n) => n <= 2)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(7);
    expect(maxRunning).toBe(2);
  });

  it('gathers messages sent over time into one batch within the batching window', async () => {
    const sizes: number[] = [];
    const queue = makeQueue(
      async (event) => {
        sizes.push(event.Records.length);
        return undefined;
      },
      { maxBatchingWindowMs: 150, batchSize: 10 },
    );
    queue.send('1');
    await sleep(20);
    queue.send('2');
    await sleep(20);
    queue.send('3');
    await drained(queue);
    expect(sizes).toEqual([3]);
  });

  it('delivers a message again while a handler outlives the visibility timeout (at-least-once)', async () => {
    const receives: string[] = [];
    const queue = makeQueue(
      async (event) => {
        const count = event.Records[0]?.attributes.ApproximateReceiveCount ?? '?';
        receives.push(count);
        if (count === '1') await sleep(200); // outlives the 60 ms visibility timeout
        return undefined;
      },
      { visibilityTimeoutMs: 60, maxReceiveCount: 5 },
    );
    queue.send('slow');
    await drained(queue);
    expect(receives.slice(0, 2)).toEqual(['1', '2']);
    expect(queue.stats()).toMatchObject({ delivered: 1, inFlight: 0, visible: 0 });
  });

  it('refuses bodies SQS refuses, sends after close, and configurations Lambda refuses', async () => {
    const queue = makeQueue(async () => undefined);
    expect(() => queue.send('')).toThrow(RangeError);
    expect(() => queue.send('bad \u0000 char')).toThrow(/InvalidMessageContents/);
    expect(() => makeQueue(async () => undefined, { name: 'has space' })).toThrow(RangeError);
    expect(() => makeQueue(async () => undefined, { batchSize: 50 })).toThrow(
      /batching window|maxBatchingWindowMs/,
    );
    expect(() =>
      makeQueue(async () => undefined, { batchSize: 50, maxBatchingWindowMs: 1000 }),
    ).not.toThrow();
    await queue.close();
    expect(() => queue.send('late')).toThrow(/closed/);
  });

  it('rejects a pending drain when the queue is closed first', async () => {
    const queue = makeQueue(
      async () => {
        throw new Error('never succeeds');
      },
      { visibilityTimeoutMs: 10_000 },
    );
    queue.send('stuck');
    const pending = queue.drain();
    await sleep(20);
    await queue.close();
    await expect(pending).rejects.toThrow(/closed before it drained/);
  });
});
