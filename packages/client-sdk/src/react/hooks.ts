import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { UploadOptions } from '../client.ts';
import type { ConnectionState } from '../connection.ts';
import type { JobSnapshot, UploadHandle } from '../job-handle.ts';
import type { UploadBody } from '../upload.ts';
import { useHeraldClient } from './provider.tsx';
import { connectionStore, jobStore, uploadStore } from './stores.ts';

/**
 * The connection state of the provider's client; re-renders on every transition.
 *
 * @example
 * function LiveBadge() {
 *   const state = useConnectionState();
 *   return <span className={state}>{state === 'open' ? 'live' : state}</span>;
 * }
 */
export function useConnectionState(): ConnectionState {
  const client = useHeraldClient();
  const store = useMemo(() => connectionStore(client), [client]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/**
 * Follows a job while the component is mounted: its progress, REST view, result or error.
 * Pass `undefined` to follow nothing.
 *
 * @example
 * function JobRow({ jobId }: { jobId: string }) {
 *   const { progress, result, error } = useJob(jobId);
 *   if (error) return <p>{error.message}</p>;
 *   if (result) return <p>{result.rowsLoaded} rows loaded</p>;
 *   return <progress value={progress.percent} max={100} />;
 * }
 */
export function useJob(jobId: string | null | undefined): JobSnapshot {
  const client = useHeraldClient();
  const store = useMemo(() => jobStore(client, jobId), [client, jobId]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/**
 * What {@link useUpload} returns: the latest upload's snapshot plus `upload`, `abort`, `reset`.
 *
 * @example
 * const { upload, progress, result, error } = useUpload();
 */
export interface UseUploadResult extends JobSnapshot {
  /** Starts an upload (replacing the one shown) and returns its handle. */
  upload(body: UploadBody, options: UploadOptions): UploadHandle;
  abort(): void;
  reset(): void;
}

/**
 * An upload slot for a component: start uploads, show their progress and outcome.
 *
 * @example
 * function Uploader() {
 *   const { upload, progress, result, error } = useUpload();
 *   return (
 *     <>
 *       <input type="file" onChange={(e) => e.target.files?.[0] && upload(e.target.files[0], { dataset: 'transactions' })} />
 *       <progress value={progress.percent} max={100} />
 *       {result && <p>{result.rowsLoaded} rows loaded</p>}
 *       {error && <p role="alert">{error.message}</p>}
 *     </>
 *   );
 * }
 */
export function useUpload(): UseUploadResult {
  const client = useHeraldClient();
  const store = useMemo(() => uploadStore(client), [client]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  const upload = useCallback(
    (body: UploadBody, options: UploadOptions) => store.start(body, options),
    [store],
  );
  return useMemo(
    () => ({ ...snapshot, upload, abort: store.abort, reset: store.reset }),
    [snapshot, upload, store],
  );
}
