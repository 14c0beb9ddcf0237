-- The declarations of the datasets (issue 16): one row per dataset, written by the dataset
-- migrations that `herald datasets migrate` generates from herald.datasets.json, in the same
-- transaction as the DDL that makes the table match it. The upload check (POST /uploads: does
-- the dataset exist, may the caller's groups upload to it, how large may the file be) and the
-- worker (the table, the columns and their rules, the load mode) read them here, so a function
-- never runs with a declaration its table does not have yet.
--
-- declaration  the dataset in the declaration file's form, defaults written out
--              (packages/ingest/src/datasets/declaration.ts: declaredForm).
CREATE TABLE ingest_datasets (
  name        text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  declaration jsonb       NOT NULL CHECK (jsonb_typeof(declaration) = 'object' AND declaration ->> 'name' = name),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
