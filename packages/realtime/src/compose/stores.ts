import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoConnectLimiter } from '../adapters/dynamo-connect-limiter.ts';
import { DynamoConnectionStore } from '../adapters/dynamo-connection-store.ts';
import { DynamoDeviceStore } from '../adapters/dynamo-device-store.ts';
import { DynamoJobEventLog } from '../adapters/dynamo-job-event-log.ts';
import { DynamoSubscriptionStore } from '../adapters/dynamo-subscription-store.ts';
import { DynamoTicketStore } from '../adapters/dynamo-ticket-store.ts';
import type { RealtimeDeps } from '../compose.ts';
import type { PublisherConfig, RealtimeConfig } from '../config.ts';
import type { PublisherDeps } from '../core/publisher.ts';
import { getConfig } from './base.ts';

/** The DynamoDB tables the handlers read and write. */
export type StoreDeps = Pick<
  RealtimeDeps,
  'connections' | 'subscriptions' | 'tickets' | 'devices' | 'eventLog' | 'connectLimiter'
>;

/**
 * The DynamoDB document client. `endpoint` is undefined on AWS and points at dynalite locally:
 * same code, other values.
 *
 * @example
 * const documents = documentClient(loadPublisherConfig(process.env));
 */
export function documentClient(config: PublisherConfig): DynamoDBDocumentClient {
  const dynamo = new DynamoDBClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  return DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The tables the publisher uses: connections, the job event log, devices.
 *
 * @example
 * const { connections } = publisherStores(config, documentClient(config));
 */
export function publisherStores(
  config: PublisherConfig,
  documents: DynamoDBDocumentClient,
): Pick<PublisherDeps, 'connections' | 'eventLog' | 'devices'> {
  return {
    connections: new DynamoConnectionStore({ client: documents, tableName: config.connectionsTable }),
    eventLog: new DynamoJobEventLog({ client: documents, tableName: config.jobEventsTable }),
    devices: new DynamoDeviceStore({ client: documents, tableName: config.devicesTable }),
  };
}

/**
 * Every table adapter the handlers use, on one document client.
 *
 * @example
 * const { tickets } = buildStoreDeps(config, documentClient(config));
 */
export function buildStoreDeps(config: RealtimeConfig, documents: DynamoDBDocumentClient): StoreDeps {
  return {
    ...publisherStores(config, documents),
    subscriptions: new DynamoSubscriptionStore({ client: documents, tableName: config.connectionsTable }),
    tickets: new DynamoTicketStore({ client: documents, tableName: config.ticketsTable }),
    ...(config.connectLimit && {
      connectLimiter: new DynamoConnectLimiter({
        client: documents,
        tableName: config.connectLimit.table,
        perMinute: config.connectLimit.perMinute,
      }),
    }),
  };
}

let documents: DynamoDBDocumentClient | undefined;
let stores: StoreDeps | undefined;

/**
 * The container's document client, built at the first call (the stores and the publisher share it).
 *
 * @example
 * const documents = getDocuments();
 */
export function getDocuments(): DynamoDBDocumentClient {
  documents ??= documentClient(getConfig());
  return documents;
}

/**
 * The container's {@link StoreDeps}, built at the first call and reused by every warm invocation.
 *
 * @example
 * export const handler = makeWsConnectHandler(() => ({ ...getBaseDeps(), ...getStoreDeps() }));
 */
export function getStoreDeps(): StoreDeps {
  stores ??= buildStoreDeps(getConfig(), getDocuments());
  return stores;
}

/** Forgets the document client and the stores (`resetDeps` in `compose.ts` calls it). */
export function resetStoreDeps(): void {
  documents = undefined;
  stores = undefined;
}
