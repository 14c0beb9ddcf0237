import { type ZodType, z } from 'zod';
import { ERROR_CODES, type ErrorCode, ErrorEnvelopeSchema } from './errors.ts';
import {
  FileReadyEventSchema,
  HeraldEventSchema,
  JobFailedEventSchema,
  JobProgressEventSchema,
  JobQueuedEventSchema,
  JobSucceededEventSchema,
  RowErrorSchema,
} from './events.ts';
import { LIMITS } from './limits.ts';
import {
  CreateTicketResponseSchema,
  DevicePlatformSchema,
  RegisterDeviceRequestSchema,
  RegisterDeviceResponseSchema,
  TICKET_TTL_SECONDS,
  TicketSchema,
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
  JobErrorsSchema,
  JobListSchema,
  JobStateSchema,
  JobViewSchema,
  PresignedUploadSchema,
  RejectReportSchema,
  ReportLinkSchema,
} from './rest.ts';
import { type RestRoute, restErrorCodes, UNSPECIFIED_BODY } from './rest-routes.ts';
import { ROUTES } from './routes.ts';
import {
  CLIENT_ACTION_SCHEMAS,
  type ClientActionName,
  ClientActionSchema,
  ErrorFrameSchema,
  EventFrameSchema,
  PingActionSchema,
  PongFrameSchema,
  ResumeActionSchema,
  ResumedFrameSchema,
  type ServerFrame,
  ServerFrameSchema,
  SubscribeActionSchema,
  UnsubscribeActionSchema,
} from './ws.ts';
import { HERALD_SUBPROTOCOL } from './ws-connection.ts';

// The OpenAPI 3.1 and AsyncAPI 3.0 documents of Herald, built from the zod schemas with
// `z.toJSONSchema`, so the documents cannot say something the validators do not enforce.
// `scripts/gen-api-docs.ts` writes them to `docs/api/`; a unit test fails when those are stale.
// Pure: no I/O, and the same schemas always give the same documents, keys in the same order.

/** A JSON value, as the documents hold them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object: an API document or any object in it. */
export type JsonObject = { [key: string]: JsonValue };

/** The API generation: the REST stage (`/v1`) and the generation the WebSocket subprotocol names (`herald.v1`). */
const API_VERSION = 'v1';
const JSON_MEDIA_TYPE = 'application/json';

/** A schema the documents name (`components.schemas.<id>`) rather than inline. */
interface NamedSchema {
  readonly schema: ZodType;
  readonly description: string;
}

/** Which side of a schema a document shows: what a sender must write, or what a parser returns. */
type Io = 'input' | 'output';

const ERROR_ENVELOPE: NamedSchema = {
  schema: ErrorEnvelopeSchema,
  description: 'Every error: a stable machine `code`, a sentence for people, optional `details`.',
};
const ROW_ERROR: NamedSchema = {
  schema: RowErrorSchema,
  description: 'Why one CSV row was refused: 1-based line, the column when one is to blame, a sentence.',
};

/**
 * Schemas the OpenAPI document names. Every request and response body of a route must be here:
 * {@link buildOpenApi} throws for one that is not, rather than inline it.
 */
const REST_COMPONENTS: Readonly<Record<string, NamedSchema>> = {
  ErrorEnvelope: ERROR_ENVELOPE,
  CreateUploadRequest: { schema: CreateUploadRequestSchema, description: '`POST /uploads` body.' },
  PresignedUpload: {
    schema: PresignedUploadSchema,
    description: 'Send the file’s bytes with `method` to `url`, with exactly `headers`, before `expiresAt`.',
  },
  CreateUploadResponse: {
    schema: CreateUploadResponseSchema,
    description: '`201` answer to `POST /uploads`.',
  },
  JobState: {
    schema: JobStateSchema,
    description: '`awaiting_upload` → `processing` → `succeeded` | `failed`; `queued` is reserved.',
  },
  CurrentUser: { schema: CurrentUserSchema, description: 'The signed-in user (`GET /me`).' },
  JobView: { schema: JobViewSchema, description: 'One ingest job.' },
  JobList: { schema: JobListSchema, description: 'One page of the caller’s jobs, newest first.' },
  RowError: ROW_ERROR,
  ReportLink: {
    schema: ReportLinkSchema,
    description: 'A short-lived presigned GET of the full reject report (a `RejectReport` document).',
  },
  JobErrors: { schema: JobErrorsSchema, description: '`GET /jobs/{id}/errors` answer.' },
  RejectReport: {
    schema: RejectReportSchema,
    description: 'The reject report document `ReportLink.url` serves.',
  },
  CreateFileLinkRequest: { schema: CreateFileLinkRequestSchema, description: '`POST /files/links` body.' },
  FileLink: {
    schema: FileLinkSchema,
    description:
      'A presigned GET of the file; it also arrives as a `file.ready` event with the same `requestId`.',
  },
  FileLinkPending: {
    schema: FileLinkPendingSchema,
    description: 'The fetch continues; the link arrives as a `file.ready` event with this `requestId`.',
  },
  FileGrant: {
    schema: FileGrantSchema,
    description: 'Members of `group` may fetch paths under `pathPrefix`; group `*` is every signed-in user.',
  },
  FileGrantList: { schema: FileGrantListSchema, description: 'Every grant, by path prefix then group.' },
  CreateFileGrantRequest: { schema: CreateFileGrantRequestSchema, description: '`POST /admin/grants` body.' },
  CreateTicketResponse: {
    schema: CreateTicketResponseSchema,
    description: `A one-time WebSocket credential, valid for ${TICKET_TTL_SECONDS} s: connect with \`?ticket=\`.`,
  },
  DevicePlatform: { schema: DevicePlatformSchema, description: 'The platform of a push device.' },
  RegisterDeviceRequest: { schema: RegisterDeviceRequestSchema, description: '`POST /devices` body.' },
  RegisterDeviceResponse: {
    schema: RegisterDeviceResponseSchema,
    description: 'A registered push device; the token is not echoed.',
  },
};

/** Schemas the AsyncAPI document names: events, frames and actions. */
const WS_COMPONENTS: Readonly<Record<string, NamedSchema>> = {
  ErrorEnvelope: ERROR_ENVELOPE,
  RowError: ROW_ERROR,
  JobQueuedEvent: {
    schema: JobQueuedEventSchema,
    description: 'A job was created and waits for its upload.',
  },
  JobProgressEvent: {
    schema: JobProgressEventSchema,
    description: 'Progress of a running job; a few per second at most.',
  },
  JobSucceededEvent: { schema: JobSucceededEventSchema, description: 'A job loaded its rows and committed.' },
  JobFailedEvent: {
    schema: JobFailedEventSchema,
    description: 'A job failed and loaded nothing; `rowErrors` holds the first refused rows.',
  },
  FileReadyEvent: {
    schema: FileReadyEventSchema,
    description: 'A requested file is ready: `url` is a presigned GET that expires at `expiresAt`.',
  },
  HeraldEvent: {
    schema: HeraldEventSchema,
    description:
      'Every event, by `type`. `seq` increases per job (or file request), so a client can `resume`; ' +
      '`job.succeeded`, `job.failed` and `file.ready` are terminal.',
  },
  PingAction: { schema: PingActionSchema, description: 'The `ping` action.' },
  SubscribeAction: {
    schema: SubscribeActionSchema,
    description: 'The `subscribe` action: exactly one of `jobId` or `topic`.',
  },
  UnsubscribeAction: {
    schema: UnsubscribeActionSchema,
    description: 'The `unsubscribe` action: exactly one of `jobId` or `topic`.',
  },
  ResumeAction: { schema: ResumeActionSchema, description: 'The `resume` action.' },
  ClientAction: { schema: ClientActionSchema, description: 'Every message a client may send.' },
  EventFrame: { schema: EventFrameSchema, description: 'The `event` frame.' },
  PongFrame: { schema: PongFrameSchema, description: 'The `pong` frame.' },
  ErrorFrame: { schema: ErrorFrameSchema, description: 'The `error` frame.' },
  ResumedFrame: { schema: ResumedFrameSchema, description: 'The `resumed` frame.' },
  ServerFrame: { schema: ServerFrameSchema, description: 'Every message the server may send, by `type`.' },
};

const TAGS: Readonly<Record<string, string>> = {
  account: 'The signed-in user.',
  jobs: 'Workflow 1: CSV uploads and ingest jobs.',
  files: 'Workflow 2: file delivery.',
  admin: 'File grants (members of the admin group only).',
  realtime: 'Credentials for the WebSocket API.',
  devices: 'Push devices (FCM).',
};

const CLIENT_ACTION_DOCS: Readonly<
  Record<ClientActionName, { summary: string; reply?: ServerFrame['type'] }>
> = {
  ping: {
    summary: `Keeps the connection under API Gateway’s ${LIMITS.wsIdleTimeoutMs / 60_000}-minute idle timeout; answered with \`pong\`.`,
    reply: 'pong',
  },
  subscribe: {
    summary:
      'Receive the events of a job or topic the user owns. Success is silent; `error` `NOT_FOUND` for ' +
      'another user’s job or an unknown topic, `CONFLICT` past the per-connection cap.',
  },
  unsubscribe: { summary: 'Stop receiving a job’s or topic’s events. No reply.' },
  resume: {
    summary:
      'Replay a job’s events with `seq > afterSeq` (`-1`: from the first), as `event` frames in order, ' +
      'then `resumed`; live events follow.',
    reply: 'resumed',
  },
};

const SERVER_FRAME_DOCS: Readonly<Record<ServerFrame['type'], string>> = {
  event: 'One Herald event.',
  pong: 'The answer to `ping`; `id` echoes the ping’s id.',
  error: 'A client message was refused; `id` echoes its id when it could be read.',
  resumed: 'Replay of a job is caught up to `lastSeq` (`-1`: the job has no events yet); live events follow.',
};

// ---------------------------------------------------------------------------------------------
// Schema conversion

type JsonSchemaTarget = 'draft-2020-12' | 'draft-07';

/** Named schemas as JSON Schema, keyed by component id, refs pointing at `refBase + id`. */
interface ComponentSet {
  readonly refBase: string;
  readonly target: JsonSchemaTarget;
  readonly components: Readonly<Record<string, NamedSchema>>;
  /** Component id of each schema, to turn a body into a `$ref`. */
  readonly ids: ReadonlyMap<ZodType, string>;
}

function componentSet(
  components: Readonly<Record<string, NamedSchema>>,
  refBase: string,
  target: JsonSchemaTarget,
): ComponentSet {
  const ids = new Map<ZodType, string>();
  for (const [id, { schema }] of Object.entries(components)) {
    const other = ids.get(schema);
    if (other !== undefined) throw new Error(`api-docs: one schema is named both ${other} and ${id}`);
    ids.set(schema, id);
  }
  return { refBase, target, components, ids };
}

function refTo(set: ComponentSet, schema: ZodType, where: string): JsonObject {
  const id = set.ids.get(schema);
  if (id === undefined) {
    throw new Error(
      `api-docs: the schema of ${where} has no component name; add it to the components in api-docs.ts`,
    );
  }
  return { $ref: `${set.refBase}${id}` };
}

/** Drops what a standalone JSON Schema carries and an embedded one must not (`$schema`, `$id`). */
function embedded(schema: unknown): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema as JsonObject;
  return rest;
}

function inlineSchema(schema: ZodType, target: JsonSchemaTarget, io: Io): JsonObject {
  return embedded(z.toJSONSchema(schema, { target, io }));
}

function convertAll(set: ComponentSet, io: Io): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, { schema }] of Object.entries(set.components)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: set.target,
    io,
    uri: (id) => `${set.refBase}${id}`,
  });
  const out: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(schemas)) out[id] = embedded(schema);
  return out;
}

function refsIn(value: JsonValue, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else refsIn(item, found);
    }
  }
  return found;
}

/** Component ids reachable from `roots` through `$ref`s, roots included. */
function reachable(
  schemas: Record<string, JsonObject>,
  refBase: string,
  roots: Iterable<string>,
): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    const schema = schemas[id];
    if (seen.has(id) || schema === undefined) continue;
    seen.add(id);
    for (const ref of refsIn(schema)) if (ref.startsWith(refBase)) queue.push(ref.slice(refBase.length));
  }
  return seen;
}

/**
 * Every component as JSON Schema, in id order. A component reachable only from what clients
 * send is shown as input (what a sender must write), any other as output (what the server
 * writes); one reachable from both must read the same both ways, or this throws rather than
 * document one side wrongly.
 */
function emitComponents(set: ComponentSet, inputRoots: readonly ZodType[]): JsonObject {
  const input = convertAll(set, 'input');
  const output = convertAll(set, 'output');
  const rootIds = inputRoots.map((schema) => set.ids.get(schema) as string);
  const inputIds = reachable(input, set.refBase, rootIds);
  const outputIds = reachable(
    output,
    set.refBase,
    Object.keys(set.components).filter((id) => !rootIds.includes(id)),
  );
  const emitted: JsonObject = {};
  for (const id of Object.keys(set.components).sort()) {
    const { description } = set.components[id] as NamedSchema;
    const inSchema = input[id] as JsonObject;
    const outSchema = output[id] as JsonObject;
    if (inputIds.has(id) && outputIds.has(id) && JSON.stringify(inSchema) !== JSON.stringify(outSchema)) {
      throw new Error(
        `api-docs: ${id} is both sent and received but its input and output forms differ; name each form`,
      );
    }
    const schema = inputIds.has(id) && !outputIds.has(id) ? inSchema : outSchema;
    emitted[id] = { description, ...schema };
  }
  return emitted;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.1

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

// ---------------------------------------------------------------------------------------------
// AsyncAPI 3.0

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * The AsyncAPI 3.0 document of the WebSocket API, from a client's point of view: one channel
 * (the connection), a `send` operation per client action and a `receive` operation per server
 * frame, events as payload schemas.
 *
 * @example
 * writeFileSync('docs/api/asyncapi.json', `${JSON.stringify(buildAsyncApi(), null, 2)}\n`);
 */
export function buildAsyncApi(): JsonObject {
  const set = componentSet(WS_COMPONENTS, '#/components/schemas/', 'draft-07');
  const channelRef = { $ref: '#/channels/connection' };
  const messageRef = (name: string) => ({ $ref: `#/channels/connection/messages/${name}` });
  const kb = LIMITS.wsMessageBytes / 1024;

  const messages: JsonObject = {};
  const channelMessages: JsonObject = {};
  const operations: JsonObject = {};
  const addMessage = (name: string, message: JsonObject) => {
    if (messages[name] !== undefined) throw new Error(`api-docs: two WebSocket messages are named ${name}`);
    messages[name] = message;
    channelMessages[name] = { $ref: `#/components/messages/${name}` };
  };

  for (const action of Object.keys(CLIENT_ACTION_SCHEMAS) as ClientActionName[]) {
    const { summary, reply } = CLIENT_ACTION_DOCS[action];
    addMessage(action, {
      name: action,
      title: `${action} action`,
      summary,
      contentType: JSON_MEDIA_TYPE,
      correlationId: { $ref: '#/components/correlationIds/frameId' },
      payload: refTo(set, CLIENT_ACTION_SCHEMAS[action], `the ${action} action`),
    });
    operations[`send${pascal(action)}`] = {
      action: 'send',
      channel: channelRef,
      summary,
      messages: [messageRef(action)],
      ...(reply !== undefined && { reply: { channel: channelRef, messages: [messageRef(reply)] } }),
    };
  }
  for (const frame of ServerFrameSchema.options) {
    const type = frame.shape.type.value;
    const summary = SERVER_FRAME_DOCS[type];
    addMessage(type, {
      name: type,
      title: `${type} frame`,
      summary,
      contentType: JSON_MEDIA_TYPE,
      ...('id' in frame.shape && { correlationId: { $ref: '#/components/correlationIds/frameId' } }),
      payload: refTo(set, frame, `the ${type} frame`),
    });
    operations[`receive${pascal(type)}`] = {
      action: 'receive',
      channel: channelRef,
      summary,
      messages: [messageRef(type)],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Herald WebSocket API',
      version: API_VERSION,
      description: [
        'Generated from `@herald/protocol` (`ws.ts`, `events.ts`) by `scripts/gen-api-docs.ts`; do not edit by hand.',
        'This document describes a client: it sends actions (`{ action, id?, … }`) and receives frames ' +
          '(`{ type, … }`). A frame answering an action echoes its `id`.',
        `Every message, either way, is one JSON object of at most ${kb} KB (API Gateway’s quota; a larger ` +
          'client message is refused with `MESSAGE_TOO_LARGE`): send ids, not data. API Gateway closes a ' +
          `connection idle for ${LIMITS.wsIdleTimeoutMs / 60_000} minutes and any connection after ` +
          `${LIMITS.wsMaxConnectionAgeMs / 3_600_000} hours.`,
      ].join('\n\n'),
    },
    defaultContentType: JSON_MEDIA_TYPE,
    servers: {
      aws: {
        host: '{apiId}.execute-api.{region}.amazonaws.com',
        pathname: `/${API_VERSION}`,
        protocol: 'wss',
        description:
          'A deployed stack (the WebSocket URL is a stack output). `npm run dev` prints a local one.',
        variables: {
          apiId: { default: 'apiId', description: 'The WebSocket API id.' },
          region: { default: 'us-east-1', description: 'The AWS region of the stack.' },
        },
        security: [
          { $ref: '#/components/securitySchemes/ticket' },
          { $ref: '#/components/securitySchemes/subprotocolJwt' },
        ],
      },
    },
    channels: {
      connection: {
        address: '/',
        title: 'Herald connection',
        description:
          `One WebSocket per app session. Authenticate the upgrade with \`?ticket=\` (preferred: no JWT in ` +
          `URLs or logs) or by offering the subprotocols \`${HERALD_SUBPROTOCOL}, <Cognito JWT>\`; the server ` +
          `answers \`${HERALD_SUBPROTOCOL}\`. A refused upgrade is an HTTP 401. Messages are at most ${kb} KB.`,
        servers: [{ $ref: '#/servers/aws' }],
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                ticket: {
                  ...inlineSchema(TicketSchema, 'draft-07', 'input'),
                  description: 'A one-time ticket from `POST /realtime/tickets`.',
                },
              },
            },
            headers: {
              type: 'object',
              properties: {
                'Sec-WebSocket-Protocol': {
                  type: 'string',
                  description: `\`${HERALD_SUBPROTOCOL}\`, then a Cognito ID or access token when no ticket is given.`,
                },
              },
            },
            bindingVersion: '0.1.0',
          },
        },
        'x-max-message-bytes': LIMITS.wsMessageBytes,
      },
    },
    operations,
    components: {
      schemas: emitComponents(set, [...Object.values(CLIENT_ACTION_SCHEMAS), ClientActionSchema]),
      messages,
      securitySchemes: {
        ticket: {
          type: 'httpApiKey',
          name: 'ticket',
          in: 'query',
          description: `A one-time ticket from \`POST /realtime/tickets\`, valid for ${TICKET_TTL_SECONDS} s.`,
        },
        subprotocolJwt: {
          type: 'httpApiKey',
          name: 'Sec-WebSocket-Protocol',
          in: 'header',
          description: `Offer \`${HERALD_SUBPROTOCOL}, <Cognito ID or access token>\` (browsers cannot set other headers).`,
        },
      },
      correlationIds: {
        frameId: {
          description: 'The optional `id` a client puts on an action; the answering frame echoes it.',
          location: '$message.payload#/id',
        },
      },
    },
  };
}
