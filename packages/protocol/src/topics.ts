import * as z from 'zod';
import { isPerUserView, MAX_TOPIC_NAME_LENGTH, SHARED_TOPIC_PATTERN } from './topic-names.ts';

// Shared topics: the topic event, the admin REST bodies (grants, publishing) and the SNS form of
// a topic publication. The naming rule is in `topic-names.ts`.

/** A shared topic name: letters, digits and `. _ : -`, not a per-user view. */
export const SharedTopicSchema = z
  .string()
  .min(1)
  .max(MAX_TOPIC_NAME_LENGTH)
  .regex(SHARED_TOPIC_PATTERN, 'Use letters, digits and . _ : - only.')
  .refine((name) => !isPerUserView(name), {
    message: '`jobs` and `files` are per-user views, not shared topics.',
  })
  .meta({ description: 'A shared topic: letters, digits and `. _ : -`; never `jobs` or `files`.' });

/** Most characters in a topic message's title and body. */
export const MAX_TOPIC_TITLE_LENGTH = 200;
export const MAX_TOPIC_BODY_LENGTH = 4000;

/** What a publisher says on a topic: a title, a body and optional string data for the app. */
export const TopicMessageSchema = z
  .strictObject({
    title: z.string().min(1).max(MAX_TOPIC_TITLE_LENGTH),
    body: z.string().max(MAX_TOPIC_BODY_LENGTH),
    data: z.record(z.string().min(1).max(64), z.string().max(1024)).optional(),
  })
  .meta({ description: 'A topic message: title, body and optional string data.' });

/**
 * One event of a shared topic. `seq` is the topic's own counter (atomic, starting at 1), so a
 * client drops a duplicate (a redelivered fan-out shard) and resumes with `afterSeq`.
 */
export const TopicEventSchema = z
  .strictObject({
    topic: SharedTopicSchema,
    seq: z.int().positive(),
    at: z.iso.datetime(),
    ...TopicMessageSchema.shape,
  })
  .meta({ description: 'One event of a shared topic; `seq` increases per topic.' });

/** `POST /admin/topics/{topic}/events` body (admins only). */
export const PublishTopicEventRequestSchema = TopicMessageSchema.meta({
  description: '`POST /admin/topics/{topic}/events` body.',
});

/** `POST /admin/topics/{topic}/events` → `202`: the event is logged and its fan-out queued. */
export const PublishTopicEventResponseSchema = z
  .strictObject({
    topic: SharedTopicSchema,
    seq: z.int().positive(),
    subscribers: z.int().nonnegative(),
    shards: z.int().nonnegative(),
  })
  .meta({ description: 'The published event’s `seq`, and how many connections and shards it fans out to.' });

/**
 * One topic grant: members of `group` may subscribe to `topic`; group `*` is every signed-in user.
 * Shipped defaults (not stored, not revocable): `announcements` to `*`, `group:<name>` to `<name>`.
 */
export const TopicGrantSchema = z
  .strictObject({
    topic: SharedTopicSchema,
    group: z.string().min(1).max(128),
    createdBy: z.string().min(1).max(128),
    createdAt: z.iso.datetime(),
  })
  .meta({ description: 'Members of `group` may subscribe to `topic`; group `*` is every signed-in user.' });

/** `POST /admin/topics/{topic}/grants` body (admins only). */
export const CreateTopicGrantRequestSchema = z
  .strictObject({ group: z.string() })
  .meta({ description: '`POST /admin/topics/{topic}/grants` body.' });

/** `GET /admin/topics/{topic}/grants` answer: the topic's stored grants, by group. */
export const TopicGrantListSchema = z
  .strictObject({ topic: SharedTopicSchema, grants: z.array(TopicGrantSchema) })
  .meta({ description: 'The stored grants of one topic, by group (shipped defaults are not listed).' });

/**
 * What a service publishes to the notify topic to reach a SHARED topic (SNS `Message`, as JSON):
 * a `topic` target in place of `userId`.
 */
export const NotifyTopicMessageSchema = z.strictObject({
  topic: SharedTopicSchema,
  message: TopicMessageSchema,
});

export type TopicMessage = z.infer<typeof TopicMessageSchema>;
export type TopicEvent = z.infer<typeof TopicEventSchema>;
export type PublishTopicEventRequest = z.infer<typeof PublishTopicEventRequestSchema>;
export type PublishTopicEventResponse = z.infer<typeof PublishTopicEventResponseSchema>;
export type TopicGrant = z.infer<typeof TopicGrantSchema>;
export type CreateTopicGrantRequest = z.infer<typeof CreateTopicGrantRequestSchema>;
export type TopicGrantList = z.infer<typeof TopicGrantListSchema>;
export type NotifyTopicMessage = z.infer<typeof NotifyTopicMessageSchema>;
