/**
 * The units Herald's metrics use (CloudWatch's names).
 *
 * @example
 * const unit: MetricUnit = 'Milliseconds';
 */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Count/Second';

/**
 * Dimensions of one data point: few values each (an outcome, a dataset name), never a user or
 * job id — every distinct combination is a separate CloudWatch metric, billed as one.
 *
 * @example
 * const dimensions: MetricDimensions = { dataset: 'transactions', outcome: 'succeeded' };
 */
export type MetricDimensions = Readonly<Record<string, string>>;

/**
 * Where use cases record what they did (a port: the core stays free of Powertools). The
 * adapter buffers data points and writes them when the invocation ends (`flush`), which the
 * HTTP wrapper and the SQS batch loop do. Implementations never throw: metrics must not fail a
 * request or a job.
 *
 * @example
 * metrics.add('JobsFinished', 'Count', 1, { dataset, outcome: 'succeeded' });
 * metrics.addMetadata('jobId', jobId); // searchable in the log line, not a dimension
 */
export interface Metrics {
  /** Records one data point. */
  add(name: string, unit: MetricUnit, value: number, dimensions?: MetricDimensions): void;
  /** Context for this invocation's metrics (ids): kept in the log line, never a dimension. */
  addMetadata(key: string, value: string): void;
  /** Writes what was recorded since the last flush, and forgets it. */
  flush(): void;
}

/**
 * Metrics that go nowhere, for code paths that do not report any (and tests that do not look).
 *
 * @example
 * const deps = { ...otherDeps, metrics: noMetrics };
 */
export const noMetrics: Metrics = {
  add: () => {},
  addMetadata: () => {},
  flush: () => {},
};
