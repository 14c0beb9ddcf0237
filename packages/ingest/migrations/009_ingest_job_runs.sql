-- Running jobs and cancellation requests (issue 16).
--
-- backend_pid, xact_start  the PostgreSQL backend running the job's load, and when its transaction
--                          began: the worker records them (committed, from another connection)
--                          as its run starts. POST /jobs/{id}/cancel ends that backend's statement
--                          with pg_cancel_backend only while pg_stat_activity shows the same pid in
--                          the same transaction, so a late cancel never hits the pooled connection's
--                          next job.
-- cancel_requested_at      the owner asked to cancel; the worker reads it before it loads, after
--                          it loaded and when a statement of its run fails: roll back, end the job
--                          `cancelled`.
--
-- A table of its own, with no foreign key: the worker holds the job row FOR UPDATE for its whole
-- run, and any write to that row (or the key-share lock a foreign key check takes on it) would
-- wait until the load is over — the opposite of cancelling it.
CREATE TABLE ingest_job_runs (
  job_id              uuid        PRIMARY KEY,
  backend_pid         integer,
  xact_start          timestamptz,
  cancel_requested_at timestamptz
);
