-- Text columns with a maximum length become text domains with CHECK (char_length(VALUE) <= n)
-- instead of varchar(n) (packages/ingest/src/datasets/ddl.ts). varchar(n) input does not refuse a value whose
-- characters past n are all spaces: it silently cuts them (SQL-standard behaviour), so 'EUR '
-- loaded as 'EUR' and a note padded past 500 characters lost its end, against the documented
-- rule "text(n): at most n characters, else VALUE_TOO_LONG; text is kept verbatim". A domain
-- CHECK is still a soft input error under COPY ... ON_ERROR ignore, reported with line and column.
-- varchar -> text is binary coercible: no table rewrite; the CHECKs are validated on existing rows
-- (which varchar(n) already kept within n characters).
--
-- This file was migration 006 of @herald/ingest (see 001 for why it moved).
-- herald:moved-from ingest/006_text_length_domains

CREATE DOMAIN ingest_req_text_200 AS text NOT NULL CHECK (char_length(VALUE) <= 200);

CREATE DOMAIN ingest_req_text_3 AS text NOT NULL CHECK (char_length(VALUE) <= 3);

CREATE DOMAIN ingest_req_text_64 AS text NOT NULL CHECK (char_length(VALUE) <= 64);

CREATE DOMAIN ingest_text_320 AS text CHECK (char_length(VALUE) <= 320);

CREATE DOMAIN ingest_text_500 AS text CHECK (char_length(VALUE) <= 500);

ALTER TABLE customers
  ALTER COLUMN name TYPE ingest_req_text_200,
  ALTER COLUMN email TYPE ingest_text_320;

ALTER TABLE transactions
  ALTER COLUMN currency TYPE ingest_req_text_3,
  ALTER COLUMN note TYPE ingest_text_500;

ALTER TABLE price_list
  ALTER COLUMN sku TYPE ingest_req_text_64,
  ALTER COLUMN currency TYPE ingest_req_text_3;

DROP DOMAIN ingest_req_varchar_200;

DROP DOMAIN ingest_req_varchar_3;

DROP DOMAIN ingest_req_varchar_64;
