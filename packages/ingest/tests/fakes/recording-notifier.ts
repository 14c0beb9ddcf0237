import type { JobEvent } from '@herald/protocol';
import type { Notifier } from '../../src/ports.ts';

/** {@link Notifier} that records what it was asked to send; can be made slow or failing. */
export class RecordingNotifier implements Notifier {
  readonly sent: { userId: string; event: JobEvent }[] = [];
  /** When set, every notify rejects with it (the port says never; the stream must cope anyway). */
  failWith: Error | undefined;
  /** Each notify waits for this before resolving (to model a slow publisher). */
  gate: Promise<void> | undefined;
  /** When true, every notify reports the event lost (a publisher outage, as the real one reports it). */
  lose = false;

  async notify(userId: string, event: JobEvent): Promise<boolean> {
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    if (this.lose) return false;
    this.sent.push({ userId, event: structuredClone(event) });
    return true;
  }

  /** The events sent for one job, in order. */
  eventsOf(jobId: string): JobEvent[] {
    return this.sent.filter((s) => s.event.jobId === jobId).map((s) => s.event);
  }
}
