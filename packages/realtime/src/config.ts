import {
  allowedOrigins,
  httpUrl,
  type LogLevel,
  logLevel,
  parseEnv,
  required,
  wholeNumber,
} from '@herald/runtime';
import * as z from 'zod';
import { DEFAULT_CONNECTION_TTL_SECONDS, MIN_CONNECTION_TTL_SECONDS } from './core/connection.ts';
import { DEFAULT_MAX_DEVICES_PER_USER } from './core/devices.ts';
import { DEFAULT_JOB_EVENT_TTL_SECONDS, DEFAULT_PUBLISH_CONCURRENCY } from './core/publisher.ts';
import { DEFAULT_TOPIC_EVENT_TTL_SECONDS } from './core/topic-publish.ts';
import { DEFAULT_TOPIC_SHARD_SIZE } from './core/topic-shards.ts';

/** A Firebase service account, as far as firebase-admin's `cert()` needs it. */
export interface FcmServiceAccount {
  readonly projectId: string;
  readonly clientEmail: string;
  readonly privateKey: string;
}

/**
 * Where pushes go. Exactly one of the push variables is set: the push outbox URL (the local
 * stack), the service account JSON, or the id of a Secrets Manager secret holding it.
 */
export type PushConfig =
  | { readonly provider: 'outbox'; readonly outboxUrl: string }
  | { readonly provider: 'fcm'; readonly serviceAccount: FcmServiceAccount }
  | { readonly provider: 'fcm-secret'; readonly secretId: string };

/** What the publisher needs (`getPublisher()`, also in other packages' Lambdas). Frozen. */
export interface PublisherConfig {
  /** `AWS_REGION`. */
  readonly region: string;
  /** `HERALD_LOG_LEVEL`: the lowest level written (default `info`). */
  readonly logLevel: LogLevel;
  /** `HERALD_CONNECTIONS_TABLE`: physical name of the connections table. */
  readonly connectionsTable: string;
  /** `HERALD_DEVICES_TABLE`: physical name of the devices table. */
  readonly devicesTable: string;
  /** `HERALD_JOB_EVENTS_TABLE`: physical name of the job event log table. */
  readonly jobEventsTable: string;
  /** `HERALD_DYNAMODB_ENDPOINT`: endpoint override (dynalite locally); unset on AWS. */
  readonly dynamodbEndpoint: string | undefined;
  /** `HERALD_WS_MANAGEMENT_ENDPOINT`: the `@connections` endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). */
  readonly wsManagementEndpoint: string;
  /** `HERALD_JOB_EVENT_TTL_SECONDS`: how long the job event log keeps an event (default one day). */
  readonly jobEventTtlSeconds: number;
  /** `HERALD_PUBLISH_CONCURRENCY`: PostToConnection calls in flight per publish (default 32). */
  readonly publishConcurrency: number;
  /** `HERALD_PUSH_OUTBOX_URL` | `HERALD_FCM_SERVICE_ACCOUNT_JSON` | `HERALD_FCM_SECRET_ID`. */
  readonly push: PushConfig;
}

/** The realtime package's validated configuration. Frozen; read once per container by `compose/base.ts`. */
export interface RealtimeConfig extends PublisherConfig {
  /** `HERALD_TICKETS_TABLE`: physical name of the one-time tickets table. */
  readonly ticketsTable: string;
  /** `HERALD_ALLOWED_ORIGINS`: browser origins the REST handlers answer with CORS headers (default none). */
  readonly allowedOrigins: readonly string[];
  readonly jwt: {
    /** `HERALD_JWT_ISSUER`: expected `iss`, e.g. `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`. */
    readonly issuer: string;
    /** `HERALD_JWT_AUDIENCE`: the Cognito app client id (`aud` of ID tokens, `client_id` of access tokens). */
    readonly audience: string;
    /** `HERALD_JWKS_URI`: https, or http on a loopback host (the local identity provider). */
    readonly jwksUri: string;
  };
  /** `HERALD_CONNECTION_TTL_SECONDS`: connection item lifetime, ≥ 7200. */
  readonly connectionTtlSeconds: number;
  /** `HERALD_MAX_DEVICES_PER_USER`: push devices per user (default 10). */
  readonly maxDevicesPerUser: number;
  /**
   * `$connect` attempts allowed per client IP and minute (`HERALD_CONNECT_LIMIT_PER_MINUTE`),
   * counted in `HERALD_CONNECT_ATTEMPTS_TABLE`; both set, or no per-IP limit.
   */
  readonly connectLimit: { readonly table: string; readonly perMinute: number } | undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether a JWKS URI may be trusted: keys fetched over plain http could be swapped by anyone
 * on the path, so http is accepted only on the loopback interface (the local stack).
 *
 * @example
 * isAllowedJwksUri('http://127.0.0.1:4100/.well-known/jwks.json'); // true
 * isAllowedJwksUri('http://idp.example.com/jwks.json');           // false
 */
export function isAllowedJwksUri(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

const ServiceAccountSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Never echo the value: it holds a private key.
      ctx.addIssue({ code: 'custom', message: 'must be the service account JSON file’s content' });
      return z.NEVER;
    }
  })
  .pipe(
    z.object(
      { project_id: z.string().min(1), client_email: z.string().min(1), private_key: z.string().min(1) },
      { error: 'must hold project_id, client_email and private_key' },
    ),
  );

const FIELDS = {
  AWS_REGION: required,
  HERALD_CONNECTIONS_TABLE: required,
  HERALD_TICKETS_TABLE: required,
  HERALD_DEVICES_TABLE: required,
  HERALD_JOB_EVENTS_TABLE: required,
  HERALD_DYNAMODB_ENDPOINT: httpUrl.optional(),
  HERALD_WS_MANAGEMENT_ENDPOINT: z.string({ error: 'is required' }).pipe(httpUrl),
  HERALD_JWT_ISSUER: required,
  HERALD_JWT_AUDIENCE: required,
  HERALD_JWKS_URI: required.refine(isAllowedJwksUri, {
    message: 'must be an https URL (http is allowed only for loopback hosts 127.0.0.1, localhost, ::1)',
  }),
  HERALD_CONNECTION_TTL_SECONDS: wholeNumber(
    MIN_CONNECTION_TTL_SECONDS,
    7 * 86_400,
    ' seconds (at least 7200: API Gateway keeps a connection open up to 2 hours)',
  ).optional(),
  HERALD_JOB_EVENT_TTL_SECONDS: wholeNumber(600, 30 * 86_400, ' seconds').optional(),
  HERALD_MAX_DEVICES_PER_USER: wholeNumber(1, 100).optional(),
  HERALD_CONNECT_ATTEMPTS_TABLE: z.string().min(1).optional(),
  HERALD_CONNECT_LIMIT_PER_MINUTE: wholeNumber(1, 1_000_000).optional(),
  HERALD_PUBLISH_CONCURRENCY: wholeNumber(1, 256).optional(),
  HERALD_PUSH_OUTBOX_URL: httpUrl
    .refine((value) => LOOPBACK_HOSTS.has(new URL(value).hostname), {
      message: "must be on a loopback address (the local stack's push outbox stands in for FCM)",
    })
    .optional(),
  HERALD_FCM_SERVICE_ACCOUNT_JSON: ServiceAccountSchema.optional(),
  HERALD_FCM_SECRET_ID: z.string().min(1).optional(),
  HERALD_LOG_LEVEL: logLevel.optional(),
  HERALD_ALLOWED_ORIGINS: allowedOrigins.optional(),
};

type FieldName = keyof typeof FIELDS;

const PUSH_VARIABLES = [
  'HERALD_PUSH_OUTBOX_URL',
  'HERALD_FCM_SERVICE_ACCOUNT_JSON',
  'HERALD_FCM_SECRET_ID',
] as const satisfies readonly FieldName[];

const PUBLISHER_FIELDS = [
  'AWS_REGION',
  'HERALD_CONNECTIONS_TABLE',
  'HERALD_DEVICES_TABLE',
  'HERALD_JOB_EVENTS_TABLE',
  'HERALD_DYNAMODB_ENDPOINT',
  'HERALD_WS_MANAGEMENT_ENDPOINT',
  'HERALD_JOB_EVENT_TTL_SECONDS',
  'HERALD_PUBLISH_CONCURRENCY',
  ...PUSH_VARIABLES,
  'HERALD_LOG_LEVEL',
] as const satisfies readonly FieldName[];

const ALL_FIELDS = Object.keys(FIELDS) as FieldName[];

type Parsed = { [K in FieldName]: z.output<(typeof FIELDS)[K]> };

/**
 * Validates the named variables; throws one `ConfigError` naming every problem. One FCM variable
 * must be set, or the push outbox (which, set, stands in for FCM: the local stack adds it to the
 * template's environment): checked even when other variables are invalid, so one error names all.
 */
function parse<K extends FieldName>(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly K[],
): Pick<Parsed, K> {
  const shape = Object.fromEntries(names.map((name) => [name, FIELDS[name]]));
  const schema = z.object(shape).superRefine(
    (values, ctx) => {
      const set = (name: string) => (values as Record<string, unknown>)[name] !== undefined;
      const fcm = PUSH_VARIABLES.slice(1).filter(set);
      if (fcm.length === 1 || (fcm.length === 0 && set(PUSH_VARIABLES[0]))) return;
      const message =
        fcm.length === 0
          ? `or one of ${PUSH_VARIABLES.slice(1).join(', ')} is required (where pushes go)`
          : `conflicts with ${fcm.slice(1).join(', ')}: set only one FCM variable`;
      ctx.addIssue({ code: 'custom', path: [fcm[0] ?? PUSH_VARIABLES[0]], message });
    },
    { when: () => true },
  );
  return parseEnv(schema, env, '@herald/realtime') as Pick<Parsed, K>;
}

function pushConfig(e: Pick<Parsed, (typeof PUSH_VARIABLES)[number]>): PushConfig {
  if (e.HERALD_PUSH_OUTBOX_URL !== undefined) {
    return Object.freeze({ provider: 'outbox', outboxUrl: e.HERALD_PUSH_OUTBOX_URL });
  }
  const account = e.HERALD_FCM_SERVICE_ACCOUNT_JSON;
  if (account !== undefined) {
    return Object.freeze({
      provider: 'fcm',
      serviceAccount: Object.freeze({
        projectId: account.project_id,
        clientEmail: account.client_email,
        privateKey: account.private_key,
      }),
    });
  }
  return Object.freeze({ provider: 'fcm-secret', secretId: e.HERALD_FCM_SECRET_ID as string });
}

function publisherConfig(e: Pick<Parsed, (typeof PUBLISHER_FIELDS)[number]>): PublisherConfig {
  return {
    region: e.AWS_REGION,
    logLevel: e.HERALD_LOG_LEVEL ?? 'info',
    connectionsTable: e.HERALD_CONNECTIONS_TABLE,
    devicesTable: e.HERALD_DEVICES_TABLE,
    jobEventsTable: e.HERALD_JOB_EVENTS_TABLE,
    dynamodbEndpoint: e.HERALD_DYNAMODB_ENDPOINT,
    wsManagementEndpoint: e.HERALD_WS_MANAGEMENT_ENDPOINT,
    jobEventTtlSeconds: e.HERALD_JOB_EVENT_TTL_SECONDS ?? DEFAULT_JOB_EVENT_TTL_SECONDS,
    publishConcurrency: e.HERALD_PUBLISH_CONCURRENCY ?? DEFAULT_PUBLISH_CONCURRENCY,
    push: pushConfig(e),
  };
}

/**
 * Reads and validates the realtime configuration from an environment. Empty values count as
 * unset. Throws one {@link ConfigError} naming every missing or invalid variable.
 *
 * @example
 * const config = loadConfig(process.env); // only compose/ does this
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): RealtimeConfig {
  const e = parse(env, ALL_FIELDS);
  return Object.freeze({
    ...publisherConfig(e),
    ticketsTable: e.HERALD_TICKETS_TABLE,
    allowedOrigins: e.HERALD_ALLOWED_ORIGINS ?? [],
    jwt: Object.freeze({
      issuer: e.HERALD_JWT_ISSUER,
      audience: e.HERALD_JWT_AUDIENCE,
      jwksUri: e.HERALD_JWKS_URI,
    }),
    connectionTtlSeconds: e.HERALD_CONNECTION_TTL_SECONDS ?? DEFAULT_CONNECTION_TTL_SECONDS,
    maxDevicesPerUser: e.HERALD_MAX_DEVICES_PER_USER ?? DEFAULT_MAX_DEVICES_PER_USER,
    connectLimit:
      e.HERALD_CONNECT_ATTEMPTS_TABLE !== undefined && e.HERALD_CONNECT_LIMIT_PER_MINUTE !== undefined
        ? Object.freeze({
            table: e.HERALD_CONNECT_ATTEMPTS_TABLE,
            perMinute: e.HERALD_CONNECT_LIMIT_PER_MINUTE,
          })
        : undefined,
  });
}

/**
 * Reads only what the publisher needs, for Lambdas of other packages that publish events
 * (`getPublisher()`): no JWT or tickets variables.
 *
 * @example
 * const config = loadPublisherConfig(process.env);
 */
export function loadPublisherConfig(env: Readonly<Record<string, string | undefined>>): PublisherConfig {
  return Object.freeze(publisherConfig(parse(env, PUBLISHER_FIELDS)));
}

// ---------------------------------------------------------------------------------------------
// Shared topics: their own variables and loaders, so a handler that never touches topics (and
// the publisher in other packages' Lambdas) neither needs nor validates them.

/** The topic tables (`ws-default`, `ws-disconnect`, the topic handlers). Frozen. */
export interface TopicTablesConfig {
  /** `HERALD_TOPIC_GRANTS_TABLE`. */
  readonly topicGrantsTable: string;
  /** `HERALD_TOPIC_SUBSCRIPTIONS_TABLE`. */
  readonly topicSubscriptionsTable: string;
  /** `HERALD_TOPIC_EVENTS_TABLE`. */
  readonly topicEventsTable: string;
}

/** What publishing to a topic adds: the fan-out queue, the shard size and the log's TTL. Frozen. */
export interface TopicPublishConfig extends TopicTablesConfig {
  /** `HERALD_TOPIC_FANOUT_QUEUE_URL`: the queue of fan-out shards. */
  readonly fanoutQueueUrl: string;
  /** `HERALD_SQS_ENDPOINT`: SQS endpoint override (the local stack); unset on AWS. */
  readonly sqsEndpoint: string | undefined;
  /** `HERALD_TOPIC_SHARD_SIZE`: most connection ids per fan-out shard (default 500). */
  readonly topicShardSize: number;
  /** `HERALD_TOPIC_EVENT_TTL_SECONDS`: how long the topic log keeps an event (default an hour). */
  readonly topicEventTtlSeconds: number;
}

const TOPIC_TABLE_FIELDS = {
  HERALD_TOPIC_GRANTS_TABLE: required,
  HERALD_TOPIC_SUBSCRIPTIONS_TABLE: required,
  HERALD_TOPIC_EVENTS_TABLE: required,
};

/**
 * Reads the topic tables' names.
 *
 * @example
 * const { topicSubscriptionsTable } = loadTopicTablesConfig(process.env);
 */
export function loadTopicTablesConfig(env: Readonly<Record<string, string | undefined>>): TopicTablesConfig {
  const e = parseEnv(z.object(TOPIC_TABLE_FIELDS), env, '@herald/realtime');
  return Object.freeze({
    topicGrantsTable: e.HERALD_TOPIC_GRANTS_TABLE,
    topicSubscriptionsTable: e.HERALD_TOPIC_SUBSCRIPTIONS_TABLE,
    topicEventsTable: e.HERALD_TOPIC_EVENTS_TABLE,
  });
}

/**
 * Reads what topic publishing needs (`sns-notify`, `POST /admin/topics/{topic}/events`).
 *
 * @example
 * const { fanoutQueueUrl, topicShardSize } = loadTopicPublishConfig(process.env);
 */
export function loadTopicPublishConfig(
  env: Readonly<Record<string, string | undefined>>,
): TopicPublishConfig {
  const e = parseEnv(
    z.object({
      ...TOPIC_TABLE_FIELDS,
      HERALD_TOPIC_FANOUT_QUEUE_URL: required.pipe(httpUrl),
      HERALD_SQS_ENDPOINT: httpUrl.optional(),
      HERALD_TOPIC_SHARD_SIZE: wholeNumber(1, 2000).optional(),
      HERALD_TOPIC_EVENT_TTL_SECONDS: wholeNumber(60, 86_400, ' seconds').optional(),
    }),
    env,
    '@herald/realtime',
  );
  return Object.freeze({
    ...loadTopicTablesConfig(env),
    fanoutQueueUrl: e.HERALD_TOPIC_FANOUT_QUEUE_URL,
    sqsEndpoint: e.HERALD_SQS_ENDPOINT,
    topicShardSize: e.HERALD_TOPIC_SHARD_SIZE ?? DEFAULT_TOPIC_SHARD_SIZE,
    topicEventTtlSeconds: e.HERALD_TOPIC_EVENT_TTL_SECONDS ?? DEFAULT_TOPIC_EVENT_TTL_SECONDS,
  });
}
