import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The local stand-in for FCM. There is no FCM emulator and its host is hard-coded in
 * firebase-admin, so locally the `PushSender` records pushes here instead of sending them, and
 * developers (and e2e tests) read them back at `GET /_local/pushes`.
 *
 * It keeps the checks `sendEachForMulticast` makes before sending (1–500 tokens, string-only
 * `data`), so code that works locally does not fail on them in AWS.
 */

/** firebase-admin refuses a multicast with more tokens than this. */
const MAX_MULTICAST_TOKENS = 500;

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

/**
 * Serves `GET /_local/pushes[?userId=...]` from `outbox` as a JSON array (newest last). Returns
 * false, without answering, for paths outside `/_local/pushes`, so a server can fall through to
 * its next route; other paths under that prefix get a 404.
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
    const body = JSON.stringify({ error: 'not_found' });
    res.writeHead(404, { 'content-type': 'application/json' }).end(body);
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const body = JSON.stringify({ error: 'method_not_allowed' });
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(body);
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
