import { createJsonLogger } from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import { describe, expect, it } from 'vitest';
import { emfPoints, printedEmf } from '../../../runtime/tests/support/emf.ts';
import { makeSqsIngestHandler } from '../../src/handlers/sqs-ingest.ts';
import { ALICE, fakeDeps } from '../fakes/fake-deps.ts';
import { lineLoader } from '../fakes/in-memory-job-store.ts';

// What the handlers print for CloudWatch (EMF) through the real adapter: each flushes its
// invocation's metrics at the end (the SQS batch loop, the REST wrapper).
const emf = (service: string) => new EmfMetrics({ service, log: createJsonLogger({}, () => {}) });
const points = async (run: () => unknown) =>
  emfPoints(await printedEmf(run)).map(({ namespace, name, unit, value, dimensions }) => ({
    namespace,
    name,
    unit,
    value,
    dimensions,
  }));

async function uploadedJob(f: ReturnType<typeof fakeDeps>, text: string) {
  const jobId = f.deps.newId();
  const key = `uploads/${ALICE}/${jobId}.csv`;
  await f.jobs.create({
    jobId,
    userId: ALICE,
    dataset: 'transactions',
    fileName: 'may.csv',
    sizeBytes: new TextEncoder().encode(text).byteLength,
    objectKey: key,
  });
  f.objects.upload(key, text);
  const body = JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: f.objects.bucket }, object: { key, size: 1 } },
      },
    ],
  });
  return {
    jobId,
    sqs: { Records: [{ messageId: 'm-1', body, attributes: { ApproximateReceiveCount: '1' } }] },
  };
}

const rows = (n: number, extra: string[] = []) =>
  ['transaction_id,amount', ...Array.from({ length: n }, (_, i) => `r-${i},${i}.50`), ...extra, ''].join(
    '\n',
  );

describe('job metrics (EMF)', () => {
  it('a finished job: count by dataset and outcome, rows, duration and rows/s; the job id as metadata only', async () => {
    const f = fakeDeps();
    f.jobs.loader = lineLoader(() => f.clock.advance(50));
    const deps = { ...f.deps, metrics: emf('herald-ingest') };
    const { jobId, sqs } = await uploadedJob(f, rows(40));
    const docs = await printedEmf(() => makeSqsIngestHandler(() => deps)(sqs));
    const dataset = { service: 'herald-ingest', dataset: 'transactions' };
    expect(emfPoints(docs).map(({ name, unit, dimensions }) => ({ name, unit, dimensions }))).toEqual([
      { name: 'JobsFinished', unit: 'Count', dimensions: { ...dataset, outcome: 'succeeded' } },
      { name: 'RowsLoaded', unit: 'Count', dimensions: dataset },
      { name: 'RowsRejected', unit: 'Count', dimensions: dataset },
      { name: 'JobDuration', unit: 'Milliseconds', dimensions: dataset },
      { name: 'RowsPerSecond', unit: 'Count/Second', dimensions: dataset },
    ]);
    const values = Object.fromEntries(emfPoints(docs).map((p) => [p.name, p.value]));
    expect(values).toMatchObject({ JobsFinished: 1, RowsLoaded: 40, RowsRejected: 0 });
    expect(values.JobDuration).toBeGreaterThan(0); // the load advanced the fake clock
    expect(values.RowsPerSecond).toBe(Math.round(40 / ((values.JobDuration as number) / 1000)));
    expect(docs.every((doc) => doc.jobId === jobId && doc.userId === undefined)).toBe(true);
    expect(
      docs.flatMap((doc) => doc._aws.CloudWatchMetrics.flatMap((b) => b.Dimensions.flat())),
    ).not.toContain('jobId');
  });

  it('a job failed on refused data: counted as failed with its rejected rows, no duration', async () => {
    const f = fakeDeps();
    const deps = { ...f.deps, metrics: emf('herald-ingest') };
    const { sqs } = await uploadedJob(f, rows(3, ['!bad']));
    const got = await points(() => makeSqsIngestHandler(() => deps)(sqs));
    const dataset = { service: 'herald-ingest', dataset: 'transactions' };
    expect(got).toEqual([
      {
        namespace: 'Herald',
        name: 'JobsFinished',
        unit: 'Count',
        value: 1,
        dimensions: { ...dataset, outcome: 'failed' },
      },
      { namespace: 'Herald', name: 'RowsLoaded', unit: 'Count', value: 0, dimensions: dataset },
      { namespace: 'Herald', name: 'RowsRejected', unit: 'Count', value: 1, dimensions: dataset },
    ]);
  });
});
