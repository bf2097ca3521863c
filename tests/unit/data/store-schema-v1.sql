-- The store's schema version 1, as jitd 0.1.0 created it (migration step
-- 0 -> 1 in jitd/store.c), frozen: tests/unit/test_lifecycle.c builds a
-- version 1 database from it and checks that jitd migrates it.
CREATE TABLE requests (
        id TEXT PRIMARY KEY NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('login', 'sudo')),
        service TEXT NOT NULL DEFAULT '',
        rhost TEXT NOT NULL DEFAULT '',
        tty TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        duration INTEGER NOT NULL DEFAULT 0 CHECK (duration >= 0),
        match_code TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL
                CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_at INTEGER NOT NULL DEFAULT 0,
        decided_by TEXT NOT NULL DEFAULT '',
        decision_reason TEXT NOT NULL DEFAULT '',
        grant_id TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX requests_pending ON requests (user, action, created_at) WHERE state = 'pending';
CREATE INDEX requests_decided ON requests (user, action, decided_at) WHERE state <> 'pending';
CREATE INDEX requests_pending_deadline ON requests (expires_at) WHERE state = 'pending';
CREATE INDEX requests_user_created ON requests (user, created_at);
CREATE INDEX requests_created ON requests (created_at);

CREATE TABLE grants (
        id TEXT PRIMARY KEY NOT NULL,
        request_id TEXT REFERENCES requests (id),
        user TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('login', 'sudo')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        approver TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL CHECK (state IN ('active', 'expired', 'revoked')),
        breakglass INTEGER NOT NULL DEFAULT 0 CHECK (breakglass IN (0, 1)),
        ended_at INTEGER NOT NULL DEFAULT 0,
        ended_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX grants_live ON grants (user, action, expires_at) WHERE state = 'active';
CREATE INDEX grants_active_deadline ON grants (expires_at) WHERE state = 'active';
CREATE INDEX grants_request ON grants (request_id);
CREATE INDEX grants_user_created ON grants (user, created_at);
CREATE INDEX grants_created ON grants (created_at);

CREATE TABLE sessions (
        session_id TEXT NOT NULL,
        grant_id TEXT NOT NULL REFERENCES grants (id),
        user TEXT NOT NULL,
        service TEXT NOT NULL DEFAULT '',
        tty TEXT NOT NULL DEFAULT '',
        rhost TEXT NOT NULL DEFAULT '',
        pid INTEGER NOT NULL DEFAULT 0,
        opened_at INTEGER NOT NULL,
        closed_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sessions_grant ON sessions (grant_id, opened_at);
CREATE INDEX sessions_open ON sessions (user, session_id) WHERE closed_at = 0;
