import { ConnectionGoneError, PostToConnectionError } from '../../src/errors.ts';
import type { ConnectionPoster } from '../../src/ports.ts';

type Script = Array<'ok' | 'gone' | 'throttle' | 'server-error' | 'forbidden'>;

/**
 * {@link ConnectionPoster} that records what it was asked to send. Connections answer `ok` by
 * default; `gone(id)` makes one answer 410, `script(id, [...])` scripts its next answers
 * (429 throttling, 5xx, 403). The real adapter's contract is pinned by its own unit tests.
 */
export class FakeConnectionPoster implements ConnectionPoster {
  /** Every attempt, in order (failed ones included). */
  readonly attempts: Array<{ connectionId: string; data: string }> = [];
  readonly #gone = new Set<string>();
  readonly #scripts = new Map<string, Script>();
  /** Highest number of posts in flight at once. */
  maxInFlight = 0;
  #inFlight = 0;
  /** Delay every post by this many ms (to observe concurrency). */
  delayMs = 0;

  gone(connectionId: string): this {
    this.#gone.add(connectionId);
    return this;
  }

  script(connectionId: string, answers: Script): this {
    this.#scripts.set(connectionId, [...answers]);
    return this;
  }

  /** What each connection received successfully, in order. */
  delivered(connectionId: string): string[] {
    return this.#delivered.get(connectionId) ?? [];
  }

  readonly #delivered = new Map<string, string[]>();

  async post(connectionId: string, data: string): Promise<void> {
    this.attempts.push({ connectionId, data });
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      const answer = this.#gone.has(connectionId)
        ? 'gone'
        : (this.#scripts.get(connectionId)?.shift() ?? 'ok');
      switch (answer) {
        case 'ok':
          this.#delivered.set(connectionId, [...this.delivered(connectionId), data]);
          return;
        case 'gone':
          throw new ConnectionGoneError(connectionId);
        case 'throttle':
          throw new PostToConnectionError(connectionId, 'throttled', { retryable: true, statusCode: 429 });
        case 'server-error':
          throw new PostToConnectionError(connectionId, 'internal', { retryable: true, statusCode: 500 });
        case 'forbidden':
          throw new PostToConnectionError(connectionId, 'forbidden', { retryable: false, statusCode: 403 });
      }
    } finally {
      this.#inFlight--;
    }
  }
}
