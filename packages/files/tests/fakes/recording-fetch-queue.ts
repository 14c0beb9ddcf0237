import type { FileFetchMessage } from '../../src/core/file-fetch-message.ts';
import type { FetchQueue } from '../../src/ports.ts';

/** {@link FetchQueue} that records what was enqueued; can be made to fail. */
export class RecordingFetchQueue implements FetchQueue {
  readonly messages: FileFetchMessage[] = [];
  failWith: Error | undefined;

  async enqueue(message: FileFetchMessage): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.messages.push(structuredClone(message));
  }
}
