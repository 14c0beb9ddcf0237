-- Dataset tables of workflow 1 (declared in src/datasets/; keep in step with them: the unit test
-- load-datasets.test.ts checks this file against datasetSchemaSql(DATASETS), and the integration
-- test load-schema.test.ts checks the migrated catalogue).
--
-- The loader streams a CSV straight into these tables with COPY ... ON_ERROR ignore, so every rule
-- a dataset declares is a rule PostgreSQL checks while it converts the input text
-- (docs/adr/002-ingest-load-path.md):
--   * required   -> a domain with NOT NULL: domain input also runs for NULL, so an empty required
--                   value is a soft error reported with line and column (a plain column NOT NULL
--                   would abort the whole COPY without naming the row). The column keeps NOT NULL
--                   as well, for the catalogue and for writers other than the loader.
--   * maxLength  -> varchar(n): an over-long value is a soft error.
--   * numeric(p,s) -> unconstrained numeric + CHECK: the typmod numeric(12,2) would silently round
--                   '12.345' to 12.35; min_scale() refuses it. abs(VALUE) < 1e(p-s) bounds the
--                   value and refuses NaN and Infinity.
--   * date / timestamptz -> CHECK isfinite(VALUE): refuses 'infinity'.
-- _job_id: the job that loaded the row (or last upserted it). Its DEFAULT reads the
-- transaction-local setting herald.job_id that the loader sets, so COPY writes each row once;
-- any other writer must pass it explicitly, or the missing setting fails the insert.

CREATE DOMAIN ingest_date AS date CHECK (isfinite(VALUE));

CREATE DOMAIN ingest_numeric_12_2 AS numeric CHECK (min_scale(VALUE) <= 2 AND abs(VALUE) < 1e10);

CREATE DOMAIN ingest_req_numeric_12_2 AS numeric NOT NULL CHECK (min_scale(VALUE) <= 2 AND abs(VALUE) < 1e10);

CREATE DOMAIN ingest_req_timestamptz AS timestamptz NOT NULL CHECK (isfinite(VALUE));

CREATE DOMAIN ingest_req_uuid AS uuid NOT NULL;

CREATE DOMAIN ingest_req_varchar_200 AS varchar(200) NOT NULL;

CREATE DOMAIN ingest_req_varchar_3 AS varchar(3) NOT NULL;

CREATE DOMAIN ingest_req_varchar_64 AS varchar(64) NOT NULL;

CREATE DOMAIN ingest_timestamptz AS timestamptz CHECK (isfinite(VALUE));

CREATE TABLE customers (
  external_id ingest_req_uuid NOT NULL,
  name ingest_req_varchar_200 NOT NULL,
  email varchar(320),
  credit_limit ingest_numeric_12_2,
  orders_count integer,
  active boolean,
  signed_up_at ingest_timestamptz,
  birth_date ingest_date,
  _job_id uuid NOT NULL DEFAULT current_setting('herald.job_id')::uuid,
  PRIMARY KEY (external_id)
);

CREATE INDEX customers_job_id ON customers (_job_id);

CREATE TABLE transactions (
  transaction_id ingest_req_uuid NOT NULL,
  customer_external_id ingest_req_uuid NOT NULL,
  amount ingest_req_numeric_12_2 NOT NULL,
  currency ingest_req_varchar_3 NOT NULL,
  occurred_at ingest_req_timestamptz NOT NULL,
  note varchar(500),
  _job_id uuid NOT NULL DEFAULT current_setting('herald.job_id')::uuid
);

CREATE INDEX transactions_job_id ON transactions (_job_id);

CREATE TABLE price_list (
  sku ingest_req_varchar_64 NOT NULL,
  price ingest_req_numeric_12_2 NOT NULL,
  currency ingest_req_varchar_3 NOT NULL,
  valid_from ingest_date,
  _job_id uuid NOT NULL DEFAULT current_setting('herald.job_id')::uuid,
  PRIMARY KEY (sku)
);

CREATE INDEX price_list_job_id ON price_list (_job_id);
