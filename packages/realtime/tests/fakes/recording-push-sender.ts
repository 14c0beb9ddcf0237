import type { PushMessage, PushOutcome, PushSender } from '../../src/ports.ts';

/**
 * {@link PushSender} that records pushes. Tokens passed to `unregister` are reported invalid
 * (as FCM reports an uninstalled app); `failNextWith` makes the next send reject.
 */
export class RecordingPushSender implements PushSender {
  readonly sent: Array<{ userId: string; tokens: string[]; message: PushMessage }> = [];
  readonly #invalid = new Set<string>();
  #nextFailure: Error | undefined;

  unregister(token: string): this {
    this.#invalid.add(token);
    return this;
  }

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async send(userId: string, tokens: readonly string[], message: PushMessage): Promise<PushOutcome> {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
    this.sent.push({ userId, tokens: [...tokens], message });
    const invalidTokens = tokens.filter((t) => this.#invalid.has(t));
    return { sent: tokens.length - invalidTokens.length, invalidTokens };
  }
}
