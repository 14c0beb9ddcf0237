import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The local stand-in for FCM. There is no FCM emulator and its host is hard-coded in
 * firebase-admin, so locally the `PushSender` (realtime's `OutboxPushSender`, chosen by
 * `HERALD_PUSH_OUTBOX_URL`) hands pushes here over HTTP (`POST /_local/pushes`) instead of
 * sending them, and developers (and e2e tests) read them back at `GET /_local/pushes`.
 *
 * It keeps the checks `sendEachForMulticast` makes before sending (1–500 tokens, string-only
 * `data`), so code that works locally does not fail on them in AWS, and it answers per token
 * the way FCM does, so token pruning can be exercised locally: tokens starting with
 * {@link UNREGISTERED_TOKEN_PREFIX} or {@link INVALID_TOKEN_PREFIX} get FCM's error codes for an
 * uninstalled app or a malformed token.
 */

/** firebase-admin refuses a multicast with more tokens than this. */
const MAX_MULTICAST_TOKENS = 500;

/** A device token with this prefix is answered like an uninstalled app's token. */
export const UNREGISTERED_TOKEN_PREFIX = 'local-unregistered-';
/** A device token with this prefix is answered like a malformed token. */
export const INVALID_TOKEN_PREFIX = 'local-invalid-';

/** One per-token result, shaped like firebase-admin's `SendResponse` (the error reduced to its code). */
export type SendResult =
  | { readonly success: true; readonly messageId: string }
  | { readonly success: false; readonly error: { readonly code: string; readonly message: string } };

/** What `POST /_local/pushes` answers, shaped like firebase-admin's `BatchResponse`. */
export interface SendOutcome {
  readonly responses: readonly SendResult[];
  readonly successCount: number;
  readonly failureCount: number;
}

function tokenFailure(token: string): SendResult | undefined {
  if (token.startsWith(UNREGISTERED_TOKEN_PREFIX)) {
    return {
      success: false,
      error: {
        code: 'messaging/registration-token-not-registered',
        message: 'Requested entity was not found.',
      },
    };
  }
  if (token.startsWith(INVALID_TOKEN_PREFIX)) {
    return {
      success: false,
      error: {
        code: 'messaging/invalid-registration-token',
        message: 'The registration token is not valid.',
      },
    };
  }
  return undefined;
}

export interface PushInput {
  readonly userId: string;
  /** Device registration tokens, one FCM message each (as `sendEachForMulticast`). */
  readonly tokens: readonly string[];
  readonly notification: { readonly title: string; readonly body: string };
  /** FCM data payload: string values only. */
  readonly data?: Readonly<Record<string, string>>;
}

export interface RecordedPush {
  /** The outbox's own id for the push. */
  readonly id: string;
  readonly userId: string;
  readonly tokens: readonly string[];
  /** One per token, in token order, shaped like FCM's (`projects/<project>/messages/<id>`). */
  readonly messageIds: readonly string[];
  readonly notification: { readonly title: string; readonly body: string };
  readonly data: Readonly<Record<string, string>>;
  /** ISO 8601. */
  readonly recordedAt: string;
}

export interface PushOutboxOptions {
  /** Oldest pushes are dropped beyond this, so a long dev session cannot grow memory. @default 1000 */
  readonly maxEntries?: number;
  /** Shows in message ids. @default 'herald-local' */
  readonly projectId?: string;
}

export interface PushFilter {
  readonly userId?: string;
}

/**
 * Records pushes that would go to FCM.
 *
 * @example
 * const outbox = new PushOutbox();
 * outbox.record({ userId: 'u1', tokens: ['t1'], notification: { title: 'Done', body: 'Import finished' } });
 * outbox.list({ userId: 'u1' }); // [{ id, userId: 'u1', messageIds: [...], ... }]
 */
export class PushOutbox {
  readonly #maxEntries: number;
  readonly #projectId: string;
  #entries: RecordedPush[] = [];
  #counter = 0;

  constructor(options: PushOutboxOptions = {}) {
    const maxEntries = options.maxEntries ?? 1000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
    this.#projectId = options.projectId ?? 'herald-local';
  }

  /** Records one multicast and returns the per-token message ids (token order). */
  record(push: PushInput): readonly string[] {
    if (push.tokens.length === 0 || push.tokens.length > MAX_MULTICAST_TOKENS) {
      throw new RangeError(`tokens must hold 1 to ${MAX_MULTICAST_TOKENS} device tokens, as FCM requires`);
    }
    if (push.tokens.some((t) => typeof t !== 'string' || t === '')) {
      throw new TypeError('every device token must be a non-empty string');
    }
    const data = { ...push.data };
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string') throw new TypeError(`data.${key} must be a string, as FCM requires`);
    }
    const messageIds = push.tokens.map(
      () => `projects/${this.#projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}`,
    );
    this.#counter++;
    const entry: RecordedPush = Object.freeze({
      id: `push-${this.#counter}`,
      userId: push.userId,
      tokens: Object.freeze([...push.tokens]),
      messageIds: Object.freeze(messageIds),
      notification: Object.freeze({ title: push.notification.title, body: push.notification.body }),
      data: Object.freeze(data),
      recordedAt: new Date().toISOString(),
    });
    this.#entries.push(entry);
    if (this.#entries.length > this.#maxEntries) this.#entries = this.#entries.slice(-this.#maxEntries);
    return messageIds;
  }

  /**
   * Sends one multicast as FCM would: one result per token, in token order. Tokens FCM would
   * refuse (see {@link UNREGISTERED_TOKEN_PREFIX}, {@link INVALID_TOKEN_PREFIX}) fail with FCM's
   * error codes; the push is recorded for the others (not at all when none is accepted).
   * Throws, as `sendEachForMulticast` does, on 0 or more than 500 tokens or non-string data.
   */
  send(push: PushInput): SendOutcome {
    if (push.tokens.length === 0 || push.tokens.length > MAX_MULTICAST_TOKENS) {
      throw new RangeError(`tokens must hold 1 to ${MAX_MULTICAST_TOKENS} device tokens, as FCM requires`);
    }
    const failures = push.tokens.map((token) =>
      typeof token === 'string' ? tokenFailure(token) : undefined,
    );
    const accepted = push.tokens.filter((_, i) => failures[i] === undefined);
    const messageIds = accepted.length > 0 ? [...this.record({ ...push, tokens: accepted })] : [];
    const responses = failures.map(
      (failure): SendResult => failure ?? { success: true, messageId: messageIds.shift() as string },
    );
    return { responses, successCount: accepted.length, failureCount: push.tokens.length - accepted.length };
  }

  /** Recorded pushes, oldest first (newest last), optionally for one user. */
  list(filter: PushFilter = {}): readonly RecordedPush[] {
    const { userId } = filter;
    return userId === undefined ? [...this.#entries] : this.#entries.filter((p) => p.userId === userId);
  }

  clear(): void {
    this.#entries = [];
  }
}

const OUTBOX_PATH = '/_local/pushes';

/** A push request is a few hundred bytes; anything near this is not one. */
const MAX_POST_BYTES = 64 * 1024;

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

/** The body of `POST /_local/pushes`, checked field by field (the values are never echoed). */
function parsePushInput(body: unknown): PushInput | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body must be a JSON object';
  const { userId, tokens, notification, data } = body as Record<string, unknown>;
  if (typeof userId !== 'string' || userId === '') return 'userId must be a non-empty string';
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string' || t === '')) {
    return 'tokens must be an array of non-empty strings';
  }
  const n = notification as Record<string, unknown> | null | undefined;
  if (typeof n !== 'object' || n === null || typeof n.title !== 'string' || typeof n.body !== 'string') {
    return 'notification must be {title, body} strings';
  }
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    return 'data must be an object of strings';
  }
  return {
    userId,
    tokens: tokens as string[],
    notification: { title: n.title, body: n.body },
    ...(data !== undefined && { data: data as Record<string, string> }),
  };
}

async function readJson(
  req: IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; status: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining an oversize body, so the client reads our 413 rather than a reset.
    if (size <= MAX_POST_BYTES) chunks.push(chunk);
  }
  if (size > MAX_POST_BYTES) return { ok: false, status: 413 };
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400 };
  }
}

async function handlePost(outbox: PushOutbox, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const read = await readJson(req);
  if (!read.ok) {
    const message = read.status === 413 ? `the body exceeds ${MAX_POST_BYTES} bytes` : 'the body is not JSON';
    json(res, read.status, { error: read.status === 413 ? 'payload_too_large' : 'bad_request', message });
    return;
  }
  const input = parsePushInput(read.value);
  if (typeof input === 'string') {
    json(res, 400, { error: 'bad_request', message: input });
    return;
  }
  try {
    json(res, 200, outbox.send(input));
  } catch (error) {
    // What firebase-admin refuses before sending (token count, non-string data): a caller bug.
    json(res, 400, { error: 'bad_request', message: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Serves the outbox under `/_local/pushes`:
 * - `GET /_local/pushes[?userId=...]`: recorded pushes as a JSON array (newest last);
 * - `POST /_local/pushes` `{userId, tokens, notification: {title, body}, data?}`: sends a
 *   multicast as FCM would ({@link PushOutbox.send}) and answers `{responses, successCount,
 *   failureCount}` like `sendEachForMulticast`; `400` for a body FCM would refuse.
 *
 * Returns false, without answering, for paths outside `/_local/pushes`, so a server can fall
 * through to its next route; other paths under that prefix get a 404, other methods a 405.
 *
 * @example
 * createServer((req, res) => {
 *   if (!handleOutboxRequest(outbox, req, res)) res.writeHead(404).end();
 * });
 */
export function handleOutboxRequest(outbox: PushOutbox, req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith(OUTBOX_PATH)) return false;
  if (url.pathname !== OUTBOX_PATH && url.pathname !== `${OUTBOX_PATH}/`) {
    // Under our prefix but not ours: answer rather than fall through, so a mount that routes
    // the whole prefix here never leaves a request hanging.
    json(res, 404, { error: 'not_found' });
    return true;
  }
  if (req.method === 'POST') {
    handlePost(outbox, req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'internal', message: String(error) });
      else res.destroy();
    });
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    json(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD, POST' });
    return true;
  }
  const userId = url.searchParams.get('userId') ?? undefined;
  const body = JSON.stringify(outbox.list(userId === undefined ? {} : { userId }));
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
