import { type ErrorEnvelope, errorEnvelope } from '@herald/protocol';
import type { Clock, Logger, Metrics } from '@herald/runtime';
import { delay, errorFields, isRetryable, type RetryOptions, withRetries } from '@herald/runtime';
import { DeadlineExceededError, JobLockedError } from '../errors.ts';
import type { DatasetCatalog, JobFailure, JobWorkStore, LockedJob, Notifier, ObjectStore } from '../ports.ts';
import {
  JobEventStream,
  jobFailedEvent,
  notifySafely,
  SEQ_BLOCK,
  seqBlockEndingAt,
  terminalEventOf,
} from './job-events.ts';
import { isFinished } from './job-state.ts';
import type { RowErrorDetail } from './load-contract.ts';
import type { ProgressThrottleOptions } from './progress-throttle.ts';
import { eventRowErrors, jobRowErrors, rejectReport } from './reject-report.ts';
import { parseS3Notification } from './s3-notification.ts';
import { parseUploadKey, reportObjectKey, type UploadKey } from './upload-key.ts';

export interface IngestWorkerDeps {
  readonly work: JobWorkStore;
  readonly objects: ObjectStore;
  readonly notifier: Notifier;
  readonly datasets: DatasetCatalog;
  readonly clock: Clock;
  /**
   * Per finished job (dimensions `dataset`, and `outcome` for the count): `JobsFinished`,
   * `RowsLoaded`, `RowsRejected`; for a success also `JobDuration` (ms) and `RowsPerSecond`.
   * The job id is metadata, never a dimension.
   */
  readonly metrics: Metrics;
  /** Physical name of the uploads bucket: notifications for any other bucket are ignored. */
  readonly uploadsBucket: string;
  readonly progress: ProgressThrottleOptions;
}

/** Facts about one delivery of a queue message. */
export interface Delivery {
  /** SQS `ApproximateReceiveCount`: 1 on the first delivery. */
  readonly receiveCount: number;
  /** Receives after which the queue dead-letters the message (its `maxReceiveCount`). */
  readonly maxReceives: number;
  /** Epoch ms by which the work must be over (the Lambda deadline minus a safety margin). */
  readonly deadline: number;
}

/** What became of one uploaded object. */
export type UploadOutcome =
  | 'succeeded'
  | 'failed'
  /** A dry run whose file would load. */
  | 'validated'
  /** Its owner cancelled it: rolled back, nothing loaded. */
  | 'cancelled'
  /** The job was already finished: a duplicate or late delivery, nothing done. */
  | 'finished'
  /** Not ours to process (no such job, foreign key, another worker owns it): dropped without retry. */
  | 'skipped'
  /** A retryable fault: the message must be delivered again. */
  | 'retry';

/**
 * Handles one SQS message holding an S3 notification: each `ObjectCreated` record of the
 * uploads bucket under `uploads/{userId}/{jobId}.csv` is processed in turn; anything else is
 * logged and skipped (retrying cannot make it valid). `retry` is true when any record hit a
 * retryable fault: the whole message is then redelivered, and the records already finished are
 * no-ops the second time.
 *
 * @example
 * const { retry } = await processIngestMessage(deps, record.body, delivery, log);
 * if (retry) batchItemFailures.push({ itemIdentifier: record.messageId });
 */
export async function processIngestMessage(
  deps: IngestWorkerDeps,
  body: string,
  delivery: Delivery,
  log: Logger,
): Promise<{ retry: boolean; outcomes: UploadOutcome[] }> {
  const parsed = parseS3Notification(body);
  if (parsed.kind === 'test') {
    log.log('info', 'S3 test event ignored');
    return { retry: false, outcomes: [] };
  }
  if (parsed.kind === 'invalid') {
    log.log('warn', 'message skipped', { reason: parsed.reason });
    return { retry: false, outcomes: [] };
  }
  if (parsed.ignored > 0)
    log.log('info', 'records other than ObjectCreated ignored', { count: parsed.ignored });
  const outcomes: UploadOutcome[] = [];
  for (const created of parsed.created) {
    const key = created.bucket === deps.uploadsBucket ? parseUploadKey(created.encodedKey) : undefined;
    if (key === undefined) {
      // The key is ours (server-made ids), but clip it anyway: it is not trusted input here.
      log.log('warn', 'object skipped: not an upload of the uploads bucket', {
        bucket: created.bucket.slice(0, 64),
        key: created.encodedKey.slice(0, 200),
      });
      outcomes.push('skipped');
      continue;
    }
    outcomes.push(await processUpload(deps, key, delivery, log.child({ jobId: key.jobId })));
  }
  return { retry: outcomes.includes('retry'), outcomes };
}

type RunResult =
  | { readonly kind: 'finished' }
  | {
      readonly kind: 'succeeded';
      /** A dry run: `rowsLoaded` would load, nothing did; the job is `validated`. */
      readonly dryRun: boolean;
      readonly rowsLoaded: number;
      readonly rowsRejected: number;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'failed';
      readonly failure: JobFailure;
      readonly eventRowErrors: RowErrorDetail[];
      /** The object can never load (not the size declared): delete it once the failure is committed. */
      readonly discardObject?: boolean;
    }
  | { readonly kind: 'cancelled' };

/**
 * Processes one uploaded object, exactly once per job however often S3 reports it:
 *
 * 1. claim (short committed transaction): a finished job is a no-op; otherwise
 *    `→ processing`, attempts + 1, a block of event seqs reserved;
 * 2. in ONE transaction holding the job row (`FOR UPDATE NOWAIT`): re-check the state, send
 *    `job.queued`, check the object's size against the declared size, stream it into the
 *    loader, then mark the job `succeeded` (a dry run: `validated`) — or roll the load back and
 *    mark it `failed`, or `cancelled` when its owner asked (before, during or right after the
 *    load: the cancel also ended the statement running then);
 * 3. after COMMIT, the terminal event, then `notified_at` on the row.
 *
 * A concurrent duplicate finds the row locked and is retried later (by then a no-op). A
 * retryable fault rolls everything back and leaves the job `processing` for the retry; on the
 * last allowed delivery the job is marked failed instead, so it never stays `processing`.
 * Anything else unexpected fails the job with `INTERNAL` (no internals in the message).
 *
 * The owner hears the outcome at least once: when the terminal event could not be handed over
 * (publisher down, or the worker died between COMMIT and the send) the message is delivered
 * again, and a delivery that finds the job finished but not notified sends the same event (same
 * seq) from the row.
 */
export async function processUpload(
  deps: IngestWorkerDeps,
  key: UploadKey,
  delivery: Delivery,
  log: Logger,
): Promise<UploadOutcome> {
  let events: JobEventStream | undefined;
  let dataset: string | undefined;
  try {
    const claim = await deps.work.claim({ ...key, seqBlock: SEQ_BLOCK });
    if (claim.kind === 'missing') {
      log.log('warn', 'object skipped: no job matches it');
      return 'skipped';
    }
    if (claim.kind === 'finished') {
      if (claim.job.notifiedAt !== null) {
        log.log('info', 'duplicate delivery of a finished job ignored', { state: claim.job.state });
        return 'finished';
      }
      log.log('warn', 'finished job whose owner was never told; sending its terminal event again');
      const event = terminalEventOf(claim.job);
      return announced(
        deps,
        key,
        await notifySafely(deps.notifier, key.userId, event, log),
        'finished',
        delivery,
        log,
      );
    }
    dataset = claim.job.dataset;
    log.log('info', 'job claimed', { attempts: claim.job.attempts, receiveCount: delivery.receiveCount });
    const timeoutMs = Math.max(1000, delivery.deadline - deps.clock.now());
    const run = await deps.work.runLocked(key.jobId, { timeoutMs }, async (locked): Promise<RunResult> => {
      if (isFinished(locked.job.state)) return { kind: 'finished' };
      // The latest reservation is used, whoever made it: only the lock holder sends events.
      events = new JobEventStream({
        jobId: key.jobId,
        userId: key.userId,
        seq: seqBlockEndingAt(locked.job.seqReserved),
        notifier: deps.notifier,
        clock: deps.clock,
        log,
        progress: deps.progress,
      });
      events.queued(locked.job.dataset);
      return runLoad(deps, locked, events, delivery, log);
    });
    // Committed: only now may the owner hear the outcome.
    if (run.kind === 'finished' || events === undefined) return 'finished';
    if (run.kind === 'cancelled') {
      log.log('info', 'job cancelled by its owner; nothing loaded');
      recordJob(deps, key, dataset, 'cancelled', { rowsLoaded: 0, rowsRejected: 0 });
      return announced(deps, key, await events.cancelled(), 'cancelled', delivery, log);
    }
    if (run.kind === 'succeeded' && run.dryRun) {
      log.log('info', 'dry run validated', { rowsLoaded: run.rowsLoaded, durationMs: run.durationMs });
      // Nothing was loaded: no rows, no load rate.
      recordJob(deps, key, dataset, 'validated', { rowsLoaded: 0, rowsRejected: run.rowsRejected });
      const sent = await events.validated(run);
      return announced(deps, key, sent, 'validated', delivery, log);
    }
    if (run.kind === 'succeeded') {
      log.log('info', 'job succeeded', { rowsLoaded: run.rowsLoaded, durationMs: run.durationMs });
      recordJob(deps, key, dataset, 'succeeded', run);
      return announced(deps, key, await events.succeeded(run), 'succeeded', delivery, log);
    }
    log.log('info', 'job failed', { code: run.failure.error.code, rowsRejected: run.failure.rowsRejected });
    if (run.discardObject === true) await discard(deps, key, log);
    recordJob(deps, key, dataset, 'failed', { rowsLoaded: 0, rowsRejected: run.failure.rowsRejected });
    const sent = await events.failed(run.failure.error, eventRowErrors(run.eventRowErrors));
    return announced(deps, key, sent, 'failed', delivery, log);
  } catch (error) {
    await events?.abandon();
    return afterFault(deps, key, dataset, delivery, log, error);
  }
}

/**
 * Deletes the object of a job that failed on it for good. Best effort: the failure is committed
 * and the owner must still hear it; the uploads lifecycle rule expires a leftover anyway.
 */
async function discard(deps: IngestWorkerDeps, key: UploadKey, log: Logger): Promise<void> {
  try {
    await deps.objects.delete(key.objectKey);
  } catch (error) {
    log.log('warn', 'refused object not deleted; the lifecycle rule will expire it', {
      error: errorFields(error),
    });
  }
}

/** A finished job's metrics (see {@link IngestWorkerDeps.metrics}). */
function recordJob(
  deps: IngestWorkerDeps,
  key: UploadKey,
  dataset: string | undefined,
  outcome: 'succeeded' | 'failed' | 'validated' | 'cancelled',
  figures: { readonly rowsLoaded: number; readonly rowsRejected: number; readonly durationMs?: number },
): void {
  const { metrics } = deps;
  // Unknown when the job failed before it was claimed (the database was out of reach).
  const dimensions = { dataset: dataset ?? 'unknown' };
  metrics.addMetadata('jobId', key.jobId);
  metrics.add('JobsFinished', 'Count', 1, { ...dimensions, outcome });
  metrics.add('RowsLoaded', 'Count', figures.rowsLoaded, dimensions);
  metrics.add('RowsRejected', 'Count', figures.rowsRejected, dimensions);
  if (figures.durationMs !== undefined) {
    metrics.add('JobDuration', 'Milliseconds', figures.durationMs, dimensions);
    const seconds = Math.max(figures.durationMs, 1) / 1000;
    metrics.add('RowsPerSecond', 'Count/Second', Math.round(figures.rowsLoaded / seconds), dimensions);
  }
}

/** Inside the locked transaction: size check, load, and the terminal write. */
async function runLoad(
  deps: IngestWorkerDeps,
  locked: LockedJob,
  events: JobEventStream,
  delivery: Delivery,
  log: Logger,
): Promise<RunResult> {
  const { job } = locked;
  const startedAt = deps.clock.now();
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new DeadlineExceededError('the worker ran out of time')),
    Math.max(1, delivery.deadline - startedAt),
  );
  try {
    // Cancelled before this run began (while the job waited for a worker): nothing to read.
    if (await locked.cancelRequested()) return cancel(locked);
    const dataset = await deps.datasets.find(job.dataset);
    if (dataset === undefined) {
      log.log('error', 'job names a dataset the database does not declare', { dataset: job.dataset });
      return fail(locked, { error: errorEnvelope('INTERNAL') });
    }
    const size = await deps.objects.size(job.objectKey);
    if (size === undefined) {
      return fail(locked, {
        error: errorEnvelope('NOT_FOUND', 'The uploaded file is gone; upload it again.'),
      });
    }
    if (size !== job.sizeBytes) {
      // Refused without reading a byte: the declared size is what the dataset's limit was checked
      // against, and an object of another size is not the file the user declared (a truncated
      // body, a multipart upload completed without all its parts).
      const larger = size > job.sizeBytes;
      const code = larger ? 'OBJECT_LARGER_THAN_DECLARED' : 'OBJECT_SMALLER_THAN_DECLARED';
      const message = `The uploaded file has ${size} bytes, ${larger ? 'more' : 'fewer'} than the ${job.sizeBytes} declared for it.`;
      return { ...(await fail(locked, { error: errorEnvelope(code, message) })), discardObject: true };
    }
    events.startProgress(size);
    const source = await deps.objects.read(job.objectKey);
    const outcome = await locked.load({
      dataset,
      source,
      onProgress: (progress) => events.progress(progress),
      signal: abort.signal,
    });
    // A cancel that arrived during the load wins over its success: roll back, end cancelled.
    if (outcome.ok && (await locked.cancelRequested())) return cancel(locked);
    if (outcome.ok) {
      const reportKey =
        outcome.rejects.length > 0
          ? await writeReport(deps, locked, null, outcome.rowsRejected, outcome.rejects)
          : null;
      const { rowsLoaded, rowsRejected } = outcome;
      await locked.succeed({ rowsLoaded, rowsRejected, rowErrors: jobRowErrors(outcome.rejects), reportKey });
      return {
        kind: 'succeeded',
        dryRun: job.dryRun,
        rowsLoaded,
        rowsRejected,
        durationMs: deps.clock.now() - startedAt,
      };
    }
    const error = errorEnvelope(outcome.code, outcome.message);
    let reportKey: string | null = null;
    try {
      // A report only when there are rows to list (a file-level fault has just the error).
      if (outcome.rowErrors.length > 0) {
        reportKey = await writeReport(deps, locked, error, outcome.rowsRejected, outcome.rowErrors);
      }
    } catch (reportError) {
      // The job row still holds the first row errors; a retry would only fail the same way.
      log.log('warn', 'reject report not written', { error: errorFields(reportError) });
    }
    return fail(locked, { error, rowsRejected: outcome.rowsRejected, details: outcome.rowErrors, reportKey });
  } catch (error) {
    // A cancel ends the run's statement (pg_cancel_backend: SQLSTATE 57014); any other failure
    // with a cancel requested is ended the same way: the owner asked for nothing to be loaded.
    if (await locked.cancelRequested().catch(() => false)) return cancel(locked);
    if (abort.signal.aborted) throw new DeadlineExceededError('the worker ran out of time', { cause: error });
    if (isRetryable(error)) throw error;
    log.log('error', 'unexpected error; job failed', { error: errorFields(error) });
    return fail(locked, { error: errorEnvelope('INTERNAL') });
  } finally {
    clearTimeout(timer);
  }
}

async function cancel(locked: LockedJob): Promise<RunResult> {
  await locked.cancel();
  return { kind: 'cancelled' };
}

async function fail(
  locked: LockedJob,
  input: {
    error: ErrorEnvelope;
    rowsRejected?: number;
    details?: readonly RowErrorDetail[];
    reportKey?: string | null;
  },
): Promise<Extract<RunResult, { kind: 'failed' }>> {
  const details = input.details ?? [];
  const failure: JobFailure = {
    error: input.error,
    rowsRejected: input.rowsRejected ?? 0,
    rowErrors: jobRowErrors(details),
    reportKey: input.reportKey ?? null,
  };
  await locked.fail(failure);
  return { kind: 'failed', failure, eventRowErrors: [...details] };
}

async function writeReport(
  deps: IngestWorkerDeps,
  locked: LockedJob,
  error: ErrorEnvelope | null,
  rowsRejected: number,
  details: readonly RowErrorDetail[],
): Promise<string> {
  const { job } = locked;
  const key = reportObjectKey(job.userId, job.jobId);
  const report = rejectReport({
    jobId: job.jobId,
    dataset: job.dataset,
    fileName: job.fileName,
    error,
    rowsRejected,
    details,
    createdAt: new Date(deps.clock.now()),
  });
  await deps.objects.put(key, JSON.stringify(report), 'application/json');
  return key;
}

/** After a throw: retry, give up (last delivery), or fail the job. */
async function afterFault(
  deps: IngestWorkerDeps,
  key: UploadKey,
  dataset: string | undefined,
  delivery: Delivery,
  log: Logger,
  error: unknown,
): Promise<UploadOutcome> {
  const lastDelivery = delivery.receiveCount >= delivery.maxReceives;
  if (error instanceof JobLockedError) {
    if (!lastDelivery) {
      log.log('info', 'job locked by another worker; will retry');
      return 'retry';
    }
    // The holder is alive (it holds the lock) and will finish the job; do not dead-letter.
    log.log('warn', 'job still locked by another worker on the last delivery; left to that worker');
    return 'skipped';
  }
  if (isRetryable(error) && !lastDelivery) {
    log.log('warn', 'retryable fault; will retry', {
      receiveCount: delivery.receiveCount,
      error: errorFields(error),
    });
    return 'retry';
  }
  const envelope = isRetryable(error)
    ? errorEnvelope(
        'UPSTREAM_UNAVAILABLE',
        `The file could not be loaded after ${delivery.receiveCount} attempts; please upload it again.`,
      )
    : errorEnvelope('INTERNAL');
  log.log('error', 'job failed after a fault', {
    error: errorFields(error),
    receiveCount: delivery.receiveCount,
  });
  try {
    const marked = await deps.work.markFailed(key, {
      error: envelope,
      rowsRejected: 0,
      rowErrors: [],
      reportKey: null,
    });
    if (marked === undefined) return 'finished';
    recordJob(deps, key, dataset, 'failed', { rowsLoaded: 0, rowsRejected: 0 });
    const event = jobFailedEvent({
      jobId: key.jobId,
      seq: marked.seq,
      at: deps.clock.now(),
      error: envelope,
    });
    return announced(
      deps,
      key,
      await notifySafely(deps.notifier, key.userId, event, log),
      'failed',
      delivery,
      log,
    );
  } catch (markError) {
    // The database is still out of reach: the message goes to the dead-letter queue.
    log.log('error', 'job could not be marked failed', { error: errorFields(markError) });
    return 'retry';
  }
}

/**
 * After the terminal event of a finished job: records the notification, or asks for the
 * message again so the next delivery sends it (on the last delivery there is none: logged).
 */
const NOTIFIED_RETRY: RetryOptions = {
  policy: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
  random: Math.random,
  sleep: delay,
  retryable: isRetryable,
};

async function announced(
  deps: IngestWorkerDeps,
  key: UploadKey,
  sent: boolean,
  outcome: UploadOutcome,
  delivery: Delivery,
  log: Logger,
): Promise<UploadOutcome> {
  if (!sent) {
    if (delivery.receiveCount < delivery.maxReceives) return 'retry';
    log.log('error', 'the owner was not told the outcome and no delivery is left', { outcome });
    return outcome;
  }
  try {
    // Once more on a dropped connection: the pool hands out a fresh one, and a job left
    // "never told" would have its event sent again by any later duplicate delivery.
    await withRetries(() => deps.work.markNotified(key.jobId), NOTIFIED_RETRY);
  } catch (error) {
    // The event went out; a later duplicate delivery would only send the same seq again.
    log.log('warn', 'notification not recorded', { error: errorFields(error) });
  }
  return outcome;
}
