import { type ZodObject, type ZodType, z } from 'zod';
import type { ErrorCode } from './errors.ts';
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
import type { HttpMethod } from './routes.ts';

// What each REST route reads and answers, next to the schemas it names. `ROUTES` says where a
// route lives and who may call it; this says what travels. `api-docs.ts` turns the two into the
// OpenAPI document, and a unit test fails when a route in `ROUTES.http` has no entry here.

/** A REST route as `${method} ${path}`, e.g. `GET /jobs/{id}`: the key of {@link REST_CONTRACT}. */
export type RestRouteKey = `${HttpMethod} /${string}`;

/** Success statuses a Herald REST route answers with. */
export type RestSuccessStatus = 200 | 201 | 202 | 204;

/**
 * A response body that is JSON but has no schema in `@herald/protocol` yet. Documented as a JSON
 * object; listed by {@link restContractGaps} so the gap stays visible until a schema exists.
 */
export const UNSPECIFIED_BODY = 'unspecified';

/** One success response. */
export interface RestSuccessResponse {
  readonly description: string;
  /** The JSON body; `null` for none (`204`); {@link UNSPECIFIED_BODY} while the schema is missing. */
  readonly body: ZodType | null | typeof UNSPECIFIED_BODY;
}

/** What one REST route reads and answers. */
export interface RestOperationContract {
  /** Groups operations in the docs (`jobs`, `files`, …). */
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /** One schema per `{name}` (or `{name+}`) in the path template, and no other. */
  readonly pathParams?: Readonly<Record<string, ZodType>>;
  /** Query string parameters: one per property; the handler parses the query with this schema. */
  readonly query?: ZodObject;
  /** The JSON request body; the handler parses it with this schema. */
  readonly requestBody?: ZodType;
  readonly responses: Readonly<Partial<Record<RestSuccessStatus, RestSuccessResponse>>>;
  /**
   * Error codes the route's handler answers with (each in the error envelope, with the status
   * `ERROR_CODES` gives it). Codes every route can answer with are not repeated here: see
   * {@link COMMON_REST_ERROR_CODES} and {@link AUTH_REST_ERROR_CODES}.
   */
  readonly errors: readonly ErrorCode[];
}

/** Codes any route can answer with: API Gateway throttling and an unexpected server fault. */
export const COMMON_REST_ERROR_CODES = ['RATE_LIMITED', 'INTERNAL'] as const satisfies readonly ErrorCode[];

/** Codes every `auth: 'cognito'` route adds: the authorizer's refusal of a missing or expired token. */
export const AUTH_REST_ERROR_CODES = ['UNAUTHENTICATED'] as const satisfies readonly ErrorCode[];

const json = (description: string, body: ZodType): RestSuccessResponse => ({ description, body });
const noContent = (description: string): RestSuccessResponse => ({ description, body: null });

/** A body that is not JSON, or JSON that fails the schema (the gateway or the handler refuses it). */
const BODY_ERRORS = ['BAD_REQUEST', 'VALIDATION_FAILED'] as const satisfies readonly ErrorCode[];

/**
 * The request and response schemas of every REST route, keyed by `${method} ${path}` as in
 * `ROUTES.http`. Unit tests assert that both cover exactly the same routes.
 *
 * @example
 * const contract = REST_CONTRACT['POST /uploads'];
 * const body = contract?.requestBody?.parse(JSON.parse(text));
 */
export const REST_CONTRACT: Readonly<Record<RestRouteKey, RestOperationContract>> = {
  'GET /me': {
    tag: 'account',
    summary: 'The signed-in user',
    description: 'The caller’s `userId`, `username` and `groups`, from the Cognito claims.',
    responses: { 200: { description: 'The signed-in user.', body: CurrentUserSchema } },
    errors: [],
  },
  'POST /uploads': {
    tag: 'jobs',
    summary: 'Create an upload',
    description:
      'Creates an ingest job `awaiting_upload` and a presigned PUT that accepts exactly `sizeBytes` bytes. ' +
      'Progress follows as `job.*` events on the WebSocket.',
    requestBody: CreateUploadRequestSchema,
    responses: { 201: json('The job and its presigned upload.', CreateUploadResponseSchema) },
    errors: [
      ...BODY_ERRORS,
      'UNKNOWN_DATASET',
      'INVALID_FILE_NAME',
      'EMPTY_FILE',
      'FILE_TOO_LARGE',
      'UPSTREAM_UNAVAILABLE',
    ],
  },
  'GET /jobs': {
    tag: 'jobs',
    summary: 'List the caller’s jobs',
    description:
      `Newest first, \`limit\` per page (default ${JOB_LIST_DEFAULT_LIMIT}, at most ${JOB_LIST_MAX_LIMIT}); ` +
      'pass `nextCursor` as `cursor` for the next page.',
    query: ListJobsQuerySchema,
    responses: { 200: json('One page of jobs.', JobListSchema) },
    errors: ['VALIDATION_FAILED', 'UPSTREAM_UNAVAILABLE'],
  },
  'GET /jobs/{id}': {
    tag: 'jobs',
    summary: 'Get a job',
    description: 'Another user’s job answers 404 like a missing one: existence is not revealed.',
    pathParams: { id: z.uuid() },
    responses: { 200: json('The job.', JobViewSchema) },
    errors: ['NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
  'GET /jobs/{id}/errors': {
    tag: 'jobs',
    summary: 'Get a job’s row errors',
    description:
      'The first refused rows and, when the worker wrote one, a short-lived link to the full reject report.',
    pathParams: { id: z.uuid() },
    responses: { 200: json('The job’s errors.', JobErrorsSchema) },
    errors: ['NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
  'POST /files/links': {
    tag: 'files',
    summary: 'Request a download link for a file',
    description:
      'Fetches the file from the file server (deny by default: a grant must cover the path) and answers ' +
      'a presigned GET. When the fetch outlives the wait budget the answer is 202 and the link arrives as ' +
      'a `file.ready` event with the same `requestId`. 503 and 504 carry `Retry-After`.',
    requestBody: CreateFileLinkRequestSchema,
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
  'GET /admin/grants': {
    tag: 'admin',
    summary: 'List file grants',
    description: 'Admins only.',
    responses: { 200: json('Every grant, by path prefix then group.', FileGrantListSchema) },
    errors: ['FORBIDDEN', 'UPSTREAM_UNAVAILABLE'],
  },
  'POST /admin/grants': {
    tag: 'admin',
    summary: 'Grant a group access to a path prefix',
    description: 'Admins only. `group` `*` means every signed-in user.',
    requestBody: CreateFileGrantRequestSchema,
    responses: { 201: json('The grant.', FileGrantSchema) },
    errors: ['FORBIDDEN', ...BODY_ERRORS, 'INVALID_PATH', 'CONFLICT', 'UPSTREAM_UNAVAILABLE'],
  },
  'DELETE /admin/grants/{id}': {
    tag: 'admin',
    summary: 'Revoke a file grant',
    description: 'Admins only.',
    pathParams: { id: z.uuid() },
    responses: { 204: noContent('The grant is gone.') },
    errors: ['FORBIDDEN', 'NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
  'POST /realtime/tickets': {
    tag: 'realtime',
    summary: 'Get a WebSocket ticket',
    description: 'A one-time credential for the WebSocket `$connect` (`?ticket=`), bound to the caller.',
    responses: { 201: json('The ticket.', CreateTicketResponseSchema) },
    errors: ['UPSTREAM_UNAVAILABLE'],
  },
  'POST /devices': {
    tag: 'devices',
    summary: 'Register a push device',
    description: 'Idempotent: registering a known token refreshes it. The token is never echoed.',
    requestBody: RegisterDeviceRequestSchema,
    responses: {
      200: json('The device was already registered and is refreshed.', RegisterDeviceResponseSchema),
      201: json('The device is registered.', RegisterDeviceResponseSchema),
    },
    errors: ['VALIDATION_FAILED', 'DEVICE_LIMIT_REACHED', 'UPSTREAM_UNAVAILABLE'],
  },
  'DELETE /devices/{token}': {
    tag: 'devices',
    summary: 'Remove a push device',
    description: 'A token the caller did not register answers 404 and stays untouched.',
    pathParams: { token: DeviceTokenSchema },
    responses: { 204: noContent('The device is removed.') },
    errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'UPSTREAM_UNAVAILABLE'],
  },
};

/**
 * Responses whose body has no schema yet, as `${route} ${status}` (e.g. `GET /me 200`).
 *
 * @example
 * restContractGaps(); // ['GET /me 200'] until protocol defines the body of GET /me
 */
export function restContractGaps(): string[] {
  const gaps: string[] = [];
  for (const [key, contract] of Object.entries(REST_CONTRACT)) {
    for (const [status, response] of Object.entries(contract.responses)) {
      if (response?.body === UNSPECIFIED_BODY) gaps.push(`${key} ${status}`);
    }
  }
  return gaps;
}
