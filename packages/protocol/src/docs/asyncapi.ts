import type { ZodType } from 'zod';
import { ErrorEnvelopeSchema } from '../errors.ts';
import {
  FileReadyEventSchema,
  HeraldEventSchema,
  JobFailedEventSchema,
  JobProgressEventSchema,
  JobQueuedEventSchema,
  JobSucceededEventSchema,
  RowErrorSchema,
} from '../events.ts';
import { LIMITS } from '../limits.ts';
import { TICKET_TTL_SECONDS, TicketSchema } from '../realtime-rest.ts';
import { TopicEventSchema } from '../topics.ts';
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
  SubscribedFrameSchema,
  TopicEventFrameSchema,
  UnsubscribeActionSchema,
} from '../ws.ts';
import { HERALD_SUBPROTOCOL } from '../ws-connection.ts';
import {
  API_VERSION,
  componentSet,
  emitComponents,
  inlineSchema,
  JSON_MEDIA_TYPE,
  type JsonObject,
  refTo,
} from './components.ts';

/** Schemas the AsyncAPI document names: events, frames and actions. */
const WS_COMPONENTS: Readonly<Record<string, ZodType>> = {
  ErrorEnvelope: ErrorEnvelopeSchema,
  RowError: RowErrorSchema,
  JobQueuedEvent: JobQueuedEventSchema,
  JobProgressEvent: JobProgressEventSchema,
  JobSucceededEvent: JobSucceededEventSchema,
  JobFailedEvent: JobFailedEventSchema,
  FileReadyEvent: FileReadyEventSchema,
  HeraldEvent: HeraldEventSchema,
  PingAction: PingActionSchema,
  SubscribeAction: SubscribeActionSchema,
  UnsubscribeAction: UnsubscribeActionSchema,
  ResumeAction: ResumeActionSchema,
  ClientAction: ClientActionSchema,
  EventFrame: EventFrameSchema,
  PongFrame: PongFrameSchema,
  ErrorFrame: ErrorFrameSchema,
  ResumedFrame: ResumedFrameSchema,
  SubscribedFrame: SubscribedFrameSchema,
  TopicEvent: TopicEventSchema,
  TopicEventFrame: TopicEventFrameSchema,
  ServerFrame: ServerFrameSchema,
};

// What each message is for and which frame answers it: the AsyncAPI operations' summaries.
const CLIENT_ACTION_DOCS: Readonly<
  Record<ClientActionName, { summary: string; reply?: ServerFrame['type'] }>
> = {
  ping: {
    summary: `Keeps the connection under API Gateway’s ${LIMITS.wsIdleTimeoutMs / 60_000}-minute idle timeout; answered with \`pong\`.`,
    reply: 'pong',
  },
  subscribe: {
    summary:
      'Receive the events of a job the user owns, a per-user view (`jobs`, `files`) or a shared topic ' +
      '(any other name: `announcements`, `group:<name>`; needs a topic grant). Answered with `subscribed` ' +
      'once it is stored (again for a repeated one). `error` `NOT_FOUND` for another user’s job or an ' +
      'invalid topic name, `FORBIDDEN` for a shared topic without a grant, `CONFLICT` past the per-connection cap. ' +
      'A shared-topic subscription an admin later revokes ends with an unsolicited `error` `FORBIDDEN` under ' +
      'the subscribe’s `id`.',
    reply: 'subscribed',
  },
  unsubscribe: { summary: 'Stop receiving a job’s or topic’s events. No reply.' },
  resume: {
    summary:
      'Replay a job’s events (or a granted shared topic’s, from its short-lived log) with `seq > afterSeq` ' +
      '(`-1`: from the first), as `event` (or `topic`) frames in order, then `resumed`; live events follow.',
    reply: 'resumed',
  },
};

const SERVER_FRAME_DOCS: Readonly<Record<ServerFrame['type'], string>> = {
  event: 'One Herald event.',
  pong: 'The answer to `ping`; `id` echoes the ping’s id.',
  error:
    'A client message was refused; `id` echoes its id when it could be read. Also sent unasked when a ' +
    'shared-topic subscription is revoked (`FORBIDDEN`, `id` of that subscribe).',
  resumed:
    'Replay of a job or topic is caught up to `lastSeq` (`-1` for a job, `0` for a topic: no events yet); live events follow.',
  subscribed:
    'The subscription is stored: every event of the job or topic published from now on reaches this connection.',
  topic:
    'One event of a subscribed shared topic. `seq` increases per topic; a fan-out shard may arrive twice, ' +
    'so drop an event whose `seq` was already seen.',
};

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
