-- What schema version 4 added to version 3 (migration step 3 -> 4 in
-- jitd/store.c, "session identity"), frozen; see store-schema-v2.sql.
ALTER TABLE sessions ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN opened_monotonic_usec INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN uid INTEGER NOT NULL DEFAULT -1;
