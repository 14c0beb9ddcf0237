import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HandlerRef, HttpRoute, RouteTable } from '@herald/protocol';

/** The repository root (the folder of `pnpm-lock.yaml`): esbuild runs from here. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `realtime/ws-connect`: how a handler is named in errors, construct ids and the access table. */
export function handlerKey(ref: HandlerRef): string {
  return `${ref.package}/${ref.name}`;
}

/** `packages/<package>/src/handlers/<name>.ts`, as `@herald/protocol`'s route table documents. */
export function handlerEntry(ref: HandlerRef, root: string = REPO_ROOT): string {
  return join(root, 'packages', ref.package, 'src', 'handlers', `${ref.name}.ts`);
}

/** Every handler the route table names, once each, in table order. */
export function routeHandlers(routes: RouteTable<HttpRoute>): HandlerRef[] {
  const refs = [
    ...Object.values(routes.http).map((r) => r.handler),
    routes.ws.authorizer,
    ...routes.ws.routes.map((r) => r.handler),
    ...routes.queues.map((q) => q.handler),
    ...routes.topics.map((t) => t.handler),
  ];
  const seen = new Map<string, HandlerRef>();
  for (const ref of refs) if (!seen.has(handlerKey(ref))) seen.set(handlerKey(ref), ref);
  return [...seen.values()];
}

/** Thrown at synth when the route table names handlers whose entry files do not exist. */
export class MissingHandlerError extends Error {
  override readonly name = 'MissingHandlerError';
  constructor(readonly files: readonly string[]) {
    super(
      `The route table (ROUTES in @herald/protocol) names ${files.length} handler(s) without an entry file; ` +
        `nothing was synthesized. Create each file exporting \`handler\`, or remove its route:\n` +
        files.map((f) => `  - ${f}`).join('\n'),
    );
  }
}

/**
 * Fails synth, naming every missing entry file at once, when a routed handler does not exist.
 * Deploying an API whose routes point at nothing would only fail later and less clearly.
 */
export function assertHandlersExist(routes: RouteTable<HttpRoute>, root: string = REPO_ROOT): void {
  const missing = routeHandlers(routes)
    .map((ref) => handlerEntry(ref, root))
    .filter((file) => !existsSync(file))
    .map((file) => relative(root, file));
  if (missing.length > 0) throw new MissingHandlerError(missing);
}

/** DynamoDB actions a handler may be granted; nothing broader than the item API. */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Query';

/** Access to one table (by its `TableDefinition.id`); `indexes` adds `Query` on those GSIs. */
export interface TableGrant {
  readonly table: string;
  readonly actions: readonly DynamoAction[];
  readonly indexes?: readonly string[];
}

/** Logical bucket names, as the route table and the local stack use them. */
export type BucketName = 'uploads' | 'files';

/** Object-level access under one key prefix of a bucket. */
export interface BucketGrant {
  readonly bucket: BucketName;
  /** Key prefix, ending in `/`. */
  readonly prefix: string;
  readonly actions: readonly (
    | 's3:GetObject'
    | 's3:PutObject'
    | 's3:DeleteObject'
    | 's3:AbortMultipartUpload'
    | 's3:ListMultipartUploadParts'
  )[];
  /**
   * Adds `s3:ListBucket` on the bucket, for a handler that tells a missing key from a refusal: S3
   * answers GetObject/HeadObject of a missing key with 404 only when the caller may list the
   * bucket, and with 403 AccessDenied otherwise (S3 API reference, HeadObject, "Permissions").
   */
  readonly listsMissingKeys?: true;
}

/**
 * Time a handler spends inside one invocation on purpose (waiting for SRV-GW before answering
 * 202), stated in its environment as `variable` and derived from the function's timeout: it
 * ends `marginMs` before Lambda would kill the invocation, leaving time to hand off and answer.
 */
export interface TimeBudget {
  readonly variable: string;
  readonly marginMs: number;
}

/** The handlers that spend a budget, by handler key. */
export const HANDLER_BUDGETS: Readonly<Record<string, TimeBudget>> = {
  // Queue the fetch, answer 202: well under a second; two leave room for a cold SQS client.
  'files/http-create-file-link': { variable: 'HERALD_FILE_LINK_BUDGET_MS', marginMs: 2000 },
};

/**
 * The handlers that stream files of any size and must hold their memory whatever the size
 * ({@link HeraldFunctionProps.streaming}).
 */
export const STREAMING_HANDLERS: ReadonlySet<string> = new Set(['ingest/sqs-ingest']);

/** Secrets loaded after deploy (docs/deploy.md). */
export type SecretName = 'fcm' | 'srvgw';

/**
 * What one handler may touch. Deny by default: a handler gets exactly this, plus logs, X-Ray
 * and (when `database` or `internet` puts it in the VPC) its network interfaces.
 */
export interface HandlerAccess {
  readonly tables?: readonly TableGrant[];
  readonly buckets?: readonly BucketGrant[];
  /** Connects to PostgreSQL (puts the function in the VPC), through RDS Proxy unless `databaseEndpoint` says otherwise. */
  readonly database?: boolean;
  /**
   * `instance`: connects to the DB instance itself, not RDS Proxy — for a client that holds one
   * connection for minutes (a COPY pins a proxy session anyway) and needs what the proxy is not
   * known to relay (PostgreSQL 18, NOTICE messages). @default 'proxy'
   */
  readonly databaseEndpoint?: 'proxy' | 'instance';
  /** Posts to WebSocket connections (`execute-api:ManageConnections` on the stage). */
  readonly manageConnections?: boolean;
  readonly secrets?: readonly SecretName[];
  /** Sends to these source-less queues (route ids in `ROUTES.queues`). */
  readonly sendToQueues?: readonly string[];
  /**
   * Signs download links: reads the CloudFront signing key secret when the stack has a
   * downloads distribution (nothing without one: links are then presigned S3 GETs).
   */
  readonly signsDownloads?: boolean;
}

/**
 * The publisher (`getPublisher().publish(userId, event)` in `@herald/realtime`): appends the
 * event to the job event log (for `resume`), finds the user's connections on the `byUser` GSI,
 * posts to each, deletes exactly the connection that answered 410, and falls back to FCM for the
 * user's devices, removing tokens FCM reports unregistered.
 */
const PUBLISHER: HandlerAccess = {
  tables: [
    { table: 'Connections', actions: ['dynamodb:DeleteItem'], indexes: ['byUser'] },
    { table: 'JobEvents', actions: ['dynamodb:PutItem'] },
    { table: 'Devices', actions: ['dynamodb:Query', 'dynamodb:DeleteItem'] },
  ],
  manageConnections: true,
  secrets: ['fcm'],
};

/**
 * A topic publish (`publishToTopic` in `@herald/realtime`): takes the topic's next `seq` (UpdateItem
 * ADD on the counter item), appends the event to the topic log, Queries the topic's subscribers
 * (the base table's partition, never a Scan) and sends the shards to the fan-out queue.
 */
const TOPIC_PUBLISHER: HandlerAccess = {
  tables: [
    { table: 'TopicEvents', actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem'] },
    { table: 'TopicSubscriptions', actions: ['dynamodb:Query'] },
  ],
  sendToQueues: ['TopicFanoutQueue'],
};

/**
 * A fetch streams the SRV-GW file into `files/<path>` (a multipart upload, aborted on failure),
 * checks what was stored (HeadObject) and deletes a copy that broke the size or type rules.
 */
const FILE_COPY: BucketGrant = {
  bucket: 'files',
  prefix: 'files/',
  actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
  // A link HEADs `files/<path>` to find a cached copy; a miss must read as 404, not 403.
  listsMissingKeys: true,
};

function merge(...parts: HandlerAccess[]): HandlerAccess {
  return {
    tables: parts.flatMap((p) => p.tables ?? []),
    buckets: parts.flatMap((p) => p.buckets ?? []),
    database: parts.some((p) => p.database),
    ...(parts.some((p) => p.databaseEndpoint === 'instance') && { databaseEndpoint: 'instance' as const }),
    manageConnections: parts.some((p) => p.manageConnections),
    secrets: [...new Set(parts.flatMap((p) => p.secrets ?? []))],
    sendToQueues: [...new Set(parts.flatMap((p) => p.sendToQueues ?? []))],
    signsDownloads: parts.some((p) => p.signsDownloads),
  };
}

/**
 * Least privilege, per handler, keyed by {@link handlerKey}: the DynamoDB, S3 and Management API
 * calls each handler's adapters make, and nothing else. Every routed handler must have an entry
 * (synth fails otherwise), so a new route cannot deploy with permissions nobody chose.
 */
export const HANDLER_ACCESS: Readonly<Record<string, HandlerAccess>> = {
  // Realtime: WebSocket. A ticket is redeemed by a conditional delete (single use); every attempt
  // is counted per client IP by a conditional update (ADR 004).
  'realtime/ws-authorize': {
    tables: [
      { table: 'Tickets', actions: ['dynamodb:DeleteItem'] },
      { table: 'ConnectAttempts', actions: ['dynamodb:UpdateItem'] },
    ],
  },
  'realtime/ws-connect': { tables: [{ table: 'Connections', actions: ['dynamodb:PutItem'] }] },
  // The connection's shared-topic subscriptions (found on the byConnection GSI), then its item.
  'realtime/ws-disconnect': {
    tables: [
      { table: 'Connections', actions: ['dynamodb:DeleteItem'] },
      { table: 'TopicSubscriptions', actions: ['dynamodb:DeleteItem'], indexes: ['byConnection'] },
    ],
  },
  // subscribe/unsubscribe update the connection item (and, for a shared topic, read its grants
  // and write the topic subscriptions table); resume reads the job or topic event log (and the
  // topic's counter) and posts the replay through @connections so it arrives in order.
  'realtime/ws-default': {
    tables: [
      { table: 'Connections', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
      { table: 'JobEvents', actions: ['dynamodb:Query'] },
      { table: 'TopicGrants', actions: ['dynamodb:Query'] },
      { table: 'TopicSubscriptions', actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'] },
      { table: 'TopicEvents', actions: ['dynamodb:GetItem', 'dynamodb:Query'] },
    ],
    manageConnections: true,
  },
  // Realtime: REST.
  'realtime/http-whoami': {},
  'realtime/http-create-ticket': { tables: [{ table: 'Tickets', actions: ['dynamodb:PutItem'] }] },
  // Counts the user's devices (cap), writes the device, removes the token from other users (GSI).
  'realtime/http-register-device': {
    tables: [
      {
        table: 'Devices',
        actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        indexes: ['byToken'],
      },
    ],
  },
  'realtime/http-delete-device': { tables: [{ table: 'Devices', actions: ['dynamodb:DeleteItem'] }] },
  // A notification to a user (the publisher) or to a shared topic (the topic publisher).
  'realtime/sns-notify': merge(PUBLISHER, TOPIC_PUBLISHER),
  // Shared topics: grants (admins), publishing (admins) and the fan-out worker, which posts one
  // shard and removes connections that answered 410 from both tables.
  'realtime/http-list-topic-grants': { tables: [{ table: 'TopicGrants', actions: ['dynamodb:Query'] }] },
  'realtime/http-create-topic-grant': { tables: [{ table: 'TopicGrants', actions: ['dynamodb:PutItem'] }] },
  // Deletes the grant, then removes the subscribers the remaining grants no longer admit and
  // tells each of them (an error frame posted to its connection).
  'realtime/http-delete-topic-grant': {
    tables: [
      { table: 'TopicGrants', actions: ['dynamodb:DeleteItem', 'dynamodb:Query'] },
      { table: 'TopicSubscriptions', actions: ['dynamodb:Query', 'dynamodb:DeleteItem'] },
    ],
    manageConnections: true,
  },
  'realtime/http-publish-topic-event': TOPIC_PUBLISHER,
  'realtime/sqs-topic-fanout': {
    tables: [
      { table: 'Connections', actions: ['dynamodb:DeleteItem'] },
      { table: 'TopicSubscriptions', actions: ['dynamodb:DeleteItem'], indexes: ['byConnection'] },
    ],
    manageConnections: true,
  },
  // Ingest: REST. The presigned URLs carry the signing role's permission, so the role that signs
  // an upload may put exactly there, and the one that signs a report link may read exactly there.
  // PutObject also authorizes CreateMultipartUpload, UploadPart (the presigned parts) and
  // CompleteMultipartUpload; ListParts and AbortMultipartUpload have actions of their own
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
  'ingest/http-create-upload': {
    database: true,
    buckets: [{ bucket: 'uploads', prefix: 'uploads/', actions: ['s3:PutObject'] }],
  },
  'ingest/http-presign-upload-parts': {
    database: true,
    buckets: [{ bucket: 'uploads', prefix: 'uploads/', actions: ['s3:PutObject'] }],
  },
  'ingest/http-get-upload': {
    database: true,
    buckets: [{ bucket: 'uploads', prefix: 'uploads/', actions: ['s3:ListMultipartUploadParts'] }],
  },
  // Checks the client's parts against ListParts and queues the completion (S3 may take minutes
  // to assemble a large object: longer than the API may wait). A repeated call after the
  // completion finds S3 no longer knows the upload: HeadObject (GetObject, and ListBucket so a
  // missing object reads as 404) tells a completed upload from a gone one.
  'ingest/http-complete-upload': {
    database: true,
    buckets: [
      {
        bucket: 'uploads',
        prefix: 'uploads/',
        actions: ['s3:ListMultipartUploadParts', 's3:GetObject'],
        listsMissingKeys: true,
      },
    ],
    sendToQueues: ['UploadCompletionQueue'],
  },
  'ingest/http-abort-upload': {
    database: true,
    buckets: [{ bucket: 'uploads', prefix: 'uploads/', actions: ['s3:AbortMultipartUpload'] }],
  },
  'ingest/http-list-jobs': { database: true },
  'ingest/http-get-job': { database: true },
  'ingest/http-get-job-errors': {
    database: true,
    buckets: [{ bucket: 'uploads', prefix: 'reports/', actions: ['s3:GetObject'] }],
  },
  // Cancels a waiting job at once and publishes its job.cancelled; for a running one, records
  // the request and ends the worker's statement (pg_cancel_backend, SQL only: no AWS action).
  'ingest/http-cancel-job': merge({ database: true }, PUBLISHER),
  // Ingest: the worker streams the upload, loads PostgreSQL, writes the reject report and
  // publishes progress.
  'ingest/sqs-ingest': merge(
    {
      database: true,
      databaseEndpoint: 'instance',
      buckets: [
        // DeleteObject: an object that is not the size declared for its job is refused and deleted.
        { bucket: 'uploads', prefix: 'uploads/', actions: ['s3:GetObject', 's3:DeleteObject'] },
        { bucket: 'uploads', prefix: 'reports/', actions: ['s3:PutObject'] },
      ],
    },
    PUBLISHER,
  ),
  // Completes a checked multipart upload off the request path: ListParts, then
  // CompleteMultipartUpload (authorized by PutObject); HeadObject as above tells a repeated message
  // after a completion from an upload that is gone (whose job it then fails).
  'ingest/sqs-complete-upload': {
    database: true,
    buckets: [
      {
        bucket: 'uploads',
        prefix: 'uploads/',
        actions: ['s3:ListMultipartUploadParts', 's3:PutObject', 's3:GetObject'],
        listsMissingKeys: true,
      },
    ],
  },
  // Files (workflow 2, file delivery): grants are PostgreSQL rows; a link checks the caller's
  // grants, reuses or fetches the SRV-GW file into `files/<path>` and presigns a download (also
  // published as `file.ready`), handing fetches that outlive its budget to FileFetchQueue.
  'files/http-create-file-link': merge(
    {
      database: true,
      secrets: ['srvgw'],
      buckets: [FILE_COPY],
      sendToQueues: ['FileFetchQueue'],
      signsDownloads: true,
    },
    PUBLISHER,
  ),
  'files/http-list-grants': { database: true },
  'files/http-create-grant': { database: true },
  'files/http-delete-grant': { database: true },
  'files/sqs-fetch-file': merge(
    {
      database: true,
      secrets: ['srvgw'],
      buckets: [FILE_COPY],
      signsDownloads: true,
    },
    PUBLISHER,
  ),
};

/** The access entry of a routed handler; throws for a handler nobody granted anything. */
export function accessFor(ref: HandlerRef): HandlerAccess {
  const access = HANDLER_ACCESS[handlerKey(ref)];
  if (access === undefined) {
    throw new Error(
      `handler ${handlerKey(ref)} has no entry in HANDLER_ACCESS (packages/infra/lib/handlers.ts): ` +
        'declare what it may touch (an empty object for nothing) before it can deploy',
    );
  }
  return access;
}
