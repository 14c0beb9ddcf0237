import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from './log.ts';
import type { MetricDimensions, Metrics, MetricUnit } from './metrics.ts';

/** Herald's CloudWatch namespace: every service's metrics live under it, told apart by `service`. */
export const METRICS_NAMESPACE = 'Herald';

/**
 * Options of {@link EmfMetrics}.
 *
 * @example
 * const options: EmfMetricsOptions = { service: 'herald-ingest', log };
 */
export interface EmfMetricsOptions {
  /** The `service` dimension of every data point (e.g. `herald-ingest`). */
  readonly service: string;
  /** Where a data point that cannot be recorded or a failed flush is reported (never thrown). */
  readonly log: Logger;
  /** @default METRICS_NAMESPACE */
  readonly namespace?: string;
}

/**
 * {@link Metrics} in CloudWatch Embedded Metric Format through Powertools: `flush()` prints one
 * EMF JSON line per dimension set to stdout, which CloudWatch Logs turns into metrics (no API
 * call, no latency). One EMF document holds one list of dimension sets for all its values, so
 * points with different dimensions go to different Powertools instances, kept per set. Nothing
 * here throws into the caller: a failure is logged at `warn` and the data point dropped.
 * `POWERTOOLS_METRICS_DISABLED=true` silences the output (the local stack sets it).
 *
 * @example
 * const metrics = new EmfMetrics({ service: 'herald-ingest', log }); // in compose.ts
 * metrics.add('RowsLoaded', 'Count', 1200, { dataset: 'transactions' });
 * metrics.flush(); // the HTTP wrapper and the SQS batch loop do this per invocation
 */
export class EmfMetrics implements Metrics {
  readonly #options: EmfMetricsOptions;
  readonly #sets = new Map<string, PowertoolsMetrics>();
  readonly #metadata = new Map<string, string>();

  constructor(options: EmfMetricsOptions) {
    this.#options = options;
  }

  add(name: string, unit: MetricUnit, value: number, dimensions: MetricDimensions = {}): void {
    try {
      // Powertools takes NaN and Infinity, and EMF would carry them as null.
      if (!Number.isFinite(value)) throw new RangeError(`${name}: ${value} is not a finite number`);
      this.#set(dimensions).addMetric(name, unit, value);
    } catch (error) {
      this.#options.log.log('warn', 'metric not recorded', { metric: name, error });
    }
  }

  addMetadata(key: string, value: string): void {
    this.#metadata.set(key, value);
  }

  flush(): void {
    for (const set of this.#sets.values()) {
      try {
        if (!set.hasStoredMetrics()) continue;
        for (const [key, value] of this.#metadata) set.addMetadata(key, value);
        set.publishStoredMetrics();
      } catch (error) {
        set.clearMetrics();
        set.clearMetadata();
        this.#options.log.log('warn', 'metrics not flushed', { error });
      }
    }
    this.#metadata.clear();
  }

  #set(dimensions: MetricDimensions): PowertoolsMetrics {
    const sorted = Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b));
    const key = JSON.stringify(sorted);
    let set = this.#sets.get(key);
    if (set === undefined) {
      const log = this.#options.log;
      // Powertools reports its own warnings through this; EMF itself always goes to stdout.
      const say = (level: 'debug' | 'info' | 'warn' | 'error') => (message: unknown) =>
        log.log(level, `metrics: ${String(message)}`);
      set = new PowertoolsMetrics({
        namespace: this.#options.namespace ?? METRICS_NAMESPACE,
        serviceName: this.#options.service,
        defaultDimensions: Object.fromEntries(sorted),
        logger: { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') },
      });
      this.#sets.set(key, set);
    }
    return set;
  }
}
