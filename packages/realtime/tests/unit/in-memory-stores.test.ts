import { describeDeviceStoreContract } from '../contracts/device-store.contract.ts';
import { describeJobEventLogContract } from '../contracts/job-event-log.contract.ts';
import { describeSubscriptionStoreContract } from '../contracts/subscription-store.contract.ts';
import { describeTicketStoreContract } from '../contracts/ticket-store.contract.ts';
import { describeTopicStoresContract } from '../contracts/topic-stores.contract.ts';
import { InMemoryConnectionStore } from '../fakes/in-memory-connection-store.ts';
import { InMemoryDeviceStore } from '../fakes/in-memory-device-store.ts';
import { InMemoryJobEventLog } from '../fakes/in-memory-job-event-log.ts';
import { InMemoryTicketStore } from '../fakes/in-memory-ticket-store.ts';
import {
  InMemoryTopicEventLog,
  InMemoryTopicGrantStore,
  InMemoryTopicSubscriptionStore,
} from '../fakes/in-memory-topic-stores.ts';

// The fakes pass the same contracts as the DynamoDB adapters (tests/integration), so unit tests
// built on them test against the behaviour the real tables have.
describeSubscriptionStoreContract('InMemoryConnectionStore', async () => {
  const store = new InMemoryConnectionStore();
  return { connections: store, subscriptions: store };
});
describeTicketStoreContract('InMemoryTicketStore', async () => new InMemoryTicketStore());
describeDeviceStoreContract('InMemoryDeviceStore', async () => new InMemoryDeviceStore());
describeJobEventLogContract('InMemoryJobEventLog', async () => new InMemoryJobEventLog());

describeTopicStoresContract('in-memory topic stores', async () => ({
  grants: new InMemoryTopicGrantStore(),
  subscriptions: new InMemoryTopicSubscriptionStore(),
  events: new InMemoryTopicEventLog(),
}));
