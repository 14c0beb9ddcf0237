import { type HeraldClientError, JobFailedError, type UploadHandle } from '@herald/client-sdk';
import { useUpload } from '@herald/client-sdk/react';
import { type FormEvent, type ReactNode, useId, useRef, useState } from 'react';
import { DATASETS } from '../datasets.ts';
import { formatBytes, formatCount, formatDuration } from '../format.ts';
import { ProgressBar } from './progress-bar.tsx';
import { RowErrorsTable } from './row-errors-table.tsx';

export interface UploadPanelProps {
  /** Called when an upload creates a job and when it ends, so the job list can refresh. */
  readonly onJobsChanged?: () => void;
}

function failureTitle(error: HeraldClientError): string {
  if (error.code === 'JOB_CANCELLED') return 'The job was cancelled.';
  if (error instanceof JobFailedError) return 'The file was refused; nothing was loaded.';
  return error.code === 'ABORTED' ? 'The upload was cancelled.' : 'The upload failed.';
}

/** The table lists the row errors; the notice then only counts them (the message repeats the first). */
function failureText(error: HeraldClientError): string {
  if (!(error instanceof JobFailedError) || error.rowErrors.length === 0) return error.message;
  const n = error.rowErrors.length;
  return `${n === 1 ? 'One row was' : `${formatCount(n)} rows were`} refused; see the table below.`;
}

/** Choose a dataset and a CSV, upload it, follow it live, and see how it ended. */
export function UploadPanel({ onJobsChanged }: UploadPanelProps): ReactNode {
  const datasetId = useId();
  const fileId = useId();
  const dryRunId = useId();
  const { upload, progress, result, error, jobId } = useUpload();
  const [dataset, setDataset] = useState<string>('transactions');
  const [file, setFile] = useState<File | undefined>();
  const [dryRun, setDryRun] = useState(false);
  const [started, setStarted] = useState<
    { fileName: string; dataset: string; dryRun: boolean } | undefined
  >();
  const handle = useRef<UploadHandle | undefined>(undefined);

  const finished = progress.phase === 'succeeded' || progress.phase === 'failed';
  const busy = started !== undefined && !finished;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file || busy) return;
    setStarted({ fileName: file.name, dataset, dryRun });
    const started = upload(file, { dataset, dryRun });
    handle.current = started;
    onJobsChanged?.();
    started.done.then(onJobsChanged, onJobsChanged);
  };

  // Cancels the job on the server (and stops an upload still sending): nothing is loaded.
  const cancel = () => {
    handle.current?.cancel().catch(() => {});
  };

  return (
    <section className="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a CSV</h2>
      <form onSubmit={submit} className="upload-form">
        <div className="field">
          <label htmlFor={datasetId}>Dataset</label>
          <select
            id={datasetId}
            data-testid="upload-dataset"
            value={dataset}
            onChange={(e) => setDataset(e.target.value)}
            disabled={busy}
          >
            {DATASETS.map((d) => (
              <option key={d.name} value={d.name}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={fileId}>CSV file</label>
          <input
            id={fileId}
            data-testid="upload-file"
            type="file"
            accept=".csv,text/csv"
            disabled={busy}
            onChange={(e) => setFile(e.target.files?.[0])}
          />
          {file && <span className="muted small">{formatBytes(file.size)}</span>}
        </div>
        <div className="field">
          <label htmlFor={dryRunId}>
            <input
              id={dryRunId}
              data-testid="upload-dry-run"
              type="checkbox"
              checked={dryRun}
              disabled={busy}
              onChange={(e) => setDryRun(e.target.checked)}
            />{' '}
            Dry run: check the whole file, load nothing
          </label>
        </div>
        <div className="actions">
          <button type="submit" data-testid="upload-submit" disabled={!file || busy}>
            {dryRun ? 'Check' : 'Upload'}
          </button>
          {busy && (
            <button type="button" className="secondary" data-testid="upload-cancel" onClick={cancel}>
              Cancel job
            </button>
          )}
        </div>
      </form>

      {started && (
        <div className="upload-status">
          <p className="muted small">
            <code>{started.fileName}</code> → <code>{started.dataset}</code>
            {jobId && (
              <>
                {' '}
                · job <code data-testid="upload-job-id">{jobId}</code>
              </>
            )}
          </p>
          <ProgressBar progress={progress} />
        </div>
      )}

      {/* One polite live region that always exists, so screen readers announce the outcome. */}
      <div aria-live="polite" aria-atomic="true" data-testid="upload-notices">
        {started && result && !started.dryRun && (
          <p className="notice success" data-testid="upload-notice" data-kind="success">
            <strong>Upload finished.</strong> {formatCount(result.rowsLoaded)} rows loaded into{' '}
            <code>{started.dataset}</code> in {formatDuration(result.durationMs)}
            {result.rowsRejected > 0 ? `; ${formatCount(result.rowsRejected)} rows skipped` : ''}.
          </p>
        )}
        {started && result && started.dryRun && (
          <p className="notice success" data-testid="upload-notice" data-kind="success">
            <strong>The file checks out.</strong> {formatCount(result.rowsLoaded)} rows would load into{' '}
            <code>{started.dataset}</code>; nothing was loaded (checked in {formatDuration(result.durationMs)}
            ).
          </p>
        )}
        {started && error && (
          <p className="notice failure" data-testid="upload-notice" data-kind="failure">
            <strong>{failureTitle(error)}</strong> {failureText(error)}{' '}
            <span className="muted">({error.code})</span>
          </p>
        )}
      </div>
      {started && error instanceof JobFailedError && error.rowErrors.length > 0 && (
        <RowErrorsTable rows={error.rowErrors} />
      )}
    </section>
  );
}
