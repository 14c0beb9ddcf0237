import { PushError } from '../errors.ts';
import type { PushMessage, PushOutcome, PushSender } from '../ports.ts';
import { PRUNABLE_FCM_ERROR_CODES } from './fcm-push-sender.ts';

/** Options of {@link OutboxPushSender}. */
export interface OutboxPushSenderOptions {
  /** The outbox's push URL (`HERALD_PUSH_OUTBOX_URL`), e.g. `http://127.0.0.1:PORT/_local/pushes`. */
  readonly url: string;
  /** @default 5000 */
  readonly timeoutMs?: number;
  /** @default the platform `fetch` */
  readonly fetch?: typeof fetch;
}

/** One per-token result, shaped like firebase-admin's `SendResponse`. */
interface OutboxResult {
  readonly success?: unknown;
  readonly error?: { readonly code?: unknown } | null;
}

/**
 * {@link PushSender} that hands pushes to an HTTP push outbox instead of FCM: the local stack's
 * stand-in (`packages/local`, `POST /_local/pushes`), since FCM has no emulator and its host is
 * fixed in firebase-admin. The outbox answers per token like `sendEachForMulticast` (`responses`
 * with `success` / `error.code`), and this adapter reads it exactly as {@link FcmPushSender}
 * reads FCM, so token pruning works the same way. Chosen by configuration, not by a "local" flag.
 *
 * @example
 * const sender = new OutboxPushSender({ url: 'http://127.0.0.1:4010/_local/pushes' });
 */
export class OutboxPushSender implements PushSender {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: OutboxPushSenderOptions) {
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#fetch = options.fetch ?? fetch;
  }

  async send(userId: string, tokens: readonly string[], message: PushMessage): Promise<PushOutcome> {
    if (tokens.length === 0) return { sent: 0, invalidTokens: [] };
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId, tokens, notification: message.notification, data: message.data }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new PushError('push outbox unreachable', { cause: error, retryable: true });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new PushError(`push outbox answered HTTP ${response.status}`, {
        retryable: response.status >= 500,
      });
    }
    const body = (await response.json().catch(() => undefined)) as { responses?: unknown } | undefined;
    const results = Array.isArray(body?.responses) ? (body.responses as OutboxResult[]) : undefined;
    if (results === undefined || results.length !== tokens.length) {
      throw new PushError('push outbox answered without one result per token');
    }
    let sent = 0;
    const invalidTokens: string[] = [];
    results.forEach((result, index) => {
      if (result.success === true) sent++;
      else if (
        typeof result.error?.code === 'string' &&
        PRUNABLE_FCM_ERROR_CODES.includes(result.error.code)
      ) {
        invalidTokens.push(tokens[index] as string);
      }
    });
    return { sent, invalidTokens };
  }
}
