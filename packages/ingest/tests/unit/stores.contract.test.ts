import { FakeClock } from '../../../runtime/tests/support/fake-clock.ts';
import { staticDatasetCatalog } from '../../src/datasets/catalog.ts';
import { CONTRACT_DATASETS, describeDatasetCatalogContract } from '../contracts/dataset-catalog.contract.ts';
import { describeJobStoreContract } from '../contracts/job-store.contract.ts';
import { describeObjectStoreContract } from '../contracts/object-store.contract.ts';
import { InMemoryJobStore } from '../fakes/in-memory-job-store.ts';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store.ts';

describeJobStoreContract('InMemoryJobStore', async () => {
  // Each read of the clock moves it 1 ms, so jobs created one after another have distinct times.
  const store = new InMemoryJobStore(new FakeClock(undefined, { autoAdvanceMs: 1 }));
  return { store, loadedRows: async (jobId) => store.loadedRows(jobId) };
});

describeObjectStoreContract('InMemoryObjectStore', async () => {
  const store = new InMemoryObjectStore();
  return { store, upload: async (key, body) => store.upload(key, body) };
});

describeDatasetCatalogContract('staticDatasetCatalog', async () => staticDatasetCatalog(CONTRACT_DATASETS));
