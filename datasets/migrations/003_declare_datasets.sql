-- Records the declarations of the sample datasets (herald.datasets.json) in ingest_datasets,
-- where the upload check and the worker read them. Their tables exist already (001 and 002,
-- hand-written before datasets were declared in a file), so this migration has no DDL. Every
-- later migration here is written by `herald datasets migrate` and records the declarations it
-- brings the tables to in the same way (the statements below are its output for them).

INSERT INTO ingest_datasets (name, declaration) VALUES ('customers', $declaration$
{
  "name": "customers",
  "table": "customers",
  "mode": "upsert",
  "key": ["external_id"],
  "columns": [
    {"name":"external_id","type":"uuid","required":true},
    {"name":"name","type":"text","maxLength":200,"required":true},
    {"name":"email","type":"text","maxLength":320,"required":false},
    {"name":"credit_limit","type":"numeric(12,2)","required":false},
    {"name":"orders_count","type":"integer","required":false},
    {"name":"active","type":"boolean","required":false},
    {"name":"signed_up_at","type":"timestamptz","required":false},
    {"name":"birth_date","type":"date","required":false}
  ],
  "maxRejects": 0,
  "maxFileBytes": 2147483648,
  "uploadGroups": ["analysts"]
}
$declaration$)
  ON CONFLICT (name) DO UPDATE SET declaration = EXCLUDED.declaration, updated_at = now();

INSERT INTO ingest_datasets (name, declaration) VALUES ('transactions', $declaration$
{
  "name": "transactions",
  "table": "transactions",
  "mode": "append",
  "key": [],
  "columns": [
    {"name":"transaction_id","type":"uuid","required":true},
    {"name":"customer_external_id","type":"uuid","required":true},
    {"name":"amount","type":"numeric(12,2)","required":true},
    {"name":"currency","type":"text","maxLength":3,"required":true},
    {"name":"occurred_at","type":"timestamptz","required":true},
    {"name":"note","type":"text","maxLength":500,"required":false}
  ],
  "maxRejects": 0,
  "maxFileBytes": 2147483648,
  "uploadGroups": ["analysts","admins"]
}
$declaration$)
  ON CONFLICT (name) DO UPDATE SET declaration = EXCLUDED.declaration, updated_at = now();

INSERT INTO ingest_datasets (name, declaration) VALUES ('price_list', $declaration$
{
  "name": "price_list",
  "table": "price_list",
  "mode": "replace",
  "key": ["sku"],
  "columns": [
    {"name":"sku","type":"text","maxLength":64,"required":true},
    {"name":"price","type":"numeric(12,2)","required":true},
    {"name":"currency","type":"text","maxLength":3,"required":true},
    {"name":"valid_from","type":"date","required":false}
  ],
  "maxRejects": 0,
  "maxFileBytes": 268435456,
  "uploadGroups": ["analysts"]
}
$declaration$)
  ON CONFLICT (name) DO UPDATE SET declaration = EXCLUDED.declaration, updated_at = now();
