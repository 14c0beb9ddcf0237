import type { S3EventRecord } from 'aws-lambda';

/**
 * Turns what s3rver 3.7.1 emits into the S3 event notifications AWS puts on an SQS queue, and
 * applies a bucket notification configuration's filters (event names, key prefix/suffix).
 *
 * s3rver's `event` payload (lib/models/event.js) is a whole `{Records: [record]}` event per
 * request, close to AWS's but off in ways consumers notice, corrected here:
 * - `object.key` is the raw key; AWS URL-encodes it (form encoding: a space becomes `+`).
 * - `bucket.arn` is `arn:aws:s3: : :<bucket>` (with spaces); AWS's is `arn:aws:s3:::<bucket>`.
 * - `sequencer` is `Date.now()` in hex, so two writes to one key in the same millisecond tie;
 *   AWS's only promise is "greater means later for the same key", which a counter keeps.
 * - `eventVersion` is `2.0`; AWS sends `2.1` for these events.
 * - `awsRegion` is always `us-east-1`; the configured region is used instead.
 * Kept as s3rver sends them: `eventTime`; `eTag` (bare hex MD5, as AWS); a CompleteMultipartUpload
 * arrives as `ObjectCreated:Post` (AWS: `ObjectCreated:CompleteMultipartUpload`; both match
 * `ObjectCreated:*`); `ObjectCreated:Copy` carries no `eTag`; `ObjectRemoved:Delete` carries no
 * size or eTag (as on AWS). s3rver emits the event before it answers the request, so a test
 * that awaited PutObject finds the message already sent.
 */

/** One record as s3rver emits it; only the fields read here (the rest is optional). */
export interface S3rverEventRecord {
  readonly eventTime?: string;
  readonly eventName: string;
  readonly userIdentity?: { readonly principalId?: string };
  readonly requestParameters?: { readonly sourceIPAddress?: string };
  readonly responseElements?: { readonly 'x-amz-request-id'?: string; readonly 'x-amz-id-2'?: string };
  readonly s3: {
    readonly bucket: { readonly name: string; readonly ownerIdentity?: { readonly principalId?: string } };
    readonly object: { readonly key: string; readonly size?: number; readonly eTag?: string };
  };
}

/** An S3 event notification record as AWS delivers it; `size`/`eTag` are absent on removals. */
export type S3NotificationRecord = Omit<S3EventRecord, 's3'> & {
  s3: Omit<S3EventRecord['s3'], 'object'> & {
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer: string };
  };
};

/** The JSON body of the SQS message S3 sends: one record per message. */
export interface S3Notification {
  Records: S3NotificationRecord[];
}

export interface S3NotificationOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** The notification configuration's id (AWS puts it in every record). @default 'herald-local' */
  readonly configurationId?: string;
}

/** Anything that emits s3rver's `event` (an `S3rver` instance is one). */
export interface S3EventSource {
  on(event: 'event', listener: (event: unknown) => void): unknown;
  off(event: 'event', listener: (event: unknown) => void): unknown;
}

/** The queue side: `LocalQueue` fits. */
export interface S3NotificationTarget {
  send(body: string): string;
}

export interface WireS3EventsOptions extends S3NotificationOptions {
  /** Only events of this bucket. */
  readonly bucket: string;
  /**
   * Key filters of the notification configuration. As on AWS they match the URL-ENCODED key
   * (write a space as `+`); plain paths like `uploads/` are the same either way.
   */
  readonly prefix?: string;
  readonly suffix?: string;
  readonly queue: S3NotificationTarget;
  /** Event types, with or without the `s3:` prefix; `*` only at the end. @default ['ObjectCreated:*'] */
  readonly events?: readonly string[];
  readonly log?: (line: string) => void;
}

let lastSequence = 0n;

/**
 * A per-process, strictly increasing sequencer in AWS's shape (uppercase hex, 18 digits), so
 * "greater means later" holds even for writes in the same millisecond.
 */
function nextSequencer(): string {
  const fromClock = BigInt(Date.now()) << 20n;
  lastSequence = fromClock > lastSequence ? fromClock : lastSequence + 1n;
  return lastSequence.toString(16).toUpperCase().padStart(18, '0');
}

/**
 * Encodes a key as S3 does in event notifications: form URL encoding (space → `+`, `+` → `%2B`,
 * parentheses and other reserved characters percent-encoded) but `/` left as is. Consumers
 * decode with `decodeURIComponent(key.replaceAll('+', ' '))`.
 */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
        .replaceAll('%20', '+'),
    )
    .join('/');
}

/**
 * Converts one s3rver event record into the S3 event notification AWS would put on SQS.
 *
 * @example
 * s3rver.on('event', (e) => queue.send(JSON.stringify(s3EventToNotification(e.Records[0]))));
 */
export function s3EventToNotification(
  record: S3rverEventRecord,
  options: S3NotificationOptions = {},
): S3Notification {
  const { bucket, object } = record.s3;
  const s3Object: S3NotificationRecord['s3']['object'] = {
    key: encodeS3EventKey(object.key),
    sequencer: nextSequencer(),
  };
  if (record.eventName.startsWith('ObjectCreated:')) {
    if (object.size !== undefined) s3Object.size = object.size;
    if (object.eTag !== undefined) s3Object.eTag = object.eTag;
  }
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: options.region ?? 'us-east-1',
        eventTime: record.eventTime ?? new Date().toISOString(),
        eventName: record.eventName,
        userIdentity: { principalId: record.userIdentity?.principalId ?? 'AWS:HERALDLOCAL' },
        requestParameters: { sourceIPAddress: record.requestParameters?.sourceIPAddress ?? '127.0.0.1' },
        responseElements: {
          'x-amz-request-id': record.responseElements?.['x-amz-request-id'] ?? 'HERALDLOCAL',
          'x-amz-id-2': record.responseElements?.['x-amz-id-2'] ?? 'HERALDLOCAL',
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: options.configurationId ?? 'herald-local',
          bucket: {
            name: bucket.name,
            ownerIdentity: { principalId: bucket.ownerIdentity?.principalId ?? 'HERALDLOCAL' },
            arn: `arn:aws:s3:::${bucket.name}`,
          },
          object: s3Object,
        },
      },
    ],
  };
}

/** An S3 notification configuration's event match: exact, or a `*` wildcard at the end. */
function eventMatches(eventName: string, patterns: readonly string[]): boolean {
  return patterns.some((raw) => {
    const pattern = raw.startsWith('s3:') ? raw.slice(3) : raw;
    return pattern.endsWith('*') ? eventName.startsWith(pattern.slice(0, -1)) : eventName === pattern;
  });
}

/** Validates s3rver's untyped payload just enough to read it safely. */
function recordsOf(event: unknown): S3rverEventRecord[] {
  if (typeof event !== 'object' || event === null) return [];
  const records = (event as { Records?: unknown }).Records;
  if (!Array.isArray(records)) return [];
  return records.filter((r: unknown): r is S3rverEventRecord => {
    if (typeof r !== 'object' || r === null) return false;
    const { eventName, s3 } = r as {
      eventName?: unknown;
      s3?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
    };
    return (
      typeof eventName === 'string' &&
      typeof s3?.bucket?.name === 'string' &&
      typeof s3.object?.key === 'string'
    );
  });
}

/**
 * Subscribes to s3rver's events and sends each record matching the bucket, key prefix/suffix
 * and event types to the queue as an S3 event notification (one record per message, as S3
 * does). Returns a function that unsubscribes.
 *
 * A failing `send` (e.g. the queue was closed) is logged and swallowed: on AWS a notification
 * problem never fails the PUT, and s3rver would otherwise turn the throw into a 500.
 *
 * @example
 * const unwire = wireS3EventsToQueue(s3.server, { bucket: 'herald-uploads', prefix: 'uploads/', queue });
 */
export function wireS3EventsToQueue(source: S3EventSource, options: WireS3EventsOptions): () => void {
  const events = options.events ?? ['ObjectCreated:*'];
  const prefix = options.prefix ?? '';
  const suffix = options.suffix ?? '';
  const log = options.log ?? (() => {});
  const listener = (event: unknown): void => {
    for (const record of recordsOf(event)) {
      if (record.s3.bucket.name !== options.bucket || !eventMatches(record.eventName, events)) continue;
      const notification = s3EventToNotification(record, options);
      const key = notification.Records[0]?.s3.object.key ?? '';
      if (!key.startsWith(prefix) || !key.endsWith(suffix)) continue;
      try {
        options.queue.send(JSON.stringify(notification));
      } catch (error) {
        log(`s3 ${record.eventName} ${options.bucket}: notification not queued: ${String(error)}`);
      }
    }
  };
  source.on('event', listener);
  return () => {
    source.off('event', listener);
  };
}
