-- What schema version 5 added to version 4 (migration step 4 -> 5 in
-- jitd/store.c, "pending grant teardowns"), frozen; see store-schema-v2.sql.
CREATE TABLE teardowns (
        grant_id TEXT PRIMARY KEY NOT NULL REFERENCES grants (id),
        reason TEXT NOT NULL DEFAULT '',
        audited INTEGER NOT NULL DEFAULT 0 CHECK (audited IN (0, 1)),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX teardowns_due ON teardowns (next_attempt_at);
