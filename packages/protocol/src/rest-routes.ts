import type { ZodObject, ZodType } from 'zod';
import * as z from 'zod';
import type { ErrorCode } from './errors.ts';
import {
  filesHandler as files,
  type HandlerRef,
  ingestHandler as ingest,
  realtimeHandler as realtime,
} from './handler-ref.ts';
import {
  CreateTicketResponseSchema,
  DeviceTokenSchema,
  RegisterDeviceRequestSchema,
  RegisterDeviceResponseSchema,
} from './realtime-rest.ts';
import {
  CreateFileGrantRequestSchema,
  CreateFileLinkRequestSchema,
  CreateUploadRequestSchema,
  CreateUploadResponseSchema,
  CurrentUserSchema,
  FileGrantListSchema,
  FileGrantSchema,
  FileLinkPendingSchema,
  FileLinkSchema,
  JOB_LIST_DEFAULT_LIMIT,
  JOB_LIST_MAX_LIMIT,
  JobErrorsSchema,
  JobListSchema,
  JobViewSchema,
  ListJobsQuerySchema,
} from './rest.ts';
import {
  type HttpMethod,
  type PathParamName,
  type PathParams,
  REST_ENDPOINTS,
  type RestRouteName,
} from './rest-endpoints.ts';
import {
  CompletedUploadSchema,
  CompleteUploadRequestSchema,
  PresignedPartsSchema,
  PresignPartsRequestSchema,
  UploadStatusSchema,
} from './rest-multipart.ts';
import {
  CreateTopicGrantRequestSchema,
  PublishTopicEventRequestSchema,
  PublishTopicEventResponseSchema,
  SharedTopicSchema,
  TopicGrantListSchema,
  TopicGrantSchema,
} from './topics.ts';

// One contract per REST route, ts-rest style: where it lives (method and path, from
// `REST_ENDPOINTS`), who may call it and which handler serves it, what it reads and what it
// answers. Everything derives from these objects: the CDK REST API and the local gateway route
// with them, the OpenAPI document describes them, the authorization matrix walks them, and the
// client SDK's calls are typed from them.

/**
 * What an API gateway needs to route a request: method, path template, the Lambda handler and
 * the authorizer. `auth: 'cognito'` means API Gateway's Cognito user-pool authorizer guards the
 * route and the handler reads `requestContext.authorizer.claims`. Deny by default: `'none'` must
 * be chosen explicitly and is reserved for routes that carry no user data.
 *
 * @example
 * const route: HttpRoute = { method: 'GET', path: '/me', handler: realtimeHandler('http-whoami'), auth: 'cognito' };
 */
export interface HttpRoute {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/jobs/{id}`; `{name+}` is a greedy parameter. */
  readonly path: string;
  readonly handler: HandlerRef;
  readonly auth: 'cognito' | 'none';
}

/**
 * Success statuses a Herald REST route answers with.
 *
 * @example
 * const created: RestSuccessStatus = 201;
 */
export type RestSuccessStatus = 200 | 201 | 202 | 204;

/**
 * A response body that is JSON but has no schema in `@herald/protocol` yet. Documented as a JSON
 * object; listed by {@link restContractGaps} so the gap stays visible until a schema exists.
 *
 * @example
 * const pending: RestSuccessResponse = { description: 'Not specified yet.', body: UNSPECIFIED_BODY };
 */
export const UNSPECIFIED_BODY = 'unspecified';

/**
 * One success response.
 *
 * @example
 * const ok: RestSuccessResponse = { description: 'The job.', body: JobViewSchema };
 */
export interface RestSuccessResponse {
  readonly description: string;
  /** The JSON body; `null` for none (`204`); {@link UNSPECIFIED_BODY} while the schema is missing. */
  readonly body: ZodType | null | typeof UNSPECIFIED_BODY;
}

/**
 * What a route reads; its handler parses each part with these schemas.
 *
 * @example
 * const request: RestRequestSchemas = { params: { id: z.uuid() } };
 */
export interface RestRequestSchemas {
  /** One schema per `{name}` (or `{name+}`) in the path template, and no other. */
  readonly params?: Readonly<Record<string, ZodType>>;
  /** Query string parameters: one per property. */
  readonly query?: ZodObject;
  /** The JSON request body. */
  readonly body?: ZodType;
}

/**
 * The contract of one REST route: where it lives, who may call it, what it reads and answers.
 *
 * @example
 * const route: RestRoute = ROUTES.http.getJob;
 * route.request.params?.id?.parse(event.pathParameters?.id);
 */
export interface RestRoute extends HttpRoute {
  /** Stable name: the OpenAPI `operationId` and the SDK's `client.rest.<name>`. */
  readonly name: string;
  /** Groups operations in the docs (`jobs`, `files`, …). */
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly request: RestRequestSchemas;
  readonly responses: Readonly<Partial<Record<RestSuccessStatus, RestSuccessResponse>>>;
  /**
   * Error codes the route's handler answers with (each in the error envelope, with the status
   * `ERROR_CODES` gives it). Codes every route can answer with are not repeated here: see
   * {@link restErrorCodes}.
   */
  readonly errors: readonly ErrorCode[];
}

/**
 * Codes any route can answer with: API Gateway throttling and an unexpected server fault.
 *
 * @example
 * COMMON_REST_ERROR_CODES.includes('RATE_LIMITED'); // true
 */
export const COMMON_REST_ERROR_CODES = ['RATE_LIMITED', 'INTERNAL'] as const satisfies readonly ErrorCode[];

/**
 * Codes every `auth: 'cognito'` route adds: the authorizer's refusal of a missing or expired token.
 *
 * @example
 * AUTH_REST_ERROR_CODES; // ['UNAUTHENTICATED']
 */
export const AUTH_REST_ERROR_CODES = ['UNAUTHENTICATED'] as const satisfies readonly ErrorCode[];

/**
 * Every error code a route may answer with: its own, the authorizer's, and the common ones.
 *
 * @example
 * restErrorCodes(ROUTES.http.getJob); // ['NOT_FOUND', 'UPSTREAM_UNAVAILABLE', 'UNAUTHENTICATED', 'RATE_LIMITED', 'INTERNAL']
 */
export function restErrorCodes(route: RestRoute): ErrorCode[] {
  return [
    ...route.errors,
    ...(route.auth === 'cognito' ? AUTH_REST_ERROR_CODES : []),
    ...COMMON_REST_ERROR_CODES,
  ];
}

const json = <Body extends ZodType>(description: string, body: Body) => ({ description, body });
const noContent = (description: string) => ({ description, body: null });

/** A body that is not JSON, or JSON that fails the schema (the gateway or the handler refuses it). */
const BODY_ERRORS = ['BAD_REQUEST', 'VALIDATION_FAILED'] as const satisfies readonly ErrorCode[];

/** A route's contract before its endpoint is added: `params` must name exactly the path's parameters. */
type RouteSpec<Path extends string> = Omit<RestRoute, 'name' | 'method' | 'path' | 'request'> & {
  readonly request: Omit<RestRequestSchemas, 'params'> &
    ([PathParamName<Path>] extends [never]
      ? { readonly params?: never }
      : { readonly params: { readonly [Name in PathParamName<Path>]: ZodType } });
};

type RouteSpecs = { readonly [Name in RestRouteName]: RouteSpec<(typeof REST_ENDPOINTS)[Name]['path']> };

type Contracts<Specs extends RouteSpecs> = {
  readonly [Name in RestRouteName]: { readonly name: Name } & (typeof REST_ENDPOINTS)[Name] & Specs[Name];
};

/** Completes each spec with its name, method and path, in the order of {@link REST_ENDPOINTS}. */
function withEndpoints<const Specs extends RouteSpecs>(specs: Specs): Contracts<Specs> {
  const names = Object.keys(REST_ENDPOINTS) as RestRouteName[];
  // Object.fromEntries forgets the per-name types; the mapped type states them.
  return Object.fromEntries(
    names.map((name) => [name, { name, ...REST_ENDPOINTS[name], ...specs[name] }]),
  ) as Contracts<Specs>;
}

/**
 * The contract of every REST route, by name: `ROUTES.http`. A unit test checks that each
 * declares exactly its path's parameters and documents only catalogue error codes.
 *
 * @example
 * const route = REST_ROUTES.createUpload; // { name, method: 'POST', path: '/uploads', auth, handler, request, … }
 * const body = route.request.body.parse(JSON.parse(text));
 */
export const REST_ROUTES = withEndpoints({
  whoami: {
    auth: 'cognito',
    handler: realtime('http-whoami'),
    tag: 'account',
    summary: 'The signed-in user',
    description: 'The caller’s `userId`, `username` and `groups`, from the Cognito claims.',
    request: {},
    responses: { 200: json('The signed-in user.', CurrentUserSchema) },
    errors: [],
  },
  createUpload: {
    auth: 'cognito',
    handler: ingest('http-create-upload'),
    tag: 'jobs',
    summary: 'Create an upload',
    description:
      'Creates an ingest job `awaiting_upload` and a presigned PUT that accepts exactly `sizeBytes` bytes ' +
      '(at or above the multipart threshold, 16 MiB by default: a multipart upload with its first parts presigned). ' +
      'Progress follows as `job.*` events on the WebSocket. Only members of the dataset’s `uploadGroups` ' +
      '(herald.datasets.json) may upload to it: anyone else gets 403 `DATASET_NOT_ALLOWED` and no job.',
    request: { body: CreateUploadRequestSchema },
    responses: { 201: json('The job and its presigned upload.', CreateUploadResponseSchema) },
    errors: [
      ...BODY_ERRORS,
      'UNKNOWN_DATASET',
      'DATASET_NOT_ALLOWED',
      'INVALID_FILE_NAME',
      'EMPTY_FILE',
      'FILE_TOO_LARGE',
      'UPSTREAM_UNAVAILABLE',
    ],
  },
  presignUploadParts: {
    auth: 'cognito',
    handler: ingest('http-presign-upload-parts'),
    tag: 'jobs',
    summary: 'Presign parts of a multipart upload',
    description:
      'Short-lived PUT URLs for the parts named (at most 100 per call). Another user’s job answers 404; ' +
      'a job that is not a multipart upload still awaiting its parts answers 409.',
    request: { params: { jobId: z.uuid() }, body: PresignPartsRequestSchema },
    responses: { 200: json('The presigned parts.', PresignedPartsSchema) },
    errors: [...BODY_ERRORS, 'NOT_FOUND', 'CONFLICT', 'UPSTREAM_UNAVAILABLE'],
  },
  getUpload: {
    auth: 'cognito',
    handler: ingest('http-get-upload'),
    tag: 'jobs',
    summary: 'List the parts of a multipart upload',
    description:
      'The parts S3 already holds (S3 `ListParts`), so a client that lost its connection or its page uploads ' +
      'only the others. 410 when the upload no longer exists.',
    request: { params: { jobId: z.uuid() } },
    responses: { 200: json('The upload and the parts S3 holds.', UploadStatusSchema) },
    errors: ['NOT_FOUND', 'CONFLICT', 'UPLOAD_EXPIRED', 'UPSTREAM_UNAVAILABLE'],
  },
  completeUpload: {
    auth: 'cognito',
    handler: ingest('http-complete-upload'),
    tag: 'jobs',
    summary: 'Complete a multipart upload',
    description:
      'Checks the parts (every part, ascending, with the ETag its PUT answered: exactly the parts S3 holds) ' +
      'and queues their assembly, which S3 may take minutes to finish for a large object: the 200 comes ' +
      'before the object exists. A repeated call while the assembly is pending answers 200 again. The ' +
      'object must then be exactly the declared size, or the job fails with `OBJECT_SMALLER_THAN_DECLARED` / ' +
      '`OBJECT_LARGER_THAN_DECLARED` and the object is deleted; an upload S3 no longer knows by then fails ' +
      'the job with `UPLOAD_EXPIRED`.',
    request: { params: { jobId: z.uuid() }, body: CompleteUploadRequestSchema },
    responses: {
      200: json(
        'The parts are checked and their assembly queued; the job follows as `job.*` events.',
        CompletedUploadSchema,
      ),
    },
    errors: [
      ...BODY_ERRORS,
      'NOT_FOUND',
      'CONFLICT',
      'INVALID_PART',
      'PART_TOO_SMALL',
      'UPLOAD_EXPIRED',
      'UPSTREAM_UNAVAILABLE',
    ],
  },
  abortUpload: {
    auth: 'cognito',
    handler: ingest('http-abort-upload'),
    tag: 'jobs',
    summary: 'Abort a multipart upload',
    description:
      'Discards the parts S3 holds; the job ends `failed` with `UPLOAD_ABORTED`. Only while the job awaits ' +
      'its upload (409 afterwards).',
    request: { params: { jobId: z.uuid() } },
    responses: { 204: noContent('The upload is aborted and its job failed with `UPLOAD_ABORTED`.') },
    errors: ['NOT_FOUND', 'CONFLICT', 'UPSTREAM_UNAVAILABLE'],
  },
  listJobs: {
    auth: 'cognito',
    handler: ingest('http-list-jobs'),
    tag: 'jobs',
    summary: 'List the caller’s jobs',
    description:
      `Newest first, \`limit\` per page (default ${JOB_LIST_DEFAULT_LIMIT}, at most ${JOB_LIST_MAX_LIMIT}); ` +
      'pass `nextCursor` as `cursor` for the next page.',
    request: { query: ListJobsQuerySchema },
    responses: { 200: json('One page of jobs.', JobListSchema) },
    errors: ['VALIDATION_FAILED', 'UPSTREAM_UNAVAILABLE'],
  },
  getJob: {
    auth: 'cognito',
    handler: ingest('http-get-job'),
    tag: 'jobs',
    summary: 'Get a job',
    description: 'Another user’s job answers 404 like a missing one: existence is not revealed.',
    request: { params: { id: z.uuid() } },
    responses: { 200: json('The job.', JobViewSchema) },
    errors: ['NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
  getJobErrors: {
    auth: 'cognito',
    handler: ingest('http-get-job-errors'),
    tag: 'jobs',
    summary: 'Get a job’s row errors',
    description:
      'The first refused rows and, when the worker wrote one, a short-lived link to the full reject report.',
    request: { params: { id: z.uuid() } },
    responses: { 200: json('The job’s errors.', JobErrorsSchema) },
    errors: ['NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
  cancelJob: {
    auth: 'cognito',
    handler: ingest('http-cancel-job'),
    tag: 'jobs',
    summary: 'Cancel a job',
    description:
      'By its owner. A job still waiting for its upload is cancelled at once (200, `cancelled`, and a ' +
      '`job.cancelled` event). A running load is stopped (202: its statement is cancelled and its ' +
      'transaction rolls back, nothing is loaded); the job then ends `cancelled` with one `job.cancelled` ' +
      'event — or as it would have, if it had committed first. Repeating a cancel is harmless. A finished ' +
      'job answers 409; another user’s job 404, like a missing one.',
    request: { params: { id: z.uuid() } },
    responses: {
      200: json('The job is cancelled.', JobViewSchema),
      202: json('The job is running; its cancellation is under way.', JobViewSchema),
    },
    errors: ['NOT_FOUND', 'JOB_ALREADY_FINISHED', 'UPSTREAM_UNAVAILABLE'],
  },
  createFileLink: {
    auth: 'cognito',
    handler: files('http-create-file-link'),
    tag: 'files',
    summary: 'Request a download link for a file',
    description:
      'Fetches the file from the file server (deny by default: a grant must cover the path) and answers ' +
      'a presigned GET. When the fetch outlives the wait budget the answer is 202 and the link arrives as ' +
      'a `file.ready` event with the same `requestId`. 503 and 504 carry `Retry-After`.',
    request: { body: CreateFileLinkRequestSchema },
    responses: {
      200: json('The file is ready: a presigned GET.', FileLinkSchema),
      202: json('The fetch continues; the link arrives as a `file.ready` event.', FileLinkPendingSchema),
    },
    errors: [
      ...BODY_ERRORS,
      'INVALID_PATH',
      'PATH_NOT_ALLOWED',
      'FILE_NOT_FOUND',
      'FILE_TOO_LARGE',
      'UNSUPPORTED_CONTENT_TYPE',
      'UPSTREAM_UNAVAILABLE',
      'UPSTREAM_TIMEOUT',
    ],
  },
  listGrants: {
    auth: 'cognito',
    handler: files('http-list-grants'),
    tag: 'admin',
    summary: 'List file grants',
    description: 'Admins only.',
    request: {},
    responses: { 200: json('Every grant, by path prefix then group.', FileGrantListSchema) },
    errors: ['FORBIDDEN', 'UPSTREAM_UNAVAILABLE'],
  },
  createGrant: {
    auth: 'cognito',
    handler: files('http-create-grant'),
    tag: 'admin',
    summary: 'Grant a group access to a path prefix',
    description: 'Admins only. `group` `*` means every signed-in user.',
    request: { body: CreateFileGrantRequestSchema },
    responses: { 201: json('The grant.', FileGrantSchema) },
    errors: ['FORBIDDEN', ...BODY_ERRORS, 'INVALID_PATH', 'CONFLICT', 'UPSTREAM_UNAVAILABLE'],
  },
  deleteGrant: {
    auth: 'cognito',
    handler: files('http-delete-grant'),
    tag: 'admin',
    summary: 'Revoke a file grant',
    description: 'Admins only.',
    request: { params: { id: z.uuid() } },
    responses: { 204: noContent('The grant is gone.') },
    errors: ['FORBIDDEN', 'NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
  createTicket: {
    auth: 'cognito',
    handler: realtime('http-create-ticket'),
    tag: 'realtime',
    summary: 'Get a WebSocket ticket',
    description: 'A one-time credential for the WebSocket `$connect` (`?ticket=`), bound to the caller.',
    request: {},
    responses: { 201: json('The ticket.', CreateTicketResponseSchema) },
    errors: ['UPSTREAM_UNAVAILABLE'],
  },
  registerDevice: {
    auth: 'cognito',
    handler: realtime('http-register-device'),
    tag: 'devices',
    summary: 'Register a push device',
    description: 'Idempotent: registering a known token refreshes it. The token is never echoed.',
    request: { body: RegisterDeviceRequestSchema },
    responses: {
      200: json('The device was already registered and is refreshed.', RegisterDeviceResponseSchema),
      201: json('The device is registered.', RegisterDeviceResponseSchema),
    },
    errors: ['VALIDATION_FAILED', 'DEVICE_LIMIT_REACHED', 'UPSTREAM_UNAVAILABLE'],
  },
  deleteDevice: {
    auth: 'cognito',
    handler: realtime('http-delete-device'),
    tag: 'devices',
    summary: 'Remove a push device',
    description: 'A token the caller did not register answers 404 and stays untouched.',
    request: { params: { token: DeviceTokenSchema } },
    responses: { 204: noContent('The device is removed.') },
    errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
  listTopicGrants: {
    auth: 'cognito',
    handler: realtime('http-list-topic-grants'),
    tag: 'admin',
    summary: 'List a topic’s grants',
    description:
      'Admins only. The stored grants of one shared topic; the shipped defaults (`announcements` to ' +
      'everyone, `group:<name>` to members of `<name>`) are not listed.',
    request: { params: { topic: SharedTopicSchema } },
    responses: { 200: json('The topic’s grants, by group.', TopicGrantListSchema) },
    errors: ['FORBIDDEN', 'VALIDATION_FAILED', 'UPSTREAM_UNAVAILABLE'],
  },
  createTopicGrant: {
    auth: 'cognito',
    handler: realtime('http-create-topic-grant'),
    tag: 'admin',
    summary: 'Grant a group a shared topic',
    description:
      'Admins only. Members of `group` may subscribe to the topic; `group` `*` means every signed-in user.',
    request: { params: { topic: SharedTopicSchema }, body: CreateTopicGrantRequestSchema },
    responses: { 201: json('The grant.', TopicGrantSchema) },
    errors: ['FORBIDDEN', ...BODY_ERRORS, 'CONFLICT', 'UPSTREAM_UNAVAILABLE'],
  },
  deleteTopicGrant: {
    auth: 'cognito',
    handler: realtime('http-delete-topic-grant'),
    tag: 'admin',
    summary: 'Revoke a topic grant',
    description:
      'Admins only. Connections subscribed through this grant alone leave the topic at once: no later ' +
      'event reaches them (those another grant admits keep it), and each is sent an `error` frame ' +
      '`FORBIDDEN` under the id of its subscribe. A retry after an error finishes the removals (it answers 404).',
    request: { params: { topic: SharedTopicSchema, group: z.string().min(1).max(128) } },
    responses: { 204: noContent('The grant is gone.') },
    errors: ['FORBIDDEN', 'VALIDATION_FAILED', 'NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
  publishTopicEvent: {
    auth: 'cognito',
    handler: realtime('http-publish-topic-event'),
    tag: 'admin',
    summary: 'Publish an event to a shared topic',
    description:
      'Admins only. The event gets the topic’s next `seq`, is kept in the short-lived topic log for ' +
      '`resume`, and fans out to every subscribed connection in shards handled by parallel workers.',
    request: { params: { topic: SharedTopicSchema }, body: PublishTopicEventRequestSchema },
    responses: { 202: json('The event is logged and its fan-out queued.', PublishTopicEventResponseSchema) },
    errors: ['FORBIDDEN', ...BODY_ERRORS, 'UPSTREAM_UNAVAILABLE'],
  },
});

/**
 * Responses whose body has no schema yet, as `${name} ${status}` (e.g. `whoami 200`).
 *
 * @example
 * restContractGaps(); // [] while every response has a schema
 */
export function restContractGaps(): string[] {
  const gaps: string[] = [];
  for (const route of Object.values<RestRoute>(REST_ROUTES)) {
    for (const [status, response] of Object.entries(route.responses)) {
      if (response?.body === UNSPECIFIED_BODY) gaps.push(`${route.name} ${status}`);
    }
  }
  return gaps;
}

// ---------------------------------------------------------------------------------------------
// Request and response types by route, for typed clients. Type-only: `@herald/protocol/wire`
// re-exports them without pulling zod into a bundle.

type Routes = typeof REST_ROUTES;
type ResponsesOf<Name extends RestRouteName> = Routes[Name]['responses'];

/** A response body's type: what its schema parses to; `undefined` for none; `unknown` while unspecified. */
type BodyOf<Body> = Body extends ZodType ? z.output<Body> : Body extends null ? undefined : unknown;

/**
 * Every success answer of a route, as `{ status, body }` by status, bodies typed from the
 * contract's schemas.
 *
 * @example
 * type LinkAnswer = RestResponse<'createFileLink'>; // { status: 200; body: FileLink } | { status: 202; body: FileLinkPending }
 */
export type RestResponse<Name extends RestRouteName> = {
  [Status in keyof ResponsesOf<Name>]: {
    readonly status: Status;
    readonly body: BodyOf<ResponsesOf<Name>[Status] extends { body: infer Body } ? Body : never>;
  };
}[keyof ResponsesOf<Name>];

/**
 * A route's success body, for one status or (by default) any.
 *
 * @example
 * type Job = RestResponseBody<'getJob'>; // JobView
 */
export type RestResponseBody<
  Name extends RestRouteName,
  Status extends RestResponse<Name>['status'] = RestResponse<Name>['status'],
> = Extract<RestResponse<Name>, { readonly status: Status }>['body'];

type RequestOf<Name extends RestRouteName> = Routes[Name]['request'];
type ParamsPart<Path extends string> = [PathParamName<Path>] extends [never]
  ? unknown
  : { readonly params: PathParams<Path> };
// The parsed side of the query (`limit` is a number): what a caller means; it travels as text.
type QueryPart<Request> = Request extends { readonly query: infer Query extends ZodType }
  ? { readonly query?: z.output<Query> }
  : unknown;
type BodyPart<Request> = Request extends { readonly body: infer Body extends ZodType }
  ? { readonly body: z.input<Body> }
  : unknown;

/**
 * What a caller sends to a route: `params` for each path parameter, the `query`, the JSON `body`;
 * each part only where the route has it.
 *
 * @example
 * const request: RestRequest<'getJob'> = { params: { id: jobId } };
 */
export type RestRequest<Name extends RestRouteName> = ParamsPart<(typeof REST_ENDPOINTS)[Name]['path']> &
  QueryPart<RequestOf<Name>> &
  BodyPart<RequestOf<Name>>;
