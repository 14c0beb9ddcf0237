import type { JobEvent } from '@herald/protocol';
import type { JobEventLog, JobLogHead, LoggedJobEvent } from '../../src/ports.ts';

/** In-memory {@link JobEventLog}: first write of a (jobId, seq) wins; reads filter expired items. */
export class InMemoryJobEventLog implements JobEventLog {
  readonly #items = new Map<string, Map<number, { userId: string; event: JobEvent; expiresAt: number }>>();
  #nextFailure: Error | undefined;

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async append(userId: string, event: JobEvent, expiresAt: number): Promise<'appended' | 'duplicate'> {
    this.#throwIfFailing();
    const job = this.#items.get(event.jobId) ?? new Map();
    this.#items.set(event.jobId, job);
    if (job.has(event.seq)) return 'duplicate';
    job.set(event.seq, { userId, event: structuredClone(event), expiresAt });
    return 'appended';
  }

  async head(jobId: string, now: number): Promise<JobLogHead | undefined> {
    this.#throwIfFailing();
    const newest = this.#live(jobId, now).at(-1);
    return newest === undefined ? undefined : { userId: newest.userId, lastSeq: newest.event.seq };
  }

  async readAfter(jobId: string, afterSeq: number, now: number, limit: number): Promise<LoggedJobEvent[]> {
    this.#throwIfFailing();
    return this.#live(jobId, now)
      .filter((item) => item.event.seq > afterSeq)
      .slice(0, limit)
      .map(({ userId, event }) => ({ userId, event: structuredClone(event) }));
  }

  #live(jobId: string, now: number) {
    return [...(this.#items.get(jobId)?.values() ?? [])]
      .filter((item) => item.expiresAt * 1000 > now)
      .sort((a, b) => a.event.seq - b.event.seq);
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}
