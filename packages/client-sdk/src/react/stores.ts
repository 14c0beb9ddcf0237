import type { HeraldClient, UploadOptions } from '../client.ts';
import type { ConnectionState } from '../connection.ts';
import type { JobHandle, JobSnapshot, UploadHandle } from '../job-handle.ts';
import type { UploadBody } from '../upload.ts';

/**
 * A source React's `useSyncExternalStore` can read: `subscribe` is called on mount (and starts
 * whatever work the store stands for), its returned function on unmount.
 *
 * @example
 * const store = connectionStore(client);
 * const state = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
 */
export interface ExternalStore<T> {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): T;
}

/**
 * The client's connection state as a store.
 *
 * @example
 * connectionStore(client).getSnapshot(); // 'idle'
 */
export function connectionStore(client: HeraldClient): ExternalStore<ConnectionState> {
  return {
    subscribe: (onChange) => client.on('state', onChange),
    getSnapshot: () => client.state,
  };
}

/**
 * What {@link jobStore} and {@link uploadStore} show while nothing is followed.
 *
 * @example
 * if (snapshot === IDLE_JOB) showEmptyState();
 */
export const IDLE_JOB: JobSnapshot = Object.freeze({
  jobId: undefined,
  progress: Object.freeze({ phase: 'pending', percent: 0 }) as JobSnapshot['progress'],
  subscribed: false,
  job: undefined,
  result: undefined,
  error: undefined,
});

/**
 * A followed job as a store: the first subscriber starts `client.follow(jobId)`, the last one
 * to leave closes it. Without a job id it stays at {@link IDLE_JOB}.
 *
 * @example
 * const store = jobStore(client, jobId);
 * const off = store.subscribe(() => render(store.getSnapshot()));
 */
export function jobStore(client: HeraldClient, jobId: string | null | undefined): ExternalStore<JobSnapshot> {
  let handle: JobHandle | undefined;
  let stopListening: (() => void) | undefined;
  let last: JobSnapshot = jobId ? { ...IDLE_JOB, jobId } : IDLE_JOB;
  const listeners = new Set<() => void>();
  return {
    subscribe(onChange) {
      listeners.add(onChange);
      if (jobId && !handle) {
        handle = client.follow(jobId);
        last = handle.snapshot;
        stopListening = handle.on('change', (snapshot) => {
          last = snapshot;
          for (const listener of [...listeners]) listener();
        });
      }
      return () => {
        listeners.delete(onChange);
        if (listeners.size > 0 || !handle) return;
        stopListening?.();
        handle.close();
        handle = undefined;
      };
    },
    getSnapshot: () => last,
  };
}

/**
 * The state of one upload slot: the latest upload's snapshot, and what starts, aborts or resets it.
 *
 * @example
 * const store = uploadStore(client);
 * store.start(file, { dataset: 'transactions' });
 */
export interface UploadStore extends ExternalStore<JobSnapshot> {
  start(body: UploadBody, options: UploadOptions): UploadHandle;
  abort(): void;
  reset(): void;
}

/**
 * An upload slot as a store (what `useUpload` keeps per component). Starting a new upload
 * replaces the one shown; the previous one keeps running unless aborted.
 *
 * @example
 * const store = uploadStore(client);
 * store.subscribe(() => console.log(store.getSnapshot().progress));
 * await store.start(file, { dataset: 'transactions' }).done;
 */
export function uploadStore(client: HeraldClient): UploadStore {
  let handle: UploadHandle | undefined;
  let stopListening: (() => void) | undefined;
  let last = IDLE_JOB;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const show = (next: UploadHandle | undefined) => {
    stopListening?.();
    stopListening = undefined;
    handle = next;
    last = next?.snapshot ?? IDLE_JOB;
    if (next) {
      stopListening = next.on('change', (snapshot) => {
        last = snapshot;
        notify();
      });
    }
    notify();
  };
  return {
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    getSnapshot: () => last,
    start(body, options) {
      const next = client.upload(body, options);
      show(next);
      return next;
    },
    abort: () => handle?.abort(),
    reset: () => show(undefined),
  };
}
