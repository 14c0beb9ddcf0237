import {
  filesHandler as files,
  type HandlerRef,
  ingestHandler as ingest,
  realtimeHandler as realtime,
} from './handler-ref.ts';
import { type HttpRoute, REST_ROUTES, type RestRoute } from './rest-routes.ts';

// The ONE route table. `infra` builds API Gateway resources, queues and topics from it and
// `local` routes requests with it, so the two gateways cannot drift. Pure data: handlers are
// named, not imported, so this package stays free of server code.

/**
 * A WebSocket route, selected by `routeKey` (`$request.body.action` for custom keys).
 *
 * @example
 * const route: WsRoute = { routeKey: '$connect', handler: realtimeHandler('ws-connect') };
 */
export interface WsRoute {
  readonly routeKey: string;
  readonly handler: HandlerRef;
}

/**
 * A queue-triggered Lambda, fed by S3 object-created notifications (S3 → SQS → Lambda on AWS;
 * s3rver events → the in-process queue locally) or by handlers sending to it.
 *
 * @example
 * const ingest = ROUTES.queues.find((queue) => queue.id === 'IngestQueue');
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

/**
 * A Lambda subscribed to an SNS topic (other services publish notifications through it).
 *
 * @example
 * const [notify] = ROUTES.topics; // { id: 'NotifyTopic', handler: { package: 'realtime', name: 'sns-notify' } }
 */
export interface TopicRoute {
  /** Logical id: CDK construct id of the topic. */
  readonly id: string;
  readonly handler: HandlerRef;
}

/**
 * A route table. `http` holds one route per name: in {@link ROUTES}, the full contract of each
 * REST route; a gateway needs only the {@link HttpRoute} part, so tests may route with less.
 *
 * @example
 * const table: RouteTable<HttpRoute> = { ...ROUTES, http: { me: { method: 'GET', path: '/me', handler, auth: 'cognito' } } };
 */
export interface RouteTable<Http extends HttpRoute = RestRoute> {
  readonly http: Readonly<Record<string, Http>>;
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

/**
 * Herald's routes: the REST contracts by name ({@link REST_ROUTES}), the queue and topic
 * workers, and the WebSocket API.
 *
 * @example
 * for (const route of Object.values(ROUTES.http)) console.log(route.name, route.method, route.path);
 */
export const ROUTES: RouteTable & { readonly http: typeof REST_ROUTES } = {
  http: REST_ROUTES,
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
    {
      // Multipart completions: S3 may take minutes to assemble a large object, longer than the
      // API's 29 s integration timeout, so `POST /uploads/{jobId}/complete` validates the parts
      // and queues the completion here; the object's S3 event then feeds IngestQueue.
      id: 'UploadCompletionQueue',
      handler: ingest('sqs-complete-upload'),
      batchSize: 1,
      maxReceiveCount: 3,
      timeoutSeconds: 900,
    },
    {
      // One shard of a topic fan-out (at most HERALD_TOPIC_SHARD_SIZE connections) per
      // invocation, so shards post in parallel workers. A shard is redelivered whole when a
      // worker dies or posts keep failing; clients drop the repeats by seq.
      id: 'TopicFanoutQueue',
      handler: realtime('sqs-topic-fanout'),
      batchSize: 1,
      maxReceiveCount: 5,
      timeoutSeconds: 60,
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

/**
 * The environment variable that gives handlers a source-less queue's URL.
 *
 * @example
 * queueUrlVariable('FileFetchQueue'); // 'HERALD_FILE_FETCH_QUEUE_URL'
 */
export function queueUrlVariable(queueId: string): string {
  return `HERALD_${queueId.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_URL`;
}
