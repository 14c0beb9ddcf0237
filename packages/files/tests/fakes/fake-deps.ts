import { noMetrics } from '@herald/runtime';
import { FakeClock } from '../../../runtime/tests/support/fake-clock.ts';
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import type { DeliveryDeps } from '../../src/compose.ts';
import { DEFAULT_SRVGW_RETRY } from '../../src/core/file-backoff.ts';
import { DEFAULT_ALLOWED_CONTENT_TYPES } from '../../src/core/file-content-type.ts';
import type { FileDeliverySettings } from '../../src/core/file-fetch.ts';
import { FakeSrvGw } from './fake-srvgw.ts';
import { InMemoryFileStore } from './in-memory-file-store.ts';
import { InMemoryGrantStore } from './in-memory-grant-store.ts';
import { RecordingFetchQueue } from './recording-fetch-queue.ts';
import { RecordingFileNotifier } from './recording-file-notifier.ts';

export const DEFAULT_TEST_DELIVERY: FileDeliverySettings = {
  maxBytes: 1000,
  allowedContentTypes: DEFAULT_ALLOWED_CONTENT_TYPES,
  linkTtlSeconds: 300,
  budgetMs: 20_000,
  cacheMaxAgeMs: 0,
  retry: DEFAULT_SRVGW_RETRY,
};

/** The `sub` of the dev users alice and bob (`packages/local/src/identity.ts`). */
export const ALICE = '6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001';
export const BOB = '6f1c1f9e-3b1a-4c55-9d0e-b0b000000002';

/**
 * The package's deps on in-memory fakes (what delivery needs, a superset of what the admin routes
 * need), with handles on each fake for assertions.
 */
export function fakeDeps(options: { delivery?: Partial<FileDeliverySettings>; now?: string } = {}) {
  const clock = new FakeClock(options.now ?? '2026-01-15T09:00:00.000Z');
  const grants = new InMemoryGrantStore(clock);
  const files = new InMemoryFileStore(() => clock.now());
  const srvgw = new FakeSrvGw();
  const queue = new RecordingFetchQueue();
  const notifier = new RecordingFileNotifier();
  const logs = new RecordingLogger();
  const sleeps: number[] = [];
  let ids = 0;
  const deps: DeliveryDeps = {
    grants,
    files,
    // Without a distribution the files bucket presigns its own links (the fallback).
    links: files,
    source: srvgw,
    fetchQueue: queue,
    notifier,
    clock,
    log: logs.logger,
    cors: { allowedOrigins: [] },
    metrics: noMetrics,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    delivery: { ...DEFAULT_TEST_DELIVERY, ...options.delivery },
    // The top of each jitter range, so delays are predictable.
    random: () => 0.999,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
    maxReceives: 3,
    workerTimeoutMs: 300_000,
  };
  return { deps, provide: () => deps, clock, grants, files, srvgw, queue, notifier, logs, sleeps };
}
