import { noMetrics } from '@herald/runtime';
import { FakeClock } from '../../../runtime/tests/support/fake-clock.ts';
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import type { IngestDeps } from '../../src/compose.ts';
import { staticDatasetCatalog } from '../../src/datasets/catalog.ts';
import type { DatasetDefinition } from '../../src/datasets/types.ts';
import type { DatasetCatalog } from '../../src/ports.ts';
import { InMemoryJobStore } from './in-memory-job-store.ts';
import {
  InMemoryMultipartStore,
  InMemoryMultipartUploads,
  RecordingCompletionQueue,
} from './in-memory-multipart.ts';
import { InMemoryObjectStore } from './in-memory-object-store.ts';
import { RecordingNotifier } from './recording-notifier.ts';

/** Two small datasets for unit tests (the samples live in `herald.datasets.json`). */
export const TEST_DATASETS: readonly DatasetDefinition[] = [
  {
    name: 'transactions',
    table: 'transactions',
    columns: [
      { name: 'transaction_id', type: { kind: 'uuid' }, required: true },
      { name: 'amount', type: { kind: 'numeric', precision: 12, scale: 2 }, required: true },
    ],
    key: [],
    mode: 'append',
    maxRejects: 0,
    maxFileBytes: 10_000,
    uploadGroups: ['analysts', 'admins'],
  },
  {
    name: 'customers',
    table: 'customers',
    columns: [{ name: 'external_id', type: { kind: 'uuid' }, required: true }],
    key: ['external_id'],
    mode: 'upsert',
    maxRejects: 0,
    maxFileBytes: 5_000,
    uploadGroups: ['analysts'],
  },
];

export const testCatalog: DatasetCatalog = staticDatasetCatalog(TEST_DATASETS);

export const ALICE = '6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001';
export const BOB = '6f1c1f9e-3b1a-4c55-9d0e-b0b000000002';

/** A full set of in-memory deps, with handles on each fake for assertions. */
export function fakeDeps(now = '2026-01-15T09:00:00.000Z') {
  const clock = new FakeClock(now);
  const jobs = new InMemoryJobStore(clock);
  const objects = new InMemoryObjectStore();
  const notifier = new RecordingNotifier();
  // Completed multipart uploads land in the same bucket as single PUTs.
  const multipart = new InMemoryMultipartStore(objects);
  const completions = new RecordingCompletionQueue();
  const uploads = new InMemoryMultipartUploads(jobs);
  const logs = new RecordingLogger();
  let ids = 0;
  const deps: IngestDeps & { readonly completions: RecordingCompletionQueue } = {
    jobs,
    work: jobs,
    objects,
    multipart,
    uploads,
    completions,
    // The test datasets accept kilobytes; multipart tests pass their own threshold.
    multipartThresholdBytes: 16 * 1024 * 1024,
    notifier,
    datasets: testCatalog,
    clock,
    log: logs.logger,
    cors: { allowedOrigins: [] },
    metrics: noMetrics,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    uploadsBucket: objects.bucket,
    progress: { minIntervalMs: 250, percentStep: 5 },
    maxReceives: 3,
    workerTimeoutMs: 900_000,
  };
  return {
    deps,
    provide: () => deps,
    clock,
    jobs,
    objects,
    multipart,
    uploads,
    completions,
    notifier,
    logs,
  };
}
