import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJsonLogger } from '../../src/log.ts';
import { EmfMetrics, METRICS_NAMESPACE } from '../../src/metrics-emf.ts';
import { printedEmf } from '../support/emf.ts';

afterEach(() => vi.unstubAllEnvs());

describe('EmfMetrics', () => {
  it('prints one EMF document per dimension set at flush, in the Herald namespace with the service', async () => {
    const metrics = new EmfMetrics({ service: 'herald-test', log: createJsonLogger({}, () => {}) });
    const docs = await printedEmf(() => {
      metrics.add('JobsFinished', 'Count', 1, { outcome: 'succeeded', dataset: 'transactions' });
      metrics.add('JobDuration', 'Milliseconds', 250, { dataset: 'transactions' });
      metrics.add('RowsPerSecond', 'Count/Second', 4000, { dataset: 'transactions' });
      metrics.addMetadata('jobId', 'j-1');
      expect(metrics).toBeDefined(); // nothing is printed before the flush
    });
    expect(docs).toEqual([]);
    const flushed = await printedEmf(() => metrics.flush());
    expect(METRICS_NAMESPACE).toBe('Herald');
    expect(flushed).toHaveLength(2);
    const [jobs, rows] = flushed;
    expect(jobs).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'Herald',
            Dimensions: [['service', 'dataset', 'outcome']],
            Metrics: [{ Name: 'JobsFinished', Unit: 'Count' }],
          },
        ],
      },
      service: 'herald-test',
      dataset: 'transactions',
      outcome: 'succeeded',
      JobsFinished: 1,
      jobId: 'j-1',
    });
    expect(rows).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Dimensions: [['service', 'dataset']],
            Metrics: [
              { Name: 'JobDuration', Unit: 'Milliseconds' },
              { Name: 'RowsPerSecond', Unit: 'Count/Second' },
            ],
          },
        ],
      },
      JobDuration: 250,
      RowsPerSecond: 4000,
    });
    expect(await printedEmf(() => metrics.flush())).toEqual([]); // flushed means forgotten
  });

  it('never throws into the caller: a point it cannot record is logged and dropped', async () => {
    const lines: string[] = [];
    const metrics = new EmfMetrics({
      service: 'herald-test',
      log: createJsonLogger({}, (l) => lines.push(l)),
    });
    expect(() => metrics.add('', 'Count', 1)).not.toThrow();
    expect(() => metrics.add('Bad', 'Count', Number.NaN)).not.toThrow();
    expect(() => metrics.add('Bad', 'Parsecs' as 'Count', 1)).not.toThrow();
    expect(await printedEmf(() => metrics.flush())).toEqual([]);
    expect(lines.map((l) => JSON.parse(l).message)).toEqual([
      'metric not recorded',
      'metric not recorded',
      'metric not recorded',
    ]);
  });

  it('prints nothing when POWERTOOLS_METRICS_DISABLED is set (the local stack), and still never throws', () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const metrics = new EmfMetrics({ service: 'herald-test', log: createJsonLogger({}, () => {}) });
    const written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(
      (() => {
        metrics.add('Deliveries', 'Count', 3, { outcome: 'delivered' });
        metrics.flush();
      })(),
    ).toBeUndefined();
    expect(written).not.toHaveBeenCalled();
    written.mockRestore();
  });
});
