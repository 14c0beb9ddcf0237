import * as z from 'zod';
import { type ErrorEnvelope, ErrorEnvelopeSchema, errorEnvelope } from './errors.ts';
import { HeraldEventSchema } from './events.ts';
import { LIMITS } from './limits.ts';
import { TopicEventSchema } from './topics.ts';

// ---------------------------------------------------------------------------------------------
// Client → server

/** Optional correlation id a client puts on a frame; the server echoes it in its reply. */
const frameId = z.string().min(1).max(64).optional();
const jobId = z.uuid();
/** Last `seq` the client has seen; -1 means none yet, so a resume replays from the first event. */
const seqCursor = z.int().min(-1);
/** Topics end up in keys and logs, so they are restricted to a plain, printable charset. */
const topic = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:/-]+$/, 'Use letters, digits and . _ : / - only.');

/** `ping`: keeps the connection under API Gateway's idle timeout; answered with `pong`. */
export const PingActionSchema = z
  .strictObject({ action: z.literal('ping'), id: frameId })
  .meta({ description: 'The `ping` action.' });

// Subscribe and unsubscribe name a job OR a topic. zod's discriminatedUnion cannot hold two
// options with the same `action`, so each is a plain union and the custom message covers the
// case where neither or both are given.
const target = <A extends string>(action: A) =>
  z.union(
    [
      z.strictObject({ action: z.literal(action), id: frameId, jobId }),
      z.strictObject({ action: z.literal(action), id: frameId, topic }),
    ],
    { error: 'Give exactly one of jobId or topic.' },
  );

/** `subscribe`: receive the events of a job or topic the user owns. */
export const SubscribeActionSchema = target('subscribe').meta({
  description: 'The `subscribe` action: exactly one of `jobId` or `topic`.',
});
/** `unsubscribe`: stop receiving a job's or topic's events. */
export const UnsubscribeActionSchema = target('unsubscribe').meta({
  description: 'The `unsubscribe` action: exactly one of `jobId` or `topic`.',
});

// A frame that names a job OR a topic. Where the frame has other required fields (`resume`'s
// `afterSeq`, the frames' `lastSeq`), one object per action or `type` with a refinement keeps
// zod's issue paths precise (a union reports only "no option matched") and lets the
// discriminated union and the AsyncAPI builder read each option's shape.
const oneTarget = (frame: { jobId?: string | undefined; topic?: string | undefined }) =>
  (frame.jobId === undefined) !== (frame.topic === undefined);
const ONE_TARGET = { message: 'Give exactly one of jobId or topic.' };

/**
 * `resume`: replay a job's (or shared topic's) events with `seq > afterSeq`, then continue live;
 * answered with `resumed`. Exactly one of `jobId` or `topic`.
 */
export const ResumeActionSchema = z
  .strictObject({
    action: z.literal('resume'),
    id: frameId,
    jobId: jobId.optional(),
    topic: topic.optional(),
    afterSeq: seqCursor,
  })
  .refine(oneTarget, ONE_TARGET)
  .meta({ description: 'The `resume` action: exactly one of `jobId` or `topic`, and `afterSeq`.' });

/** Schemas by action name: the dispatch table {@link parseClientFrame} uses. */
export const CLIENT_ACTION_SCHEMAS = {
  ping: PingActionSchema,
  subscribe: SubscribeActionSchema,
  unsubscribe: UnsubscribeActionSchema,
  resume: ResumeActionSchema,
} as const;

/** An action name the server understands. */
export type ClientActionName = keyof typeof CLIENT_ACTION_SCHEMAS;

/** The action names the server understands, in a stable order. */
export const CLIENT_ACTIONS = Object.keys(CLIENT_ACTION_SCHEMAS) as readonly ClientActionName[];

/**
 * Every frame the app may send, keyed by `action`. A plain union (see the note on subscribe);
 * prefer {@link parseClientFrame}, which dispatches on `action` and reports errors precisely.
 */
export const ClientActionSchema = z
  .union([PingActionSchema, SubscribeActionSchema, UnsubscribeActionSchema, ResumeActionSchema])
  .meta({ description: 'Every message a client may send.' });

export type PingAction = z.infer<typeof PingActionSchema>;
export type SubscribeAction = z.infer<typeof SubscribeActionSchema>;
export type UnsubscribeAction = z.infer<typeof UnsubscribeActionSchema>;
export type ResumeAction = z.infer<typeof ResumeActionSchema>;
/** Any frame the app may send. */
export type ClientAction = z.infer<typeof ClientActionSchema>;

// ---------------------------------------------------------------------------------------------
// Server → client

/** `event`: one Herald event. */
export const EventFrameSchema = z
  .strictObject({ type: z.literal('event'), event: HeraldEventSchema })
  .meta({ description: 'The `event` frame.' });
/** `pong`: the answer to `ping`. */
export const PongFrameSchema = z
  .strictObject({ type: z.literal('pong'), id: frameId, at: z.iso.datetime() })
  .meta({ description: 'The `pong` frame.' });
/** `error`: a client frame was refused; `id` echoes the frame's id when it could be read. */
export const ErrorFrameSchema = z
  .strictObject({
    type: z.literal('error'),
    id: frameId,
    error: ErrorEnvelopeSchema,
  })
  .meta({ description: 'The `error` frame.' });
/**
 * `resumed`: replay for a job (or shared topic) is caught up to `lastSeq` (-1: no events yet);
 * live events follow. Names exactly one of `jobId` or `topic`, as the `resume` it answers.
 */
export const ResumedFrameSchema = z
  .strictObject({
    type: z.literal('resumed'),
    id: frameId,
    jobId: jobId.optional(),
    topic: topic.optional(),
    lastSeq: seqCursor,
  })
  .refine(oneTarget, ONE_TARGET)
  .meta({ description: 'The `resumed` frame: exactly one of `jobId` or `topic`.' });

/**
 * `subscribed`: the subscription is stored, so every event of the job (or topic) published from
 * now on reaches this connection; answers each successful `subscribe`, a repeated one too. The
 * frame names what was subscribed, `jobId` or `topic` (a per-user view or a shared topic), so a
 * client tells acknowledgements apart by the key it holds.
 */
export const SubscribedFrameSchema = z
  .strictObject({
    type: z.literal('subscribed'),
    id: frameId,
    jobId: jobId.optional(),
    topic: topic.optional(),
  })
  .refine(oneTarget, ONE_TARGET)
  .meta({ description: 'The `subscribed` frame: exactly one of `jobId` or `topic`.' });

/**
 * `topic`: one event of a shared topic the connection subscribed to. A fan-out shard may be
 * delivered twice (SQS at-least-once), so clients drop an event whose `seq` they already hold.
 */
export const TopicEventFrameSchema = z
  .strictObject({ type: z.literal('topic'), event: TopicEventSchema })
  .meta({ description: 'The `topic` frame: one event of a shared topic.' });

/** Every frame the server may send, discriminated on `type`. */
export const ServerFrameSchema = z
  .discriminatedUnion('type', [
    EventFrameSchema,
    PongFrameSchema,
    ErrorFrameSchema,
    ResumedFrameSchema,
    SubscribedFrameSchema,
    TopicEventFrameSchema,
  ])
  .meta({ description: 'Every message the server may send, by `type`.' });

export type EventFrame = z.infer<typeof EventFrameSchema>;
export type PongFrame = z.infer<typeof PongFrameSchema>;
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;
export type ResumedFrame = z.infer<typeof ResumedFrameSchema>;
export type SubscribedFrame = z.infer<typeof SubscribedFrameSchema>;
export type TopicEventFrame = z.infer<typeof TopicEventFrameSchema>;
/** Any frame the server may send. */
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

// ---------------------------------------------------------------------------------------------
// Parsing and encoding

/**
 * The outcome of {@link parseClientFrame}. On failure, `id` is the frame's correlation id when
 * it could be read, so the server can echo it in the `error` frame.
 */
export type ParseClientFrameResult =
  | { ok: true; action: ClientAction }
  | { ok: false; error: ErrorEnvelope; id?: string };

/** One schema problem, without the offending value: `path` is dotted (`''` for the frame itself). */
export interface FrameIssue {
  path: string;
  message: string;
}

// Enough to fix a frame; a hostile frame cannot make the error reply large.
const MAX_REPORTED_ISSUES = 10;
const MAX_ECHOED_ACTION_CHARS = 64;
// Zod names unrecognised keys in its messages, and a key is client input of any length.
const MAX_ISSUE_MESSAGE_CHARS = 200;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** UTF-8 size of a string, without encoding it when its length alone decides the answer. */
function exceedsBytes(text: string, limit: number): boolean {
  // A UTF-16 code unit takes 1 to 3 UTF-8 bytes (a surrogate pair takes 4 for 2 units).
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8Encoder.encode(text).byteLength > limit;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function summarise(issues: readonly z.core.$ZodIssue[]): FrameIssue[] {
  // Zod's issues can carry the input; only path and message leave this function.
  return issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.').slice(0, MAX_ISSUE_MESSAGE_CHARS),
    message: issue.message.slice(0, MAX_ISSUE_MESSAGE_CHARS),
  }));
}

function fail(error: ErrorEnvelope, id?: string): ParseClientFrameResult {
  return id === undefined ? { ok: false, error } : { ok: false, error, id };
}

/**
 * Parses one message from a client, checking in order: size ({@link LIMITS}.wsMessageBytes →
 * `MESSAGE_TOO_LARGE`), JSON (`MALFORMED_FRAME`), action name (`UNKNOWN_ACTION`), then the
 * action's schema (`MALFORMED_FRAME` with `details.issues`). Never throws.
 *
 * @example
 * const parsed = parseClientFrame(event.body ?? '');
 * if (!parsed.ok) return reply({ type: 'error', id: parsed.id, error: parsed.error });
 */
export function parseClientFrame(raw: string | Uint8Array): ParseClientFrameResult {
  const tooLarge =
    typeof raw === 'string'
      ? exceedsBytes(raw, LIMITS.wsMessageBytes)
      : raw.byteLength > LIMITS.wsMessageBytes;
  if (tooLarge) {
    return fail(
      errorEnvelope(
        'MESSAGE_TOO_LARGE',
        `The message is larger than ${LIMITS.wsMessageBytes / 1024} KB; send ids, not data.`,
        { limitBytes: LIMITS.wsMessageBytes },
      ),
    );
  }

  let data: unknown;
  try {
    const text = typeof raw === 'string' ? raw : utf8Decoder.decode(raw);
    data = JSON.parse(text);
  } catch {
    // The parser's own message quotes the input, so it is not passed on.
    return fail(errorEnvelope('MALFORMED_FRAME', 'The message is not valid UTF-8 JSON.'));
  }
  if (!isRecord(data)) {
    return fail(errorEnvelope('MALFORMED_FRAME', 'The message must be a JSON object with an "action".'));
  }

  // Read the id first so even a refused frame's error can be matched to its request.
  const id = frameId.safeParse(data.id).data;
  const action = data.action;
  if (typeof action !== 'string') {
    return fail(
      errorEnvelope('MALFORMED_FRAME', 'The message has no "action" string.', {
        issues: [{ path: 'action', message: 'Required string' }],
      }),
      id,
    );
  }
  if (!Object.hasOwn(CLIENT_ACTION_SCHEMAS, action)) {
    // JSON.stringify quotes and escapes the name so control characters cannot reach a log line.
    const shown = JSON.stringify(action.slice(0, MAX_ECHOED_ACTION_CHARS));
    return fail(
      errorEnvelope(
        'UNKNOWN_ACTION',
        `Unknown action ${shown}; expected one of: ${CLIENT_ACTIONS.join(', ')}.`,
        {
          expected: [...CLIENT_ACTIONS],
        },
      ),
      id,
    );
  }

  const result = CLIENT_ACTION_SCHEMAS[action as ClientActionName].safeParse(data);
  if (!result.success) {
    const issues = summarise(result.error.issues);
    const first = issues[0];
    const where = first && first.path !== '' ? `${first.path}: ` : '';
    return fail(
      errorEnvelope(
        'MALFORMED_FRAME',
        `The "${action}" message is invalid: ${where}${first?.message ?? ''}`,
        {
          issues,
        },
      ),
      id,
    );
  }
  return { ok: true, action: result.data };
}

/**
 * Validates a server frame and serialises it to JSON. Throws on an invalid frame or one over
 * the WebSocket message quota: either is a bug in the sender, better caught before posting.
 *
 * @example
 * await post(connectionId, encodeServerFrame({ type: 'event', event }));
 */
export function encodeServerFrame(frame: ServerFrame): string {
  const result = ServerFrameSchema.safeParse(frame);
  if (!result.success) {
    const detail = summarise(result.error.issues)
      .map((issue) => `${issue.path || '(frame)'}: ${issue.message}`)
      .join('; ');
    throw new TypeError(`Refusing to send an invalid server frame: ${detail}`, { cause: result.error });
  }
  const json = JSON.stringify(result.data);
  if (exceedsBytes(json, LIMITS.wsMessageBytes)) {
    throw new RangeError(`Server frame is larger than ${LIMITS.wsMessageBytes} bytes; send ids, not data.`);
  }
  return json;
}
