-- Dry runs and cancellation (issue 16).
--
-- dry_run     POST /uploads {dryRun: true}: the worker validates the whole file exactly as a load
--             would (same codes, lines, columns, reject report) and loads nothing; the job ends
--             `validated` (or `failed`).
-- validated   the terminal state of a dry run whose file would load.
-- cancelled   the terminal state of a job its owner cancelled (POST /jobs/{id}/cancel) before
--             it finished: nothing of it is loaded.
ALTER TABLE ingest_jobs ADD COLUMN dry_run boolean NOT NULL DEFAULT false;

ALTER TABLE ingest_jobs
  DROP CONSTRAINT ingest_jobs_state_check,
  ADD CONSTRAINT ingest_jobs_state_check CHECK (
    state IN ('awaiting_upload', 'queued', 'processing', 'succeeded', 'failed', 'validated', 'cancelled')
  ),
  -- Only a dry run may end validated.
  ADD CONSTRAINT ingest_jobs_validated_dry_run CHECK (state <> 'validated' OR dry_run),
  DROP CONSTRAINT ingest_jobs_finished_at,
  ADD CONSTRAINT ingest_jobs_finished_at CHECK (
    (state IN ('succeeded', 'failed', 'validated', 'cancelled')) = (finished_at IS NOT NULL)
  );
