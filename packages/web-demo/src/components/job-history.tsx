import type { JobErrors, JobView } from '@herald/client-sdk';
import { useHeraldClient } from '@herald/client-sdk/react';
import { Fragment, type ReactNode, useCallback, useEffect, useState } from 'react';
import { formatBytes, formatCount, formatTime } from '../format.ts';
import { RowErrorsTable } from './row-errors-table.tsx';

const STATE_LABELS: Record<JobView['state'], string> = {
  awaiting_upload: 'awaiting upload',
  queued: 'queued',
  processing: 'processing',
  succeeded: 'succeeded',
  failed: 'failed',
  validated: 'validated (dry run)',
  cancelled: 'cancelled',
};

export interface JobHistoryProps {
  /** Changes when the caller knows the list changed (an upload started or ended). */
  readonly version?: number;
}

type Details =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly errors: JobErrors }
  | { readonly status: 'error'; readonly message: string };

/** The user's latest jobs (`client.jobs()`), refreshed when a job of theirs ends. */
export function JobHistory({ version = 0 }: JobHistoryProps): ReactNode {
  const client = useHeraldClient();
  const [jobs, setJobs] = useState<readonly JobView[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [reloads, setReloads] = useState(0);
  const [details, setDetails] = useState<ReadonlyMap<string, Details>>(new Map());

  const reload = useCallback(() => setReloads((n) => n + 1), []);

  // `version` and `reloads` only trigger a fetch; the effect reads nothing else from them.
  // biome-ignore lint/correctness/useExhaustiveDependencies: they are the refresh triggers
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    client.jobs({ limit: 20, signal: controller.signal }).then(
      (list) => {
        setJobs(list.jobs);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError((err as Error).message);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [client, version, reloads]);

  // Every job event but progress (a job queued or ended, also one started elsewhere) changes the list.
  useEffect(
    () =>
      client.on('event', (event) => {
        if (event.type !== 'job.progress' && event.type !== 'file.ready') reload();
      }),
    [client, reload],
  );

  const toggleDetails = (jobId: string) => {
    if (details.has(jobId)) {
      const next = new Map(details);
      next.delete(jobId);
      setDetails(next);
      return;
    }
    const set = (value: Details) => setDetails((current) => new Map(current).set(jobId, value));
    set({ status: 'loading' });
    client.jobErrors(jobId).then(
      (errors) => set({ status: 'ready', errors }),
      (err: unknown) => set({ status: 'error', message: (err as Error).message }),
    );
  };

  return (
    <section className="card wide" aria-labelledby="history-title" aria-busy={loading}>
      <div className="card-head">
        <h2 id="history-title">Job history</h2>
        <button type="button" className="secondary" onClick={reload} disabled={loading}>
          Refresh
        </button>
      </div>
      {error && (
        <p className="notice failure" role="alert">
          Could not load the jobs: {error}
        </p>
      )}
      {jobs && jobs.length === 0 && <p className="muted">No uploads yet.</p>}
      {jobs && jobs.length > 0 && (
        <div className="table-wrap">
          <table data-testid="job-history">
            <caption className="visually-hidden">Your latest jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">File</th>
                <th scope="col">Dataset</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Rows loaded
                </th>
                <th scope="col" className="num">
                  Rejected
                </th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => {
                const detail = details.get(job.jobId);
                return (
                  <Fragment key={job.jobId}>
                    <tr data-testid="job-row" data-job-id={job.jobId} data-state={job.state}>
                      <td>{formatTime(job.createdAt)}</td>
                      <td>
                        <code>{job.fileName}</code>{' '}
                        <span className="muted small">{formatBytes(job.sizeBytes)}</span>
                      </td>
                      <td>{job.dataset}</td>
                      <td>
                        <span className={`state state-${job.state}`}>{STATE_LABELS[job.state]}</span>
                      </td>
                      <td className="num">{formatCount(job.rowsLoaded)}</td>
                      <td className="num">{formatCount(job.rowsRejected)}</td>
                      <td>
                        {job.state === 'failed' && (
                          <button
                            type="button"
                            className="link"
                            aria-expanded={detail !== undefined}
                            onClick={() => toggleDetails(job.jobId)}
                          >
                            {detail ? 'Hide errors' : 'Show errors'}
                          </button>
                        )}
                      </td>
                    </tr>
                    {detail && (
                      <tr className="details">
                        <td colSpan={7}>
                          {detail.status === 'loading' && <span className="muted">Loading…</span>}
                          {detail.status === 'error' && <span role="alert">{detail.message}</span>}
                          {detail.status === 'ready' && (
                            <>
                              {detail.errors.error && <p>{detail.errors.error.message}</p>}
                              {detail.errors.rowErrors.length > 0 && (
                                <RowErrorsTable
                                  rows={detail.errors.rowErrors}
                                  total={detail.errors.rowsRejected}
                                />
                              )}
                            </>
                          )}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
