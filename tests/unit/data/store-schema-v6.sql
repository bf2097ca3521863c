-- What schema version 6 added to version 5 (migration step 5 -> 6 in
-- jitd/store.c, "outbox event 'cancelled'"), frozen; see store-schema-v2.sql.
CREATE TABLE outbox_new (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        endpoint TEXT NOT NULL,
        request_id TEXT NOT NULL REFERENCES requests (id),
        event TEXT NOT NULL CHECK (event IN ('created', 'approved', 'denied', 'expired', 'cancelled')),
        created_at INTEGER NOT NULL,
        next_attempt_usec INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
        last_status INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        last_attempt_at INTEGER NOT NULL DEFAULT 0,
        delivered_at INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO outbox_new (id, message_id, endpoint, request_id, event, created_at, next_attempt_usec,
                        attempts, state, last_status, last_error, last_attempt_at, delivered_at)
        SELECT id, message_id, endpoint, request_id, event, created_at, next_attempt_usec,
               attempts, state, last_status, last_error, last_attempt_at, delivered_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_usec);
CREATE INDEX outbox_request ON outbox (request_id);
