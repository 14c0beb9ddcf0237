-- The sample tables' `_job_id` index becomes BRIN (minmax-multi), as every table the planner
-- creates from now on (packages/ingest/src/datasets/ddl.ts, JOB_ID_INDEX). COPY writes a job's rows
-- one after another, which is what a block-range index is for: measured with `pnpm bench
-- job-index` (1 M transactions rows on 2 cores), the B-tree made a load 1.24× as long as no index,
-- BRIN minmax-multi 1.03×, and finding one job's rows among 40 jobs takes ~6 ms instead of ~2 ms.
-- Nothing on Herald's request path reads rows by job; operators do, now and then
-- (docs/adr/002-ingest-load-path.md). Hand-written: a convention change, not a declaration change.

DROP INDEX customers_job_id;
CREATE INDEX customers_job_id ON customers USING brin (_job_id uuid_minmax_multi_ops);

DROP INDEX transactions_job_id;
CREATE INDEX transactions_job_id ON transactions USING brin (_job_id uuid_minmax_multi_ops);

DROP INDEX price_list_job_id;
CREATE INDEX price_list_job_id ON price_list USING brin (_job_id uuid_minmax_multi_ops);
