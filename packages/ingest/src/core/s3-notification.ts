import * as z from 'zod';

/**
 * The parts of an S3 event notification (the JSON body of an SQS message S3 sends) the worker
 * reads. One message may hold several records. Keys arrive URL-encoded (`+` for a space).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
const RecordSchema = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string(), size: z.number().optional() }),
  }),
});

const NotificationSchema = z.object({ Records: z.array(z.unknown()) });

/** One `ObjectCreated` record of an S3 notification. */
export interface ObjectCreated {
  readonly bucket: string;
  /** The key exactly as the notification carries it (still URL-encoded). */
  readonly encodedKey: string;
  readonly eventName: string;
}

export type ParsedNotification =
  | { readonly kind: 'records'; readonly created: readonly ObjectCreated[]; readonly ignored: number }
  /** `s3:TestEvent`, sent once when a notification configuration is saved. */
  | { readonly kind: 'test' }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Parses an SQS message body holding an S3 event notification. Records other than
 * `ObjectCreated:*` (and malformed ones) are counted in `ignored`.
 *
 * @example
 * const parsed = parseS3Notification(record.body);
 * if (parsed.kind === 'records') for (const c of parsed.created) handle(c.encodedKey);
 */
export function parseS3Notification(body: string): ParsedNotification {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { kind: 'invalid', reason: 'the message body is not JSON' };
  }
  if (typeof data === 'object' && data !== null && (data as { Event?: unknown }).Event === 's3:TestEvent') {
    return { kind: 'test' };
  }
  const parsed = NotificationSchema.safeParse(data);
  if (!parsed.success) return { kind: 'invalid', reason: 'the message is not an S3 event notification' };
  const created: ObjectCreated[] = [];
  let ignored = 0;
  for (const raw of parsed.data.Records) {
    const record = RecordSchema.safeParse(raw);
    if (!record.success || !record.data.eventName.startsWith('ObjectCreated:')) {
      ignored++;
      continue;
    }
    created.push({
      bucket: record.data.s3.bucket.name,
      encodedKey: record.data.s3.object.key,
      eventName: record.data.eventName,
    });
  }
  return { kind: 'records', created, ignored };
}
