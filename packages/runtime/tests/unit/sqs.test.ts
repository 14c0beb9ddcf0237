import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import { createJsonLogger } from '../../src/log.ts';
import type { Metrics } from '../../src/metrics.ts';
import { processSqsBatch, type SqsDelivery } from '../../src/sqs.ts';

function countingMetrics() {
  const flushes: number[] = [];
  const metrics: Metrics = { add: () => {}, addMetadata: () => {}, flush: () => void flushes.push(1) };
  return { metrics, flushes };
}

const clock: Clock = { now: () => 1_000_000 };

describe('processSqsBatch', () => {
  it('reports exactly the records whose verdict is retry, with their delivery facts', async () => {
    const lines: string[] = [];
    const { metrics, flushes } = countingMetrics();
    const seen: Array<[string, SqsDelivery]> = [];
    const result = await processSqsBatch(
      {
        Records: [
          { messageId: 'm-1', body: 'ok' },
          { messageId: 'm-2', body: 'retry', attributes: { ApproximateReceiveCount: '2' } },
          { messageId: 'm-3', body: 'ok' },
        ],
      },
      { awsRequestId: 'r-1', getRemainingTimeInMillis: () => 60_000 },
      {
        clock,
        log: createJsonLogger({}, (line) => lines.push(line)),
        metrics,
        maxReceives: 3,
        workerTimeoutMs: 900_000,
      },
      15_000,
      async (body, delivery, log) => {
        seen.push([body, delivery]);
        log.log('info', 'seen');
        return { retry: body === 'retry' };
      },
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(seen.map(([, d]) => d)).toEqual([
      { receiveCount: 1, maxReceives: 3, deadline: 1_045_000 },
      { receiveCount: 2, maxReceives: 3, deadline: 1_045_000 },
      { receiveCount: 1, maxReceives: 3, deadline: 1_045_000 },
    ]);
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ requestId: 'r-1', messageId: 'm-2', message: 'seen' }),
    );
    expect(flushes).toHaveLength(1);
  });

  it('falls back on the worker timeout without a context, never below one second, and flushes on a throw', async () => {
    const { metrics, flushes } = countingMetrics();
    const d = {
      clock,
      log: createJsonLogger({}, () => {}),
      metrics,
      maxReceives: 3,
      workerTimeoutMs: 10_000,
    };
    const deadlines: number[] = [];
    await processSqsBatch(
      { Records: [{ messageId: 'm', body: '' }] },
      undefined,
      d,
      15_000,
      async (_b, delivery) => {
        deadlines.push(delivery.deadline);
        return { retry: false };
      },
    );
    expect(deadlines).toEqual([1_001_000]);
    await expect(
      processSqsBatch({ Records: [{ messageId: 'm', body: '' }] }, undefined, d, 0, async () => {
        throw new Error('bug');
      }),
    ).rejects.toThrow('bug');
    expect(flushes).toHaveLength(2);
  });
});
