import { describe, expect, it } from 'vitest';
import { makeSqsFetchFileHandler } from '../../src/handlers/sqs-fetch-file.ts';
import { ALICE, fakeDeps } from '../fakes/fake-deps.ts';

const CSV = 'reports/2026/q3.csv';
const REQUEST = 'c0ffee00-0000-4000-8000-00000000000f';

const message = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    v: 1,
    requestId: REQUEST,
    userId: ALICE,
    groups: ['analysts'],
    path: CSV,
    requestedAt: '2026-01-15T08:59:59.000Z',
    ...overrides,
  });

const sqsEvent = (body: string, receiveCount = 1) => ({
  Records: [{ messageId: 'm-1', body, attributes: { ApproximateReceiveCount: String(receiveCount) } }],
});

function setup() {
  const f = fakeDeps();
  f.srvgw.put(CSV, 'region,revenue\nnorth,10\n', 'text/csv');
  return { ...f, handler: makeSqsFetchFileHandler(f.provide) };
}

describe('sqs-fetch-file handler', () => {
  it('fetches a queued request and sends file.ready with its requestId', async () => {
    const f = setup();
    expect(await f.handler(sqsEvent(message()))).toEqual({ batchItemFailures: [] });
    expect(f.notifier.sent).toEqual([
      {
        userId: ALICE,
        event: expect.objectContaining({
          type: 'file.ready',
          seq: 1,
          requestId: REQUEST,
          path: CSV,
          size: 24,
        }),
      },
    ]);
    expect(f.files.objects.has(`files/${CSV}`)).toBe(true);
  });

  it('checks the grants again and drops a request that is no longer allowed', async () => {
    const f = setup();
    await f.grants.delete('00000000-0000-4000-a000-000000000002');
    expect(await f.handler(sqsEvent(message()))).toEqual({ batchItemFailures: [] });
    expect(f.srvgw.calls).toEqual([]);
    expect(f.logs.entries.map((e) => e.message)).toContain('queued file fetch no longer allowed; dropped');
  });

  it('drops malformed messages and unsafe paths without retrying', async () => {
    const f = setup();
    for (const body of ['{}', 'nope', message({ path: '../etc/passwd' })]) {
      expect(await f.handler(sqsEvent(body))).toEqual({ batchItemFailures: [] });
    }
    expect(f.srvgw.calls).toEqual([]);
  });

  it('asks for a redelivery on a retryable fault with receives left, and gives up on the last', async () => {
    const f = setup();
    f.srvgw.fault(CSV, ...Array(6).fill({ status: 503 }));
    expect(await f.handler(sqsEvent(message(), 1))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }],
    });
    expect(await f.handler(sqsEvent(message(), 3))).toEqual({ batchItemFailures: [] });
    expect(f.logs.entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual([
      'file fetch failed for good',
    ]);
    expect(f.notifier.sent).toEqual([]);
  });

  it('does not retry a file that will never be delivered', async () => {
    const f = setup();
    f.srvgw.fault(CSV, { status: 404 });
    expect(await f.handler(sqsEvent(message(), 1))).toEqual({ batchItemFailures: [] });
  });

  it('stops a hung transfer before the Lambda times out and asks for a redelivery', async () => {
    const f = setup();
    f.srvgw.fault(CSV, { hang: true });
    // 15 s of the remaining time are kept back; the floor is one second.
    const context = { awsRequestId: 'lambda-1', getRemainingTimeInMillis: () => 15_100 };
    const started = Date.now();
    expect(await f.handler(sqsEvent(message()), context)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }],
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(f.files.objects.size).toBe(0);
  });
});
