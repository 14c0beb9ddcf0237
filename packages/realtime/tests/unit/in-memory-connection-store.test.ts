import { describeConnectionStoreContract } from '../contracts/connection-store.contract.ts';
import { InMemoryConnectionStore } from '../fakes/in-memory-connection-store.ts';

describeConnectionStoreContract('InMemoryConnectionStore', async () => new InMemoryConnectionStore());
