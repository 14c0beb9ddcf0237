-- Workflow 2 (file delivery): who may fetch what from SRV-GW. Deny by default: a user may fetch
-- a path only when a grant covers it for one of their Cognito groups (or for everyone, `*`),
-- or when it lies under their own home prefix `users/{sub}/` (a rule in code, never a row).
-- A prefix ending in `/` is a folder; any other prefix is one exact file.
--
-- This file was migration 004 of @herald/ingest until file delivery became its own package. The
-- line below tells the runner (@herald/runtime/migrations) so: a database that recorded it as
-- ingest/004 has that row re-recorded as files/001 and never runs it again (running it again
-- would fail on CREATE TABLE, or, made idempotent, bring back seed grants an admin deleted).
-- herald:moved-from ingest/004_file_grants
CREATE TABLE file_grants (
  grant_id    uuid        PRIMARY KEY,
  path_prefix text        NOT NULL CHECK (
                            octet_length(path_prefix) BETWEEN 1 AND 1000
                            AND left(path_prefix, 1) <> '/'
                            AND path_prefix NOT LIKE 'users/%'
                            AND path_prefix <> 'users'
                          ),
  group_name  text        NOT NULL CHECK (group_name = '*' OR group_name ~ '^[A-Za-z0-9_.@+=:-]{1,128}$'),
  created_by  text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (path_prefix, group_name)
);

-- Seed grants for the dev users (packages/local/src/identity.ts: alice and bob are `analysts`,
-- admin is `admins`). `public/` is readable by every signed-in user; `reports/` by analysts.
-- Fixed ids, so an admin can remove them by id in every environment alike.
INSERT INTO file_grants (grant_id, path_prefix, group_name, created_by) VALUES
  ('00000000-0000-4000-a000-000000000001', 'public/', '*', 'migration'),
  ('00000000-0000-4000-a000-000000000002', 'reports/', 'analysts', 'migration');
