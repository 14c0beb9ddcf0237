import type { HeraldEvent, JobEvent } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import { type EventPublisher, RealtimeNotifier } from '../../src/adapters/realtime-notifier.ts';

const JOB = 'c0ffee00-0000-4000-8000-000000000001';
const at = '2026-01-15T09:00:00.000Z';

class FakePublisher implements EventPublisher {
  readonly calls: {
    userId: string;
    event: HeraldEvent;
    options: { cacheConnectionsMs?: number } | undefined;
  }[] = [];
  failWith: Error | undefined;

  async publish(userId: string, event: HeraldEvent, options?: { cacheConnectionsMs?: number }) {
    this.calls.push({ userId, event, options });
    if (this.failWith) throw this.failWith;
    return { delivered: 1, gone: 0, failed: 0 };
  }
}

const progress: JobEvent = {
  type: 'job.progress',
  seq: 2,
  at,
  jobId: JOB,
  bytesRead: 1,
  bytesTotal: 2,
  rowsProcessed: 1,
  percent: 50,
  rowsPerSecond: 1,
  etaSeconds: 1,
};
const succeeded: JobEvent = {
  type: 'job.succeeded',
  seq: 3,
  at,
  jobId: JOB,
  rowsLoaded: 1,
  rowsRejected: 0,
  durationMs: 5,
};

describe('RealtimeNotifier', () => {
  it('publishes to the user, letting progress reuse the connection list but not terminal events', async () => {
    const publisher = new FakePublisher();
    const notifier = new RealtimeNotifier({ log: new RecordingLogger().logger, publisher: () => publisher });
    await notifier.notify('u-1', progress);
    await notifier.notify('u-1', succeeded);
    expect(publisher.calls).toEqual([
      { userId: 'u-1', event: progress, options: { cacheConnectionsMs: 2000 } },
      { userId: 'u-1', event: succeeded, options: undefined },
    ]);
  });

  it('never throws: a failing publisher (or one that cannot be built) is logged and reported lost', async () => {
    const logs = new RecordingLogger();
    const publisher = new FakePublisher();
    publisher.failWith = new Error('throttled');
    await expect(
      new RealtimeNotifier({ log: logs.logger, publisher: () => publisher }).notify('u-1', succeeded),
    ).resolves.toBe(false);
    const unbuildable = new RealtimeNotifier({
      log: logs.logger,
      publisher: () => {
        throw new Error('HERALD_CONNECTIONS_TABLE is required');
      },
    });
    await expect(unbuildable.notify('u-1', progress)).resolves.toBe(false);
    expect(logs.entries.map((e) => [e.message, e.type, e.seq])).toEqual([
      ['event not published', 'job.succeeded', 3],
      ['event not published', 'job.progress', 2],
    ]);
  });
});
