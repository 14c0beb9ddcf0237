import { isRetryable } from '@herald/runtime';
import type { BatchResponse, MulticastMessage } from 'firebase-admin/messaging';
import { PushError } from '../errors.ts';
import type { PushMessage, PushOutcome, PushSender } from '../ports.ts';

/** The part of firebase-admin's `Messaging` this adapter calls: tests pass a fake of exactly this. */
export interface MulticastMessaging {
  sendEachForMulticast(message: MulticastMessage, dryRun?: boolean): Promise<BatchResponse>;
}

/** Options of {@link FcmPushSender}. */
export interface FcmPushSenderOptions {
  /**
   * firebase-admin's `Messaging`, or a function resolving it at the first push
   * (`compose/publisher.ts` runs firebase-admin's module code then: most invocations never push,
   * and it is slow to evaluate).
   */
  readonly messaging: MulticastMessaging | (() => Promise<MulticastMessaging>);
}

/**
 * FCM answers these for a token that will never work again: the app was uninstalled or the
 * token rotated (`registration-token-not-registered`, HTTP 404 UNREGISTERED), or it is not a
 * token at all (`invalid-registration-token`). Such tokens are removed; others are kept.
 * https://firebase.google.com/docs/cloud-messaging/manage-tokens#detect-invalid-token-responses-from-the-fcm-backend
 */
export const PRUNABLE_FCM_ERROR_CODES: readonly string[] = [
  'messaging/registration-token-not-registered',
  'messaging/invalid-registration-token',
];

/** Whole-call failures worth retrying later. */
const RETRYABLE_CODES = new Set([
  'messaging/unavailable',
  'messaging/server-unavailable',
  'messaging/internal-error',
  'messaging/message-rate-exceeded',
  'app/network-error',
  'app/network-timeout',
]);

/** `sendEachForMulticast` takes at most this many tokens per call. */
const MAX_TOKENS_PER_CALL = 500;

/**
 * {@link PushSender} on Firebase Cloud Messaging, through firebase-admin's
 * `sendEachForMulticast`: a notification (what the device shows) plus a string-only data
 * payload (what the app reads). Tokens FCM reports unregistered or invalid come back in
 * `invalidTokens` for the caller to remove.
 *
 * @example
 * const sender = new FcmPushSender({ messaging: getMessaging(app) });
 * const { sent, invalidTokens } = await sender.send(userId, tokens, pushMessageFor(event));
 */
export class FcmPushSender implements PushSender {
  readonly #resolve: () => Promise<MulticastMessaging>;
  #messaging: Promise<MulticastMessaging> | undefined;

  constructor(options: FcmPushSenderOptions) {
    const { messaging } = options;
    this.#resolve = typeof messaging === 'function' ? messaging : async () => messaging;
  }

  async send(_userId: string, tokens: readonly string[], message: PushMessage): Promise<PushOutcome> {
    if (tokens.length === 0) return { sent: 0, invalidTokens: [] };
    const messaging = await this.#getMessaging();
    let sent = 0;
    const invalidTokens: string[] = [];
    for (let start = 0; start < tokens.length; start += MAX_TOKENS_PER_CALL) {
      const chunk = tokens.slice(start, start + MAX_TOKENS_PER_CALL);
      let response: BatchResponse;
      try {
        response = await messaging.sendEachForMulticast({
          tokens: chunk,
          notification: { title: message.notification.title, body: message.notification.body },
          data: { ...message.data },
          // Deliver now, waking the device: these are results the user is waiting for.
          android: { priority: 'high' },
          apns: { headers: { 'apns-priority': '10' } },
        });
      } catch (error) {
        const code = errorCode(error);
        throw new PushError(`FCM multicast failed (${code ?? 'unknown error'})`, {
          cause: error,
          retryable: code !== undefined && RETRYABLE_CODES.has(code),
        });
      }
      sent += response.successCount;
      response.responses.forEach((result, index) => {
        const code = result.success ? undefined : errorCode(result.error);
        if (code !== undefined && PRUNABLE_FCM_ERROR_CODES.includes(code))
          invalidTokens.push(chunk[index] as string);
      });
    }
    return { sent, invalidTokens };
  }

  #getMessaging(): Promise<MulticastMessaging> {
    this.#messaging ??= this.#resolve().catch((error: unknown) => {
      this.#messaging = undefined; // let the next push try again
      // Retryable when the credentials source may answer later (e.g. the secrets extension).
      const retryable = isRetryable(error);
      throw new PushError('FCM could not be initialised', { cause: error, retryable });
    });
    return this.#messaging;
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
