/**
 * The ONE route table. `infra` builds API Gateway resources from it and `local` routes
 * requests with it, so the two gateways cannot drift. Pure data: handlers are named, not
 * imported, so this package stays free of server code.
 *
 * A handler reference resolves to `packages/<package>/src/handlers/<name>.ts`, which exports
 * `handler` (the Lambda entry point). `@herald/<package>/handlers/<name>` is its import path.
 */

/** Where a Lambda handler lives. */
export interface HandlerRef {
  readonly package: 'ingest' | 'files' | 'realtime';
  /** kebab-case file name under `src/handlers/`, named by trigger (`http-whoami`, `ws-connect`). */
  readonly name: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * A REST route. `auth: 'cognito'` means API Gateway's Cognito user-pool authorizer guards it
 * and the handler reads `requestContext.authorizer.claims`. Deny by default: `'none'` must be
 * chosen explicitly and is reserved for routes that carry no user data.
 */
export interface HttpRoute {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/jobs/{id}`; `{name+}` is a greedy parameter. */
  readonly path: string;
  readonly handler: HandlerRef;
  readonly auth: 'cognito' | 'none';
}

/** A WebSocket route, selected by `routeKey` (`$request.body.action` for custom keys). */
export interface WsRoute {
  readonly routeKey: string;
  readonly handler: HandlerRef;
}

/**
 * A queue-triggered Lambda fed by S3 object-created notifications (S3 → SQS → Lambda on AWS;
 * s3rver events → the in-process queue locally).
 */
export interface QueueRoute {
  /** Logical id: CDK construct id of the queue. */
  readonly id: string;
  readonly handler: HandlerRef;
  /**
   * Which bucket (by logical name: `uploads` | `files`) and key prefix feed the queue. Without a
   * source, handlers feed it with SQS SendMessage; they find it in `HERALD_<ID>_URL` (see
   * {@link queueUrlVariable}).
   */
  readonly source?: { readonly bucket: string; readonly prefix: string };
  readonly batchSize: number;
  /** Receives before a message goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** The worker's timeout; the queue's visibility timeout is 6× this, as AWS advises. */
  readonly timeoutSeconds: number;
}

/** A Lambda subscribed to an SNS topic (other services publish notifications through it). */
export interface TopicRoute {
  /** Logical id: CDK construct id of the topic. */
  readonly id: string;
  readonly handler: HandlerRef;
}

export interface RouteTable {
  readonly http: readonly HttpRoute[];
  readonly queues: readonly QueueRoute[];
  readonly topics: readonly TopicRoute[];
  readonly ws: {
    /** REQUEST authorizer run before `$connect`; an unauthenticated upgrade never reaches a handler. */
    readonly authorizer: HandlerRef;
    /** Identity sources the authorizer needs, as API Gateway expresses them. */
    readonly identitySource: readonly string[];
    /** Expression API Gateway evaluates to pick a route. */
    readonly routeSelectionExpression: '$request.body.action';
    readonly routes: readonly WsRoute[];
  };
}

const realtime = (name: string): HandlerRef => ({ package: 'realtime', name });
const ingest = (name: string): HandlerRef => ({ package: 'ingest', name });
const files = (name: string): HandlerRef => ({ package: 'files', name });

export const ROUTES: RouteTable = {
  http: [
    { method: 'GET', path: '/me', handler: realtime('http-whoami'), auth: 'cognito' },
    // Workflow 1: CSV ingest.
    { method: 'POST', path: '/uploads', handler: ingest('http-create-upload'), auth: 'cognito' },
    { method: 'GET', path: '/jobs', handler: ingest('http-list-jobs'), auth: 'cognito' },
    { method: 'GET', path: '/jobs/{id}', handler: ingest('http-get-job'), auth: 'cognito' },
    { method: 'GET', path: '/jobs/{id}/errors', handler: ingest('http-get-job-errors'), auth: 'cognito' },
    // Workflow 2: file delivery, deny by default; grants managed by admins.
    { method: 'POST', path: '/files/links', handler: files('http-create-file-link'), auth: 'cognito' },
    { method: 'GET', path: '/admin/grants', handler: files('http-list-grants'), auth: 'cognito' },
    { method: 'POST', path: '/admin/grants', handler: files('http-create-grant'), auth: 'cognito' },
    { method: 'DELETE', path: '/admin/grants/{id}', handler: files('http-delete-grant'), auth: 'cognito' },
    // Realtime: one-time WebSocket tickets and push-device registry.
    { method: 'POST', path: '/realtime/tickets', handler: realtime('http-create-ticket'), auth: 'cognito' },
    { method: 'POST', path: '/devices', handler: realtime('http-register-device'), auth: 'cognito' },
    { method: 'DELETE', path: '/devices/{token}', handler: realtime('http-delete-device'), auth: 'cognito' },
  ],
  queues: [
    {
      id: 'IngestQueue',
      handler: ingest('sqs-ingest'),
      source: { bucket: 'uploads', prefix: 'uploads/' },
      // One file per invocation: a file can take minutes, and a batch shares one timeout.
      batchSize: 1,
      maxReceiveCount: 3,
      timeoutSeconds: 900,
    },
    {
      // Fetches that outlive the API's 29 s integration timeout continue here (202 + file.ready).
      id: 'FileFetchQueue',
      handler: files('sqs-fetch-file'),
      batchSize: 1,
      maxReceiveCount: 3,
      timeoutSeconds: 300,
    },
  ],
  topics: [{ id: 'NotifyTopic', handler: realtime('sns-notify') }],
  ws: {
    authorizer: realtime('ws-authorize'),
    // Either credential may be present, so neither header nor query string is a required
    // identity source; the authorizer itself refuses a request that carries neither.
    identitySource: [],
    routeSelectionExpression: '$request.body.action',
    routes: [
      { routeKey: '$connect', handler: realtime('ws-connect') },
      { routeKey: '$disconnect', handler: realtime('ws-disconnect') },
      { routeKey: '$default', handler: realtime('ws-default') },
    ],
  },
};

/** Splits an API Gateway path template into segments; `{name}` and `{name+}` become parameters. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/').filter(Boolean);
  const p = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i] as string;
    const greedy = /^\{(\w+)\+\}$/.exec(seg);
    if (greedy) {
      if (i >= p.length) return undefined;
      params[greedy[1] as string] = p.slice(i).join('/');
      return params;
    }
    const value = p[i];
    if (value === undefined) return undefined;
    const param = /^\{(\w+)\}$/.exec(seg);
    if (param) params[param[1] as string] = value;
    else if (seg !== value) return undefined;
  }
  return t.length === p.length ? params : undefined;
}

/** The environment variable that gives handlers a source-less queue's URL: `FileFetchQueue` → `HERALD_FILE_FETCH_QUEUE_URL`. */
export function queueUrlVariable(queueId: string): string {
  return `HERALD_${queueId.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_URL`;
}
