import type { FileReadyEvent } from '@herald/protocol';
import { getPublisher } from '@herald/realtime/publisher';
import { errorFields, type Logger, type Metrics } from '@herald/runtime';
import type { FileNotifier } from '../ports.ts';

/**
 * The part of the realtime package's publisher this adapter uses.
 *
 * @example
 * const publisher: FileEventPublisher = getPublisher({ metrics });
 */
export interface FileEventPublisher {
  publish(
    userId: string,
    event: FileReadyEvent,
  ): Promise<{ delivered: number; gone: number; failed: number }>;
}

/**
 * Options of {@link RealtimeFileNotifier}.
 *
 * @example
 * const options: RealtimeFileNotifierOptions = { log, metrics };
 */
export interface RealtimeFileNotifierOptions {
  readonly log: Logger;
  /** The host's metrics: the publisher records deliveries and pushes there (flushed by the host). */
  readonly metrics?: Metrics;
  /**
   * Supplies the publisher at the first event (default: the realtime package's `getPublisher`,
   * which reads the realtime env config). Lazy, so the admin routes never need it.
   */
  readonly publisher?: () => FileEventPublisher;
}

/**
 * {@link FileNotifier} over the realtime publisher: `file.ready` goes to the user's open
 * WebSockets, or as an FCM push when none is open. Never throws: a lost event must not fail a
 * file request (the user has the link in the 200 answer, or asks again), so a failure is logged
 * and dropped. The presigned URL travels in the event and is never logged.
 *
 * @example
 * const notifier = new RealtimeFileNotifier({ log, metrics });
 * await notifier.fileReady(userId, { type: 'file.ready', seq: 1, at, requestId, path, ...link });
 */
export class RealtimeFileNotifier implements FileNotifier {
  readonly #log: Logger;
  readonly #publisher: () => FileEventPublisher;

  constructor(options: RealtimeFileNotifierOptions) {
    this.#log = options.log;
    const metrics = options.metrics;
    this.#publisher = options.publisher ?? (() => getPublisher(metrics === undefined ? {} : { metrics }));
  }

  async fileReady(userId: string, event: FileReadyEvent): Promise<void> {
    const fields = { fileRequestId: event.requestId, type: event.type, seq: event.seq };
    try {
      const result = await this.#publisher().publish(userId, event);
      this.#log.log('debug', 'event published', { ...fields, ...result });
    } catch (error) {
      this.#log.log('warn', 'event not published', { ...fields, error: errorFields(error) });
    }
  }
}
