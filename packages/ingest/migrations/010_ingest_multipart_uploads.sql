-- Multipart uploads of workflow 1 (issue 17): a file at or above the multipart threshold is
-- uploaded in parts; this row remembers which S3 upload belongs to the job, and its part size
-- (fixed when the upload starts, so a later change of the default cannot break a resume).
-- A job without a row here was uploaded with a single presigned PUT.
CREATE TABLE ingest_multipart_uploads (
  job_id     uuid        PRIMARY KEY REFERENCES ingest_jobs (job_id) ON DELETE CASCADE,
  upload_id  text        NOT NULL CHECK (upload_id <> ''),
  part_size  bigint      NOT NULL CHECK (part_size > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
