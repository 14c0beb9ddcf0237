import { FakeClock } from '../../../runtime/tests/support/fake-clock.ts';
import { describeFileStoreContract } from '../contracts/file-store.contract.ts';
import { describeGrantStoreContract } from '../contracts/grant-store.contract.ts';
import { InMemoryFileStore } from '../fakes/in-memory-file-store.ts';
import { InMemoryGrantStore } from '../fakes/in-memory-grant-store.ts';

describeFileStoreContract('InMemoryFileStore', async () => {
  const store = new InMemoryFileStore();
  return { store, read: async (key) => store.objects.get(key)?.body };
});

describeGrantStoreContract('InMemoryGrantStore', async () => new InMemoryGrantStore(new FakeClock()));
