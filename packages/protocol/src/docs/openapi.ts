import type { ZodType } from 'zod';
import { ERROR_CODES, type ErrorCode, ErrorEnvelopeSchema } from '../errors.ts';
import { RowErrorSchema } from '../events.ts';
import { LIMITS } from '../limits.ts';
import {
  CreateTicketResponseSchema,
  DevicePlatformSchema,
  RegisterDeviceRequestSchema,
  RegisterDeviceResponseSchema,
} from '../realtime-rest.ts';
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
  JobErrorsSchema,
  JobListSchema,
  JobStateSchema,
  JobViewSchema,
  PresignedUploadSchema,
  RejectReportSchema,
  ReportLinkSchema,
} from '../rest.ts';
import {
  CompletedUploadSchema,
  CompleteUploadRequestSchema,
  MultipartUploadSchema,
  PresignedPartSchema,
  PresignedPartsSchema,
  PresignPartsRequestSchema,
  UploadedPartSchema,
  UploadStatusSchema,
} from '../rest-multipart.ts';
import { type RestRoute, restErrorCodes, UNSPECIFIED_BODY } from '../rest-routes.ts';
import { ROUTES } from '../routes.ts';
import {
  CreateTopicGrantRequestSchema,
  PublishTopicEventRequestSchema,
  PublishTopicEventResponseSchema,
  TopicGrantListSchema,
  TopicGrantSchema,
} from '../topics.ts';
import {
  API_VERSION,
  type ComponentSet,
  componentSet,
  emitComponents,
  inlineSchema,
  JSON_MEDIA_TYPE,
  type JsonObject,
  type JsonValue,
  refTo,
} from './components.ts';

/**
 * Schemas the OpenAPI document names. Every request and response body of a route must be here:
 * {@link buildOpenApi} throws for one that is not, rather than inline it.
 */
const REST_COMPONENTS: Readonly<Record<string, ZodType>> = {
  ErrorEnvelope: ErrorEnvelopeSchema,
  CreateUploadRequest: CreateUploadRequestSchema,
  PresignedUpload: PresignedUploadSchema,
  PresignedPart: PresignedPartSchema,
  MultipartUpload: MultipartUploadSchema,
  CreateUploadResponse: CreateUploadResponseSchema,
  PresignPartsRequest: PresignPartsRequestSchema,
  PresignedParts: PresignedPartsSchema,
  UploadedPart: UploadedPartSchema,
  UploadStatus: UploadStatusSchema,
  CompleteUploadRequest: CompleteUploadRequestSchema,
  CompletedUpload: CompletedUploadSchema,
  JobState: JobStateSchema,
  CurrentUser: CurrentUserSchema,
  JobView: JobViewSchema,
  JobList: JobListSchema,
  RowError: RowErrorSchema,
  ReportLink: ReportLinkSchema,
  JobErrors: JobErrorsSchema,
  RejectReport: RejectReportSchema,
  CreateFileLinkRequest: CreateFileLinkRequestSchema,
  FileLink: FileLinkSchema,
  FileLinkPending: FileLinkPendingSchema,
  FileGrant: FileGrantSchema,
  FileGrantList: FileGrantListSchema,
  CreateFileGrantRequest: CreateFileGrantRequestSchema,
  CreateTicketResponse: CreateTicketResponseSchema,
  DevicePlatform: DevicePlatformSchema,
  RegisterDeviceRequest: RegisterDeviceRequestSchema,
  RegisterDeviceResponse: RegisterDeviceResponseSchema,
  TopicGrant: TopicGrantSchema,
  TopicGrantList: TopicGrantListSchema,
  CreateTopicGrantRequest: CreateTopicGrantRequestSchema,
  PublishTopicEventRequest: PublishTopicEventRequestSchema,
  PublishTopicEventResponse: PublishTopicEventResponseSchema,
};

const TAGS: Readonly<Record<string, string>> = {
  account: 'The signed-in user.',
  jobs: 'Workflow 1: CSV uploads and ingest jobs.',
  files: 'Workflow 2: file delivery.',
  admin: 'File grants, topic grants and topic publishing (members of the admin group only).',
  realtime: 'Credentials for the WebSocket API.',
  devices: 'Push devices (FCM).',
};

/** `/jobs/{id}` → `['id']`; a greedy `{path+}` gives `path`. */
function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1] as string);
}

/**
 * Error responses by status. A status with one possible code refers to a shared response
 * (`components.responses.<CODE>`, collected in `shared`); one with several lists them inline.
 */
function errorResponses(
  codes: readonly ErrorCode[],
  set: ComponentSet,
  shared: Map<ErrorCode, JsonObject>,
  where: string,
): JsonObject {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const response = (group: readonly ErrorCode[]): JsonObject => ({
    description: group.map((code) => `\`${code}\`: ${ERROR_CODES[code].message}`).join('\n\n'),
    content: {
      [JSON_MEDIA_TYPE]: {
        schema: {
          allOf: [refTo(set, ErrorEnvelopeSchema, where), { properties: { code: { enum: [...group] } } }],
        },
      },
    },
  });
  const responses: JsonObject = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const [only] = group;
    if (group.length === 1 && only !== undefined) {
      if (!shared.has(only)) shared.set(only, response(group));
      responses[String(status)] = { $ref: `#/components/responses/${only}` };
    } else responses[String(status)] = response(group);
  }
  return responses;
}

function openApiOperation(
  route: RestRoute,
  set: ComponentSet,
  shared: Map<ErrorCode, JsonObject>,
): JsonObject {
  const where = `${route.name} (${route.method} ${route.path})`;
  const names = pathParamNames(route.path);
  const { params, query, body } = route.request;
  const declared = Object.keys(params ?? {});
  if ([...names].sort().join() !== [...declared].sort().join()) {
    throw new Error(`api-docs: ${where} declares path parameters [${declared}] but its path has [${names}]`);
  }
  const parameters: JsonValue[] = names.map((name) => ({
    name,
    in: 'path',
    required: true,
    ...(route.path.includes(`{${name}+}`) && { description: 'May contain `/`.' }),
    schema: inlineSchema(params?.[name] as ZodType, 'draft-2020-12', 'input'),
  }));
  if (query !== undefined) {
    // The parsed side: `limit` travels as text but is an integer in range, which is what a caller needs.
    const schema = inlineSchema(query, 'draft-2020-12', 'output');
    const required = (schema.required ?? []) as string[];
    for (const [name, property] of Object.entries((schema.properties ?? {}) as JsonObject)) {
      parameters.push({ name, in: 'query', required: required.includes(name), schema: property });
    }
  }

  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(route.responses)) {
    if (response === undefined) continue;
    const { description, body: responseBody } = response;
    if (responseBody === null) responses[status] = { description };
    else {
      const schema: JsonObject =
        responseBody === UNSPECIFIED_BODY
          ? { type: 'object', description: 'A JSON object; its schema is not yet in @herald/protocol.' }
          : refTo(set, responseBody, `${where} ${status}`);
      responses[status] = { description, content: { [JSON_MEDIA_TYPE]: { schema } } };
    }
  }
  Object.assign(responses, errorResponses(restErrorCodes(route), set, shared, where));

  return {
    tags: [route.tag],
    summary: route.summary,
    ...(route.description !== undefined && { description: route.description }),
    operationId: route.name,
    ...(parameters.length > 0 && { parameters }),
    ...(body !== undefined && {
      requestBody: {
        required: true,
        content: { [JSON_MEDIA_TYPE]: { schema: refTo(set, body, `${where} request body`) } },
      },
    }),
    responses,
    security: route.auth === 'cognito' ? [{ cognito: [] }] : [],
  };
}

/**
 * The OpenAPI 3.1 document of the REST API: one operation per route of `ROUTES.http` (its
 * `operationId` is the route's name), bodies from each route's contract, every error as the
 * error envelope under the status its code maps to. Throws when a route's path parameters and
 * contract disagree or a body schema has no component name.
 *
 * @example
 * writeFileSync('docs/api/openapi.json', `${JSON.stringify(buildOpenApi(), null, 2)}\n`);
 */
export function buildOpenApi(): JsonObject {
  const set = componentSet(REST_COMPONENTS, '#/components/schemas/', 'draft-2020-12');
  const paths: Record<string, JsonObject> = {};
  const tags: string[] = [];
  const requestBodies: ZodType[] = [];
  const sharedErrors = new Map<ErrorCode, JsonObject>();
  for (const route of Object.values<RestRoute>(ROUTES.http)) {
    // OpenAPI path templates have no greedy form: `{path+}` is documented as `{path}`.
    const path = route.path.replace(/\{(\w+)\+\}/g, '{$1}');
    paths[path] = {
      ...paths[path],
      [route.method.toLowerCase()]: openApiOperation(route, set, sharedErrors),
    };
    if (!tags.includes(route.tag)) tags.push(route.tag);
    if (route.request.body !== undefined) requestBodies.push(route.request.body);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald REST API',
      version: API_VERSION,
      description: [
        'Generated from `@herald/protocol` (`ROUTES.http`: one contract per route, with its zod schemas) by ' +
          '`scripts/gen-api-docs.ts`; do not edit by hand.',
        'Every route needs a Cognito user-pool ID token: `Authorization: Bearer <token>`. Bodies are JSON. ' +
          'Every error, including those API Gateway answers itself (403 `FORBIDDEN`, 404 `ROUTE_NOT_FOUND`, ' +
          '413 `PAYLOAD_TOO_LARGE`, 429 `RATE_LIMITED`), is an `ErrorEnvelope` whose `code` is stable.',
        `Requests are at most ${LIMITS.restPayloadBytes / (1024 * 1024)} MB and are answered within ` +
          `${LIMITS.integrationTimeoutMs / 1000} s; files travel through presigned S3 URLs and long work runs ` +
          'as jobs that report over the WebSocket API (see `asyncapi.json`).',
      ].join('\n\n'),
    },
    servers: [
      {
        url: `https://{restApiId}.execute-api.{region}.amazonaws.com/${API_VERSION}`,
        description:
          'A deployed stack (the REST API URL is a stack output). `npm run dev` prints a local one.',
        variables: {
          restApiId: { default: 'restApiId', description: 'The REST API id.' },
          region: { default: 'us-east-1', description: 'The AWS region of the stack.' },
        },
      },
    ],
    tags: tags.map((name) => ({ name, ...(TAGS[name] !== undefined && { description: TAGS[name] }) })),
    paths,
    components: {
      schemas: emitComponents(set, requestBodies),
      responses: Object.fromEntries([...sharedErrors].sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A Cognito user-pool ID token, checked by API Gateway’s Cognito authorizer.',
        },
      },
    },
  };
}
