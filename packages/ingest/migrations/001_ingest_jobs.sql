-- Jobs of workflow 1 (CSV ingest). One row per upload; the worker claims it with
-- SELECT ... FOR UPDATE (not an advisory lock: RDS Proxy would pin the session).
CREATE TABLE ingest_jobs (
  job_id        uuid PRIMARY KEY,
  user_id       text        NOT NULL,
  dataset       text        NOT NULL,
  file_name     text        NOT NULL,
  size_bytes    bigint      NOT NULL CHECK (size_bytes >= 0),
  object_key    text        NOT NULL UNIQUE,
  state         text        NOT NULL DEFAULT 'awaiting_upload'
                CHECK (state IN ('awaiting_upload', 'queued', 'processing', 'succeeded', 'failed')),
  rows_loaded   bigint      NOT NULL DEFAULT 0,
  rows_rejected bigint      NOT NULL DEFAULT 0,
  error         jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);

CREATE INDEX ingest_jobs_user_created ON ingest_jobs (user_id, created_at DESC);
