import { randomUUID } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type JobEvent, JobEventSchema } from '@herald/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildDeps, type IngestDeps } from '../../src/compose.ts';
import { loadConfig } from '../../src/config.ts';
import { makeSqsIngestHandler } from '../../src/handlers/sqs-ingest.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { DEV_USERS, stack, transactionsCsv } from './support.ts';

// The worker handler in this process with the real adapters (PostgreSQL, s3rver, the real load
// engine) and a recording notifier, driven with hand-made SQS deliveries: duplicates,
// concurrency and event order are exact here. Objects go to the FILES bucket, which no local
// queue listens to, so the stack's own worker never races these tests.

const { postgres, s3 } = stack();
const bucket = s3.buckets.files;
const notifier = new RecordingNotifier();
let deps: IngestDeps;
const s3Client = new S3Client({
  region: 'us-east-1',
  endpoint: s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const db = new pg.Client({ connectionString: postgres.connectionString });

beforeAll(async () => {
  // s3rver knows one access key; the SDK's default chain reads it from the environment.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    HERALD_DATABASE_URL: postgres.connectionString,
    HERALD_UPLOADS_BUCKET: bucket,
    HERALD_S3_ENDPOINT: s3.endpoint,
    HERALD_PROGRESS_INTERVAL_MS: '0',
    HERALD_LOG_LEVEL: 'error',
  });
  deps = { ...buildDeps(config), notifier };
  await db.connect();
});
afterAll(async () => {
  await deps.close?.();
  await db.end();
  s3Client.destroy();
  vi.unstubAllEnvs();
});

async function stage(rows: number): Promise<{ jobId: string; key: string; body: string }> {
  const jobId = randomUUID();
  const key = `uploads/${DEV_USERS.alice}/${jobId}.csv`;
  const { text } = transactionsCsv(rows);
  await deps.jobs.create({
    jobId,
    userId: DEV_USERS.alice,
    dataset: 'transactions',
    fileName: 'w.csv',
    sizeBytes: Buffer.byteLength(text),
    objectKey: key,
  });
  await s3Client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'text/csv' }),
  );
  const body = JSON.stringify({
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key, size: Buffer.byteLength(text) } },
      },
    ],
  });
  return { jobId, key, body };
}

const delivery = (body: string, messageId: string, receiveCount = 1) => ({
  Records: [{ messageId, body, attributes: { ApproximateReceiveCount: String(receiveCount) } }],
});

async function rowsOf(jobId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM transactions WHERE _job_id = $1',
    [jobId],
  );
  return rows[0]?.n ?? 0;
}

const eventsOf = (jobId: string): JobEvent[] => notifier.eventsOf(jobId);

describe('sqs-ingest worker on PostgreSQL and S3', () => {
  it('sends queued, progress and succeeded, in order, seq increasing, terminal after commit', async () => {
    const { jobId, body } = await stage(20_000);
    const handler = makeSqsIngestHandler(() => deps);
    expect(await handler(delivery(body, 'm-1'))).toEqual({ batchItemFailures: [] });
    expect(await rowsOf(jobId)).toBe(20_000);
    const events = eventsOf(jobId);
    for (const event of events) expect(JobEventSchema.safeParse(event).success).toBe(true);
    expect(events[0]?.type).toBe('job.queued');
    expect(events.at(-1)).toMatchObject({ type: 'job.succeeded', rowsLoaded: 20_000 });
    expect(events.filter((e) => e.type === 'job.progress').length).toBeGreaterThan(0);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('loads once when the same S3 event is delivered three times at once', async () => {
    const { jobId, body } = await stage(5_000);
    const handler = makeSqsIngestHandler(() => deps);
    let pending = ['a', 'b', 'c'];
    for (let receive = 1; pending.length > 0 && receive <= 3; receive++) {
      const results = await Promise.all(pending.map((id) => handler(delivery(body, id, receive))));
      pending = results.flatMap((r) => r.batchItemFailures.map((f) => f.itemIdentifier));
    }
    expect(pending).toEqual([]);
    expect(await rowsOf(jobId)).toBe(5_000);
    expect(eventsOf(jobId).filter((e) => e.type === 'job.succeeded')).toHaveLength(1);
    const { rows } = await db.query('SELECT state, rows_loaded FROM ingest_jobs WHERE job_id = $1', [jobId]);
    expect(rows[0]).toEqual({ state: 'succeeded', rows_loaded: '5000' });
  });
});
