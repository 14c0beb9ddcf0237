-- What the ingest worker records on a job (issue 3).
--
-- attempts      how many times a worker claimed the job (each S3 delivery or retry that found
--               it unfinished adds one).
-- started_at    when a worker first claimed it.
-- report_key    S3 key of the full reject report in the uploads bucket, when one was written.
-- row_errors    the first refused rows ([{line, column?, value?, reason}]) for GET /jobs/{id}/errors.
-- seq_reserved  the highest event `seq` handed out for this job. Each claim reserves a block
--               (seq_reserved + 1 .. seq_reserved + block) and commits it BEFORE any event is
--               sent, so a retry after a crash or rollback always numbers its events above
--               everything an earlier attempt may have sent: seq increases per job across retries.
ALTER TABLE ingest_jobs
  ADD COLUMN attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  ADD COLUMN started_at   timestamptz,
  ADD COLUMN report_key   text,
  ADD COLUMN row_errors   jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(row_errors) = 'array'),
  ADD COLUMN seq_reserved bigint      NOT NULL DEFAULT 0 CHECK (seq_reserved >= 0),
  -- A job has a finish time exactly when it is in a terminal state.
  ADD CONSTRAINT ingest_jobs_finished_at CHECK ((state IN ('succeeded', 'failed')) = (finished_at IS NOT NULL));

-- GET /jobs pages newest first with a (created_at, job_id) keyset cursor; job_id breaks ties.
CREATE INDEX ingest_jobs_user_page ON ingest_jobs (user_id, created_at DESC, job_id DESC);
DROP INDEX ingest_jobs_user_created;
