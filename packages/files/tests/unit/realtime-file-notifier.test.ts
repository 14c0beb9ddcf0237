import type { FileReadyEvent } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import { type FileEventPublisher, RealtimeFileNotifier } from '../../src/adapters/realtime-file-notifier.ts';

const event: FileReadyEvent = {
  type: 'file.ready',
  seq: 1,
  at: '2026-01-15T09:00:00.000Z',
  requestId: '00000000-0000-4000-8000-000000000001',
  path: 'reports/q3.csv',
  url: 'https://files.test/x?X-Amz-Signature=abc',
  expiresAt: '2026-01-15T09:05:00.000Z',
  size: 1,
  contentType: 'text/csv',
  fileName: 'q3.csv',
};

describe('RealtimeFileNotifier', () => {
  it('publishes file.ready to the user and never logs its URL', async () => {
    const calls: unknown[] = [];
    const publisher: FileEventPublisher = {
      publish: async (userId, published) => {
        calls.push({ userId, event: published });
        return { delivered: 0, gone: 0, failed: 0 };
      },
    };
    const logs = new RecordingLogger();
    await new RealtimeFileNotifier({ log: logs.logger, publisher: () => publisher }).fileReady('u-1', event);
    expect(calls).toEqual([{ userId: 'u-1', event }]);
    expect(logs.entries[0]).toMatchObject({ message: 'event published', fileRequestId: event.requestId });
    expect(logs.text).not.toContain('X-Amz-Signature');
  });

  it('never throws: a failing publisher (or one that cannot be built) is logged, without the URL', async () => {
    const logs = new RecordingLogger();
    const failing = new RealtimeFileNotifier({
      log: logs.logger,
      publisher: () => ({
        publish: async () => {
          throw new Error('throttled');
        },
      }),
    });
    await expect(failing.fileReady('u-1', event)).resolves.toBeUndefined();
    const unbuildable = new RealtimeFileNotifier({
      log: logs.logger,
      publisher: () => {
        throw new Error('HERALD_CONNECTIONS_TABLE is required');
      },
    });
    await expect(unbuildable.fileReady('u-1', event)).resolves.toBeUndefined();
    expect(logs.entries.map((e) => [e.level, e.message, e.fileRequestId])).toEqual([
      ['warn', 'event not published', event.requestId],
      ['warn', 'event not published', event.requestId],
    ]);
    expect(logs.text).not.toContain('X-Amz-Signature');
  });
});
