import type { FileReadyEvent } from '@herald/protocol';
import type { FileNotifier } from '../../src/ports.ts';

/** {@link FileNotifier} that records the `file.ready` events it was asked to send. */
export class RecordingFileNotifier implements FileNotifier {
  readonly sent: { userId: string; event: FileReadyEvent }[] = [];

  async fileReady(userId: string, event: FileReadyEvent): Promise<void> {
    this.sent.push({ userId, event: structuredClone(event) });
  }
}
