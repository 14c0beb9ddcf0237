import { afterAll } from 'vitest';
import { DynamoConnectLimiter } from '../../src/adapters/dynamo-connect-limiter.ts';
import { DynamoConnectionStore } from '../../src/adapters/dynamo-connection-store.ts';
import { DynamoDeviceStore } from '../../src/adapters/dynamo-device-store.ts';
import { DynamoJobEventLog } from '../../src/adapters/dynamo-job-event-log.ts';
import { DynamoSubscriptionStore } from '../../src/adapters/dynamo-subscription-store.ts';
import { DynamoTicketStore } from '../../src/adapters/dynamo-ticket-store.ts';
import { DynamoTopicEventLog } from '../../src/adapters/dynamo-topic-event-log.ts';
import { DynamoTopicGrantStore } from '../../src/adapters/dynamo-topic-grant-store.ts';
import { DynamoTopicSubscriptionStore } from '../../src/adapters/dynamo-topic-subscription-store.ts';
import {
  CONNECT_ATTEMPTS_TABLE,
  CONNECTIONS_TABLE,
  DEVICES_TABLE,
  JOB_EVENTS_TABLE,
  TICKETS_TABLE,
  TOPIC_EVENTS_TABLE,
  TOPIC_GRANTS_TABLE,
  TOPIC_SUBSCRIPTIONS_TABLE,
} from '../../src/tables.ts';
import { describeConnectLimiterContract } from '../contracts/connect-limiter.contract.ts';
import { describeDeviceStoreContract } from '../contracts/device-store.contract.ts';
import { describeJobEventLogContract } from '../contracts/job-event-log.contract.ts';
import { describeSubscriptionStoreContract } from '../contracts/subscription-store.contract.ts';
import { describeTicketStoreContract } from '../contracts/ticket-store.contract.ts';
import { describeTopicStoresContract } from '../contracts/topic-stores.contract.ts';
import { dynalite } from '../helpers/dynalite.ts';

const db = dynalite();
afterAll(() => db.raw.destroy());
const client = db.documents;

// The contracts the in-memory fakes pass, on real dynalite: a fresh table per test.
describeSubscriptionStoreContract('DynamoSubscriptionStore on dynalite', async () => {
  const tableName = await db.freshTable(CONNECTIONS_TABLE);
  return {
    connections: new DynamoConnectionStore({ client, tableName }),
    subscriptions: new DynamoSubscriptionStore({ client, tableName }),
  };
});
describeTicketStoreContract('DynamoTicketStore on dynalite', async () => {
  return new DynamoTicketStore({ client, tableName: await db.freshTable(TICKETS_TABLE) });
});
describeDeviceStoreContract('DynamoDeviceStore on dynalite', async () => {
  return new DynamoDeviceStore({ client, tableName: await db.freshTable(DEVICES_TABLE) });
});
describeJobEventLogContract('DynamoJobEventLog on dynalite', async () => {
  return new DynamoJobEventLog({ client, tableName: await db.freshTable(JOB_EVENTS_TABLE) });
});
describeConnectLimiterContract('DynamoConnectLimiter on dynalite', async (perMinute) => {
  return new DynamoConnectLimiter({
    client,
    tableName: await db.freshTable(CONNECT_ATTEMPTS_TABLE),
    perMinute,
  });
});
describeTopicStoresContract('Dynamo topic stores on dynalite', async () => ({
  grants: new DynamoTopicGrantStore({ client, tableName: await db.freshTable(TOPIC_GRANTS_TABLE) }),
  subscriptions: new DynamoTopicSubscriptionStore({
    client,
    tableName: await db.freshTable(TOPIC_SUBSCRIPTIONS_TABLE),
  }),
  events: new DynamoTopicEventLog({ client, tableName: await db.freshTable(TOPIC_EVENTS_TABLE) }),
}));
