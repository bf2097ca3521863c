-- What schema version 3 added to version 2 (migration step 2 -> 3 in
-- jitd/store.c, "notification outbox, review links, approvals"), frozen;
-- see store-schema-v2.sql.
CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        endpoint TEXT NOT NULL,
        request_id TEXT NOT NULL REFERENCES requests (id),
        event TEXT NOT NULL CHECK (event IN ('created', 'approved', 'denied', 'expired')),
        created_at INTEGER NOT NULL,
        next_attempt_usec INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
        last_status INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        last_attempt_at INTEGER NOT NULL DEFAULT 0,
        delivered_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_usec);
CREATE INDEX outbox_request ON outbox (request_id);

CREATE TABLE review_links (
        token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),
        request_id TEXT NOT NULL REFERENCES requests (id),
        approver TEXT NOT NULL DEFAULT '',
        endpoint TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX review_links_expiry ON review_links (expires_at);
CREATE INDEX review_links_request ON review_links (request_id);

CREATE TABLE approvals (
        request_id TEXT NOT NULL REFERENCES requests (id),
        approver TEXT NOT NULL,
        approved_at INTEGER NOT NULL,
        duration INTEGER NOT NULL DEFAULT 0 CHECK (duration >= 0),
        via TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (request_id, approver)
) STRICT, WITHOUT ROWID;
