import { describe, expect, it } from 'vitest';
import type { PushMessage, PushSender } from '../../src/ports.ts';

/** How the provider behind a sender answers, per token. */
export interface PushScript {
  /** Tokens answered `messaging/registration-token-not-registered`. */
  readonly unregistered: readonly string[];
  /** Tokens answered `messaging/invalid-registration-token`. */
  readonly invalid: readonly string[];
  /** Tokens answered with a transient per-token error (`messaging/internal-error`): kept. */
  readonly transient: readonly string[];
}

/**
 * The behaviour every {@link PushSender} must have.
 *
 * @param make builds a sender whose provider answers per `script`, and a way to read what it
 *   was asked to deliver.
 */
export function describePushSenderContract(
  name: string,
  make: (script: PushScript) => Promise<{ sender: PushSender; delivered: () => Promise<string[]> }>,
): void {
  const message: PushMessage = {
    notification: { title: 'Import finished', body: '20 rows loaded.' },
    data: { type: 'job.succeeded', jobId: 'j-1', seq: '2' },
  };

  describe(`PushSender contract: ${name}`, () => {
    it('sends to every token and counts the accepted ones', async () => {
      const { sender, delivered } = await make({ unregistered: [], invalid: [], transient: [] });
      expect(await sender.send('user-a', ['t1', 't2'], message)).toEqual({ sent: 2, invalidTokens: [] });
      expect((await delivered()).sort()).toEqual(['t1', 't2']);
    });

    it('reports unregistered and invalid tokens for removal, and keeps transient failures', async () => {
      const script = { unregistered: ['gone'], invalid: ['bogus'], transient: ['busy'] };
      const { sender } = await make(script);
      const outcome = await sender.send('user-a', ['ok', 'gone', 'busy', 'bogus'], message);
      expect(outcome.sent).toBe(1);
      expect([...outcome.invalidTokens].sort()).toEqual(['bogus', 'gone']);
    });

    it('does nothing for no tokens', async () => {
      const { sender, delivered } = await make({ unregistered: [], invalid: [], transient: [] });
      expect(await sender.send('user-a', [], message)).toEqual({ sent: 0, invalidTokens: [] });
      expect(await delivered()).toEqual([]);
    });
  });
}
