import {
  type HeraldClientError,
  JobFailedError,
  type JobProgress,
  type UploadHandle,
} from '@herald/client-sdk';
import { multipartApi, resumeTokenOf, resumeUpload } from '@herald/client-sdk/multipart';
import { useHeraldClient, useJob, useUpload } from '@herald/client-sdk/react';
import { type FormEvent, type ReactNode, useId, useRef, useState } from 'react';
import { DATASETS } from '../datasets.ts';
import { formatBytes, formatCount, formatDuration } from '../format.ts';
import { type NetworkDrop, SimulatedNetworkDrop } from '../network-drop.ts';
import { ProgressBar } from './progress-bar.tsx';
import { RowErrorsTable } from './row-errors-table.tsx';

export interface UploadPanelProps {
  /** Called when an upload creates a job and when it ends, so the job list can refresh. */
  readonly onJobsChanged?: () => void;
  /** The session uploader's simulated network drop (dev); without it the control is hidden. */
  readonly networkDrop?: NetworkDrop;
}

/**
 * Where an interrupted upload is kept (its resume token and job), so a reload can resume it too,
 * or cancel it.
 */
const RESUME_KEY = 'herald-demo.resume';

/** An interrupted upload: what resumes it, and the job Cancel discards. */
interface Interrupted {
  readonly token: string;
  readonly jobId: string;
}

function storedInterrupted(): Interrupted | undefined {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(RESUME_KEY) ?? 'null');
    const { token, jobId } = (value ?? {}) as Partial<Interrupted>;
    return typeof token === 'string' && typeof jobId === 'string' ? { token, jobId } : undefined;
  } catch {
    return undefined;
  }
}
/** The dev "slow network": a part of 8 MiB takes about 2 s (each part request on its own). */
const SLOW_BYTES_PER_SECOND = 4 * 1024 * 1024;

/** An upload in parts resumed after a drop: its bytes, then its job through `useJob`. */
interface Resumed {
  /** Known once the resume finished sending (a token's job id stays inside the SDK). */
  readonly jobId: string;
  /** Percent of the bytes storage held when the upload resumed. */
  readonly resumedAt?: number;
  readonly sent: number;
  readonly total: number;
  readonly uploaded: boolean;
  readonly error?: HeraldClientError;
}

const percentOf = (sent: number, total: number) => (total > 0 ? Math.floor((sent / total) * 1000) / 10 : 0);

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
export function UploadPanel({ onJobsChanged, networkDrop }: UploadPanelProps): ReactNode {
  const datasetId = useId();
  const fileId = useId();
  const dryRunId = useId();
  const dropId = useId();
  const slowId = useId();
  const client = useHeraldClient();
  const uploadSlot = useUpload();
  const [resumed, setResumed] = useState<Resumed | undefined>();
  const followed = useJob(resumed?.uploaded ? resumed.jobId : undefined);
  const [drop, setDrop] = useState(false);
  const [slow, setSlow] = useState(false);
  const [droppedAt, setDroppedAt] = useState<number | undefined>();
  const [pending, setPending] = useState(storedInterrupted);
  // After a resume the bar shows the resumed bytes, then the job as followed again.
  const resumedProgress: JobProgress | undefined = resumed?.error
    ? { phase: 'failed', percent: percentOf(resumed.sent, resumed.total), error: resumed.error }
    : resumed && !resumed.uploaded
      ? {
          phase: 'uploading',
          percent: percentOf(resumed.sent, resumed.total),
          bytesSent: resumed.sent,
          bytesTotal: resumed.total,
        }
      : undefined;
  const shown = resumed ? followed : uploadSlot;
  const progress = resumedProgress ?? shown.progress;
  const { result } = shown;
  const error = resumed?.error ?? shown.error;
  const jobId = resumed?.jobId || uploadSlot.jobId;
  const { upload } = uploadSlot;
  const [dataset, setDataset] = useState<string>('transactions');
  const [file, setFile] = useState<File | undefined>();
  const [dryRun, setDryRun] = useState(false);
  const [started, setStarted] = useState<
    { fileName: string; dataset: string; dryRun: boolean } | undefined
  >();
  const handle = useRef<UploadHandle | undefined>(undefined);
  /** The resume in flight: Cancel stops its part requests and discards its upload. */
  const resuming = useRef<{ readonly job: Interrupted; readonly stop: AbortController } | undefined>(
    undefined,
  );

  const finished = progress.phase === 'succeeded' || progress.phase === 'failed';
  const busy = started !== undefined && !finished;

  /** Sends the parts storage does not hold yet, then follows the job to its end. */
  const resume = (job: Interrupted, body: File) => {
    setPending(undefined);
    const stop = new AbortController();
    resuming.current = { job, stop };
    setResumed({ jobId: '', sent: 0, total: body.size, uploaded: false });
    // The first progress counts the bytes of the parts storage already held: where it resumed.
    const onProgress = (sent: number, total: number) =>
      setResumed((r) => r && { ...r, sent, total, resumedAt: r.resumedAt ?? percentOf(sent, total) });
    const fetch = networkDrop?.fetch;
    resumeUpload(client, job.token, body, { onProgress, signal: stop.signal, ...(fetch && { fetch }) }).then(
      ({ jobId, resumedAtBytes, sizeBytes }) => {
        localStorage.removeItem(RESUME_KEY);
        setResumed({
          jobId,
          resumedAt: percentOf(resumedAtBytes, sizeBytes),
          sent: sizeBytes,
          total: sizeBytes,
          uploaded: true,
        });
        onJobsChanged?.();
      },
      (err: HeraldClientError) => {
        // Cancelled: the upload is discarded, nothing to resume. Otherwise the token stays (in
        // localStorage too): the right file, or a better network, can try again.
        if (stop.signal.aborted) localStorage.removeItem(RESUME_KEY);
        else setPending(job);
        setResumed((r) => r && { ...r, error: err });
      },
    );
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file || busy) return;
    setStarted({ fileName: file.name, dataset, dryRun });
    setResumed(undefined);
    setDroppedAt(undefined);
    if (drop) networkDrop?.arm(0.5);
    else networkDrop?.disarm();
    networkDrop?.throttle(slow ? SLOW_BYTES_PER_SECOND : undefined);
    const started = upload(file, { dataset, dryRun });
    handle.current = started;
    onJobsChanged?.();
    started.done.then(onJobsChanged, (err: HeraldClientError) => {
      onJobsChanged?.();
      const token = resumeTokenOf(started);
      if (!(err.cause instanceof SimulatedNetworkDrop) || !token || !started.jobId) return;
      // The token survives a reload: picking the same file again resumes from here.
      const job = { token, jobId: started.jobId };
      localStorage.setItem(RESUME_KEY, JSON.stringify(job));
      setDroppedAt(err.cause.percent);
      resume(job, file);
    });
  };

  /** After a reload: the same file, picked again, continues the interrupted upload. */
  const resumeStored = () => {
    if (!file || !pending) return;
    setStarted({ fileName: file.name, dataset, dryRun: false });
    setDroppedAt(undefined);
    resume(pending, file);
  };

  // Cancels the job on the server (and stops an upload still sending): nothing is loaded. A
  // resume in flight stops its part requests and discards the upload (DELETE /uploads/{jobId}:
  // storage drops the parts, the job fails UPLOAD_ABORTED).
  const cancel = () => {
    const inFlight = resuming.current;
    if (inFlight && !inFlight.stop.signal.aborted) {
      inFlight.stop.abort();
      multipartApi(client)
        .abortUpload({ params: { jobId: inFlight.job.jobId } })
        .finally(onJobsChanged)
        .catch(() => {});
      return;
    }
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
          <Toggle id={dryRunId} testId="upload-dry-run" checked={dryRun} disabled={busy} onChange={setDryRun}>
            Dry run: check the whole file, load nothing
          </Toggle>
        </div>
        {networkDrop && (
          <div className="field">
            <Toggle id={dropId} testId="upload-drop" checked={drop} disabled={busy} onChange={setDrop}>
              Dev: simulate a network drop at ~50 % (files in parts, 16 MiB or more), then resume
            </Toggle>
            <Toggle id={slowId} testId="upload-slow" checked={slow} disabled={busy} onChange={setSlow}>
              Dev: slow network (each part request at ~4 MiB/s)
            </Toggle>
          </div>
        )}
        <div className="actions">
          <button type="submit" data-testid="upload-submit" disabled={!file || busy}>
            {dryRun ? 'Check' : 'Upload'}
          </button>
          {pending && !busy && (
            <button
              type="button"
              className="secondary"
              data-testid="upload-resume"
              disabled={!file}
              onClick={resumeStored}
              title="Pick the same file again to continue the interrupted upload"
            >
              Resume interrupted upload
            </button>
          )}
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
          {resumed?.resumedAt !== undefined && (
            <p className="muted small" data-testid="upload-resumed" data-percent={resumed.resumedAt}>
              {droppedAt !== undefined ? `Network dropped at ${droppedAt} %; ` : ''}resumed at{' '}
              {resumed.resumedAt} %.
            </p>
          )}
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

/** One labelled checkbox of the upload form. */
function Toggle(props: {
  readonly id: string;
  readonly testId: string;
  readonly checked: boolean;
  readonly disabled: boolean;
  readonly onChange: (checked: boolean) => void;
  readonly children: ReactNode;
}) {
  return (
    <label htmlFor={props.id}>
      <input
        id={props.id}
        data-testid={props.testId}
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.checked)}
      />{' '}
      {props.children}
    </label>
  );
}
