-- What schema version 2 added to version 1 (migration step 1 -> 2 in
-- jitd/store.c, "grant extensions"), frozen: tests/unit/test_store.c
-- builds databases of every older version from store-schema-v1.sql and
-- these steps, with rows in every table, and checks jitd migrates them.
ALTER TABLE requests ADD COLUMN extends_grant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN extends_grant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN extended_by TEXT NOT NULL DEFAULT '';
