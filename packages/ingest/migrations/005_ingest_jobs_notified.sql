-- When the owner was told a job's outcome (issue 8, hardening).
--
-- notified_at  when the terminal event (job.succeeded / job.failed) was handed to the
--              publisher; NULL while it was not. A worker that crashes between COMMIT and that
--              send leaves it NULL, its message is delivered again, and the next worker finds
--              the job finished but unnotified: it rebuilds the terminal event from the row (same
--              seq = seq_reserved, so a client that has it already drops the copy) and sends it.
ALTER TABLE ingest_jobs ADD COLUMN notified_at timestamptz;

-- Jobs finished before this column existed were notified by the code of their time.
UPDATE ingest_jobs SET notified_at = finished_at WHERE finished_at IS NOT NULL;
