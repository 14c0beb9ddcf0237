import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/**
 * The local stand-in for an SQS standard queue plus the Lambda event source mapping that polls
 * it (with `ReportBatchItemFailures` on and a redrive policy to a dead-letter queue).
 *
 * What it emulates, and why each piece matters to handler code:
 * - At-least-once delivery: a message is deleted only after the handler reported it done. A
 *   failed message is NOT made visible early: like Lambda, it stays invisible until the
 *   visibility timeout that started at receive time runs out, then it is received again with
 *   `ApproximateReceiveCount` + 1 and a new `receiptHandle`.
 * - If the handler runs longer than the visibility timeout, the message becomes visible and can
 *   be delivered AGAIN while the first invocation is still running (a real SQS duplicate). The
 *   late result of the first invocation is then ignored for that message, because its receipt
 *   handle is stale.
 * - Redrive: on AWS, SQS moves a message to the DLQ when it is about to be received once more
 *   than `maxReceiveCount`; so does this queue: after the last allowed receive failed and the
 *   visibility timeout ran out, the message goes to `deadLetters()` instead of the handler.
 * - Partial batch responses follow Lambda's rules
 *   (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html): `undefined`,
 *   `null`, `{}` or an empty/null `batchItemFailures` is complete success; each listed
 *   `itemIdentifier` stays on the queue; an identifier that is empty, not a string or not a
 *   message id of the batch, a `batchItemFailures` that is not an array, or a throw/rejection
 *   fails the WHOLE batch.
 *
 * Concurrency: up to `concurrency` batches (default 2) are in the handler at once, like several
 * pollers of an event source mapping. AWS starts at five and scales far higher; two is enough to
 * surface ordering and duplicate-delivery bugs locally without swamping a laptop. Standard
 * queues promise no order, and neither does this one beyond "oldest visible first".
 *
 * Not emulated: delay queues, message timers, FIFO queues, the Lambda timeout (the local stack
 * enforces that when it invokes the handler), long-polling costs.
 */

/** SQS's limit on a queue name: 1–80 characters of alphanumerics, hyphens and underscores. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** Characters SQS accepts in a message body (anything else is `InvalidMessageContents`). */
const INVALID_BODY_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/** Lambda's limits for an SQS event source: batches above 10 need a batching window of ≥ 1 s. */
const MAX_BATCH_SIZE = 10_000;
const MAX_BATCH_SIZE_WITHOUT_WINDOW = 10;
const MAX_BATCHING_WINDOW_MS = 300_000;

/** Same result type as `SQSHandler` from `aws-lambda`, so real handlers fit without a cast. */
// biome-ignore lint/suspicious/noConfusingVoidType: an `async` handler that returns nothing is `Promise<void>`
export type LocalQueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined | void>;

export interface LocalQueueOptions {
  /** Queue name (SQS rules: 1–80 of `[A-Za-z0-9_-]`); part of `eventSourceARN`. */
  readonly name: string;
  /** The Lambda handler the event source mapping invokes with each batch. */
  readonly handler: LocalQueueHandler;
  /** How long a received message stays invisible. @default 30_000 (the SQS default) */
  readonly visibilityTimeoutMs?: number;
  /** Receives before the redrive policy moves a message to the dead-letter list. @default 3 */
  readonly maxReceiveCount?: number;
  /** Most records per handler invocation. @default 10 */
  readonly batchSize?: number;
  /**
   * How long to gather messages before invoking with a batch smaller than `batchSize`
   * (`MaximumBatchingWindowInSeconds`, in ms). 0 invokes as soon as a message is visible.
   * @default 0
   */
  readonly maxBatchingWindowMs?: number;
  /** Batches in the handler at the same time. @default 2 */
  readonly concurrency?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** Receives one line per notable event (ids and counts only, never message bodies). */
  readonly log?: (line: string) => void;
}

/** A message that the redrive policy moved to the dead-letter list. */
export interface DeadLetterRecord {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: SQSMessageAttributes;
  /** As the DLQ reports them: the receive count the message had when it was moved. */
  readonly attributes: {
    readonly ApproximateReceiveCount: string;
    readonly SentTimestamp: string;
    readonly SenderId: string;
    readonly ApproximateFirstReceiveTimestamp: string;
    readonly DeadLetterQueueSourceArn: string;
  };
  /** Epoch ms when it was moved. */
  readonly deadLetteredAt: number;
  /** The last failure seen for it (a local debugging aid; SQS keeps no such thing). */
  readonly lastError: string | undefined;
}

export interface LocalQueueStats {
  /** Messages received and not yet deleted: in the handler or waiting out their visibility timeout. */
  readonly inFlight: number;
  /** Messages waiting to be received. */
  readonly visible: number;
  /** Messages in the dead-letter list. */
  readonly deadLettered: number;
  /** Messages the handler processed successfully (deleted from the queue). */
  readonly delivered: number;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: SQSMessageAttributes;
  readonly md5OfMessageAttributes: string | undefined;
  readonly sentTimestamp: number;
  firstReceiveTimestamp: number | undefined;
  receiveCount: number;
  state: 'visible' | 'inFlight';
  receiptHandle: string | undefined;
  visibilityTimer: NodeJS.Timeout | undefined;
  lastError: string | undefined;
}

type BatchOutcome =
  | { readonly failed: 'all'; readonly reason: string }
  | { readonly failed: ReadonlySet<string> };

/**
 * An in-process queue with SQS semantics that invokes a Lambda-style handler with batches.
 *
 * @example
 * const queue = new LocalQueue({ name: 'ingest', handler, visibilityTimeoutMs: 180_000 });
 * queue.send(JSON.stringify(s3Notification));
 * await queue.drain(); // in tests: everything processed or dead-lettered
 * await queue.close();
 */
export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly #handler: LocalQueueHandler;
  readonly #visibilityTimeoutMs: number;
  readonly #maxReceiveCount: number;
  readonly #batchSize: number;
  readonly #batchingWindowMs: number;
  readonly #concurrency: number;
  readonly #region: string;
  readonly #senderId: string;
  readonly #log: (line: string) => void;

  /** Insertion-ordered, so "oldest first" is iteration order. */
  readonly #messages = new Map<string, StoredMessage>();
  readonly #deadLetters: DeadLetterRecord[] = [];
  readonly #running = new Set<Promise<void>>();
  #drainWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  #delivered = 0;
  #pumpScheduled = false;
  #windowTimer: NodeJS.Timeout | undefined;
  #windowElapsed = false;
  #closed = false;

  constructor(options: LocalQueueOptions) {
    if (!QUEUE_NAME.test(options.name)) {
      throw new RangeError(`queue name "${options.name}" is not a valid SQS name (1-80 of [A-Za-z0-9_-])`);
    }
    const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    const maxReceiveCount = options.maxReceiveCount ?? 3;
    const batchSize = options.batchSize ?? 10;
    const batchingWindowMs = options.maxBatchingWindowMs ?? 0;
    const concurrency = options.concurrency ?? 2;
    positiveInteger('visibilityTimeoutMs', visibilityTimeoutMs);
    positiveInteger('maxReceiveCount', maxReceiveCount);
    positiveInteger('batchSize', batchSize);
    positiveInteger('concurrency', concurrency);
    if (
      !Number.isInteger(batchingWindowMs) ||
      batchingWindowMs < 0 ||
      batchingWindowMs > MAX_BATCHING_WINDOW_MS
    ) {
      throw new RangeError(`maxBatchingWindowMs must be an integer from 0 to ${MAX_BATCHING_WINDOW_MS}`);
    }
    if (batchSize > MAX_BATCH_SIZE) throw new RangeError(`batchSize must be at most ${MAX_BATCH_SIZE}`);
    // Lambda refuses such a mapping too; failing here keeps local config deployable.
    if (batchSize > MAX_BATCH_SIZE_WITHOUT_WINDOW && batchingWindowMs < 1000) {
      throw new RangeError('a batchSize above 10 needs maxBatchingWindowMs of at least 1000, as on Lambda');
    }
    const accountId = options.accountId ?? '000000000000';
    this.name = options.name;
    this.#region = options.region ?? 'us-east-1';
    this.arn = `arn:aws:sqs:${this.#region}:${accountId}:${options.name}`;
    // For messages sent with account credentials, SQS reports the account id as SenderId.
    this.#senderId = accountId;
    this.#handler = options.handler;
    this.#visibilityTimeoutMs = visibilityTimeoutMs;
    this.#maxReceiveCount = maxReceiveCount;
    this.#batchSize = batchSize;
    this.#batchingWindowMs = batchingWindowMs;
    this.#concurrency = concurrency;
    this.#log = options.log ?? (() => {});
  }

  /**
   * Sends a message (SQS `SendMessage`) and returns its `messageId`. The handler sees it after
   * the current synchronous code, so messages sent together tend to arrive in one batch.
   */
  send(body: string, attributes: SQSMessageAttributes = {}): string {
    if (this.#closed) throw new Error(`queue ${this.name} is closed`);
    if (body.length === 0) throw new RangeError('SQS refuses an empty message body');
    if (INVALID_BODY_CHAR.test(body)) {
      throw new RangeError('message body contains characters SQS refuses (InvalidMessageContents)');
    }
    const messageId = randomUUID();
    const messageAttributes = structuredClone(attributes);
    this.#messages.set(messageId, {
      messageId,
      body,
      md5OfBody: createHash('md5').update(body, 'utf8').digest('hex'),
      messageAttributes,
      md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
      sentTimestamp: Date.now(),
      firstReceiveTimestamp: undefined,
      receiveCount: 0,
      state: 'visible',
      receiptHandle: undefined,
      visibilityTimer: undefined,
      lastError: undefined,
    });
    this.#schedulePump();
    return messageId;
  }

  /** Messages the redrive policy moved out of the queue, oldest first. */
  deadLetters(): readonly DeadLetterRecord[] {
    return [...this.#deadLetters];
  }

  stats(): LocalQueueStats {
    let inFlight = 0;
    for (const m of this.#messages.values()) if (m.state === 'inFlight') inFlight++;
    return {
      inFlight,
      visible: this.#messages.size - inFlight,
      deadLettered: this.#deadLetters.length,
      delivered: this.#delivered,
    };
  }

  /**
   * Resolves once no message is visible or in flight and no handler is running, i.e. every
   * message sent so far was processed or dead-lettered. Rejects if the queue is closed first.
   * Meant for tests; a failing message keeps it pending for up to
   * `maxReceiveCount × visibilityTimeoutMs`.
   */
  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error(`queue ${this.name} closed before it drained`));
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  /**
   * Stops receiving, cancels every timer and waits for handler invocations already running.
   * Messages still on the queue are dropped (the queue lives in memory only).
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#windowTimer);
      this.#windowTimer = undefined;
      for (const m of this.#messages.values()) clearTimeout(m.visibilityTimer);
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of waiters) w.reject(new Error(`queue ${this.name} closed before it drained`));
    }
    await Promise.all(this.#running);
  }

  #isIdle(): boolean {
    return this.#messages.size === 0 && this.#running.size === 0;
  }

  #settleDrainWaiters(): void {
    if (!this.#isIdle() || this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w.resolve();
  }

  /** Coalesces everything sent in one synchronous run into one poll, without holding a handle. */
  #schedulePump(): void {
    if (this.#pumpScheduled || this.#closed) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#concurrency) {
      const visible = this.#receivable();
      if (visible.length === 0) return;
      if (visible.length < this.#batchSize && this.#batchingWindowMs > 0 && !this.#windowElapsed) {
        // Lambda waits up to the batching window for a full batch before invoking.
        this.#windowTimer ??= setTimeout(() => {
          this.#windowTimer = undefined;
          this.#windowElapsed = true;
          this.#pump();
        }, this.#batchingWindowMs).unref();
        return;
      }
      this.#windowElapsed = false;
      clearTimeout(this.#windowTimer);
      this.#windowTimer = undefined;
      this.#deliver(visible.slice(0, this.#batchSize));
    }
  }

  /**
   * Visible messages, oldest first, after moving those past their last allowed receive to the
   * dead-letter list: SQS applies the redrive policy at the receive that would exceed it.
   */
  #receivable(): StoredMessage[] {
    const visible: StoredMessage[] = [];
    for (const m of this.#messages.values()) {
      if (m.state !== 'visible') continue;
      if (m.receiveCount >= this.#maxReceiveCount) this.#deadLetter(m);
      else visible.push(m);
    }
    return visible;
  }

  #deadLetter(m: StoredMessage): void {
    this.#messages.delete(m.messageId);
    this.#deadLetters.push({
      messageId: m.messageId,
      body: m.body,
      md5OfBody: m.md5OfBody,
      messageAttributes: m.messageAttributes,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentTimestamp),
        SenderId: this.#senderId,
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp ?? m.sentTimestamp),
        DeadLetterQueueSourceArn: this.arn,
      },
      deadLetteredAt: Date.now(),
      lastError: m.lastError,
    });
    this.#log(
      `queue ${this.name}: message ${m.messageId} moved to the dead-letter list after ${m.receiveCount} receives`,
    );
    this.#settleDrainWaiters();
  }

  #deliver(batch: readonly StoredMessage[]): void {
    const now = Date.now();
    const handles = new Map<string, string>();
    const records: SQSRecord[] = [];
    for (const m of batch) {
      m.state = 'inFlight';
      m.receiveCount++;
      m.firstReceiveTimestamp ??= now;
      // A new receipt handle per receive, as SQS does; results for an older one are stale.
      const handle = randomBytes(48).toString('base64');
      m.receiptHandle = handle;
      handles.set(m.messageId, handle);
      // The visibility timeout counts from the receive, not from the handler's result.
      m.visibilityTimer = setTimeout(() => this.#expire(m, handle), this.#visibilityTimeoutMs).unref();
      records.push(this.#toRecord(m, handle));
    }
    const run = this.#invoke({ Records: records }).then((outcome) => this.#settle(batch, handles, outcome));
    this.#running.add(run);
    void run.finally(() => {
      this.#running.delete(run);
      this.#schedulePump();
      this.#settleDrainWaiters();
    });
  }

  async #invoke(event: SQSEvent): Promise<BatchOutcome> {
    const ids = new Set(event.Records.map((r) => r.messageId));
    let response: unknown;
    try {
      response = await this.#handler(event);
    } catch (error) {
      return { failed: 'all', reason: `handler failed: ${describe(error)}` };
    }
    return interpretBatchResponse(response, ids);
  }

  #settle(
    batch: readonly StoredMessage[],
    handles: ReadonlyMap<string, string>,
    outcome: BatchOutcome,
  ): void {
    let deleted = 0;
    for (const m of batch) {
      // Gone (dead-lettered, closed) or received again since: this result no longer applies.
      if (this.#messages.get(m.messageId) !== m || m.receiptHandle !== handles.get(m.messageId)) continue;
      const failed = outcome.failed === 'all' || outcome.failed.has(m.messageId);
      if (failed) {
        m.lastError = 'reason' in outcome ? outcome.reason : 'reported in batchItemFailures';
        continue; // stays invisible until its visibility timeout runs out
      }
      clearTimeout(m.visibilityTimer);
      this.#messages.delete(m.messageId);
      this.#delivered++;
      deleted++;
    }
    if (deleted < batch.length) {
      const why = 'reason' in outcome ? outcome.reason : 'partial batch failure';
      this.#log(
        `queue ${this.name}: ${batch.length - deleted} of ${batch.length} messages not deleted (${why})`,
      );
    }
  }

  #expire(m: StoredMessage, handle: string): void {
    if (this.#closed || this.#messages.get(m.messageId) !== m || m.receiptHandle !== handle) return;
    m.state = 'visible';
    m.visibilityTimer = undefined;
    this.#schedulePump();
  }

  #toRecord(m: StoredMessage, receiptHandle: string): SQSRecord {
    const record: SQSRecord = {
      messageId: m.messageId,
      receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentTimestamp),
        SenderId: this.#senderId,
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp ?? m.sentTimestamp),
      },
      messageAttributes: structuredClone(m.messageAttributes),
      md5OfBody: m.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: this.#region,
    };
    if (m.md5OfMessageAttributes !== undefined) record.md5OfMessageAttributes = m.md5OfMessageAttributes;
    return record;
  }
}

/** Lambda's reading of an SQS handler's result with `ReportBatchItemFailures` enabled. */
function interpretBatchResponse(response: unknown, ids: ReadonlySet<string>): BatchOutcome {
  if (response === undefined || response === null) return { failed: new Set() };
  if (typeof response !== 'object') return { failed: 'all', reason: 'invalid batch response' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { failed: new Set() };
  if (!Array.isArray(failures)) return { failed: 'all', reason: 'batchItemFailures is not an array' };
  const failed = new Set<string>();
  for (const item of failures as unknown[]) {
    const id =
      typeof item === 'object' && item !== null
        ? (item as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) {
      return { failed: 'all', reason: `invalid itemIdentifier ${JSON.stringify(id) ?? 'undefined'}` };
    }
    failed.add(id);
  }
  return { failed };
}

/**
 * SQS's MD5 of message attributes: per attribute, sorted by name, the length-prefixed name,
 * data type, a transport byte (1 string/number, 2 binary) and the length-prefixed value.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
 */
function md5OfMessageAttributes(attributes: SQSMessageAttributes): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of names) {
    const attribute = attributes[name];
    if (!attribute) continue;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(attribute.dataType, 'utf8'));
    if (attribute.binaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      lengthPrefixed(Buffer.from(attribute.binaryValue, 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(attribute.stringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
