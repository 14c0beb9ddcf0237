import type { HeraldEvent, JobEvent } from '@herald/protocol';
import { getPublisher } from '@herald/realtime/publisher';
import { errorFields, type Logger, type Metrics } from '@herald/runtime';
import type { Notifier } from '../ports.ts';

/** The part of the realtime package's publisher this adapter uses. */
export interface EventPublisher {
  publish(
    userId: string,
    event: HeraldEvent,
    options?: { cacheConnectionsMs?: number },
  ): Promise<{ delivered: number; gone: number; failed: number }>;
}

export interface RealtimeNotifierOptions {
  readonly log: Logger;
  /** The host's metrics: the publisher records deliveries and pushes there (flushed by the host). */
  readonly metrics?: Metrics;
  /**
   * Supplies the publisher at the first event (default: the realtime package's `getPublisher`,
   * which reads the realtime env config). Lazy, so the ingest REST handlers never need it.
   */
  readonly publisher?: () => EventPublisher;
  /**
   * How long the publisher may reuse a user's connection list for `job.progress` events
   * (a few per second would otherwise query the connections table each time). Terminal
   * events always look connections up afresh: they fall back to a push when none is open.
   * Default 2000 ms.
   */
  readonly progressConnectionCacheMs?: number;
}

/**
 * {@link Notifier} (job events) over the realtime publisher (WebSocket fan-out, FCM fallback
 * for terminal events). Never throws: a lost event must not fail a job, so failures are logged
 * and dropped; clients recover through `seq` + resume and the REST state.
 *
 * @example
 * const notifier = new RealtimeNotifier({ log });
 * await notifier.notify(userId, { type: 'job.queued', seq: 1, at, jobId, dataset: 'transactions' });
 */
export class RealtimeNotifier implements Notifier {
  readonly #log: Logger;
  readonly #publisher: () => EventPublisher;
  readonly #progressCacheMs: number;

  constructor(options: RealtimeNotifierOptions) {
    this.#log = options.log;
    const metrics = options.metrics;
    this.#publisher = options.publisher ?? (() => getPublisher(metrics === undefined ? {} : { metrics }));
    this.#progressCacheMs = options.progressConnectionCacheMs ?? 2000;
  }

  async notify(userId: string, event: JobEvent): Promise<boolean> {
    const options = event.type === 'job.progress' ? { cacheConnectionsMs: this.#progressCacheMs } : undefined;
    const fields = { jobId: event.jobId, type: event.type, seq: event.seq };
    try {
      const result = await this.#publisher().publish(userId, event, options);
      this.#log.log('debug', 'event published', { ...fields, ...result });
      return true;
    } catch (error) {
      this.#log.log('warn', 'event not published', { ...fields, error: errorFields(error) });
      return false;
    }
  }
}
