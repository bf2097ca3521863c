/* The state store: one SQLite file holding requests, grants and sessions.
 * This file owns the schema and its migrations, the checks made when the
 * file is opened (a corrupt, foreign or newer file is refused, never
 * treated as empty), and every state transition, each one atomic and on
 * disk (WAL, synchronous=FULL) before the function returns.
 *
 * Check runs on every login and sudo, so every statement is prepared once at
 * open and kept; the hot lookups are served by partial indexes that only
 * hold live rows. Rows read back are validated before they are copied into
 * the fixed-size records: a tampered file yields -EIO, not an overflow.
 *
 * The store is used from one thread (SQLITE_OPEN_NOMUTEX). Callbacks run
 * after the statement that produced the rows is finished and any write is
 * committed, so they may call back into the store. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"
#include "store-internal.h"
#include "store.h"

#define STORE_APPLICATION_ID 0x4a495444 /* "JITD" in the file header */
#define STORE_BUSY_TIMEOUT_MS 3000
#define STORE_LIST_MAX 10000U /* rows handed out by one listing */
#define STORE_EXPIRE_BATCH 256 /* rows changed per transaction in store_expire_due() */

static const char *const request_state_table[_REQUEST_STATE_MAX] = {
        [REQUEST_PENDING] = "pending",     [REQUEST_APPROVED] = "approved", [REQUEST_DENIED] = "denied",
        [REQUEST_EXPIRED] = "expired",     [REQUEST_CANCELLED] = "cancelled",
};

static const char *const grant_state_table[_GRANT_STATE_MAX] = {
        [GRANT_ACTIVE] = "active",
        [GRANT_EXPIRED] = "expired",
        [GRANT_REVOKED] = "revoked",
};

/* Local action names: the store's on-disk format does not follow the wire
 * format's spelling by accident. */
static const char *const action_table[_JIT_ACTION_MAX] = {
        [JIT_ACTION_LOGIN] = "login",
        [JIT_ACTION_SUDO] = "sudo",
};

const char *request_state_to_string(RequestState s) {
        return s >= 0 && s < _REQUEST_STATE_MAX ? request_state_table[s] : NULL;
}

RequestState request_state_from_string(const char *s) {
        for (RequestState i = 0; s && i < _REQUEST_STATE_MAX; i++)
                if (strcmp(request_state_table[i], s) == 0)
                        return i;
        return _REQUEST_STATE_INVALID;
}

const char *grant_state_to_string(GrantState s) {
        return s >= 0 && s < _GRANT_STATE_MAX ? grant_state_table[s] : NULL;
}

GrantState grant_state_from_string(const char *s) {
        for (GrantState i = 0; s && i < _GRANT_STATE_MAX; i++)
                if (strcmp(grant_state_table[i], s) == 0)
                        return i;
        return _GRANT_STATE_INVALID;
}

static const char *action_to_string(JitAction a) {
        return a >= 0 && a < _JIT_ACTION_MAX ? action_table[a] : NULL;
}

static JitAction action_from_string(const char *s) {
        for (JitAction i = 0; i < _JIT_ACTION_MAX; i++)
                if (strcmp(action_table[i], s) == 0)
                        return i;
        return _JIT_ACTION_INVALID;
}

/* ---- schema ---- */

/* migrations[i] takes the schema from version i to i + 1 (PRAGMA
 * user_version). An ordered list of named steps: a change to the schema is
 * one more step appended at the end (and STORE_SCHEMA_VERSION raised by
 * one), so two features that each add a step compose by putting one after
 * the other. Append only: a released step is never edited. */
typedef struct Migration {
        const char *name; /* for the log */
        const char *sql;
} Migration;

static const Migration migrations[] = {
        { "initial schema",
        "CREATE TABLE requests (\n"
        "        id TEXT PRIMARY KEY NOT NULL,\n"
        "        user TEXT NOT NULL,\n"
        "        action TEXT NOT NULL CHECK (action IN ('login', 'sudo')),\n"
        "        service TEXT NOT NULL DEFAULT '',\n"
        "        rhost TEXT NOT NULL DEFAULT '',\n"
        "        tty TEXT NOT NULL DEFAULT '',\n"
        "        reason TEXT NOT NULL DEFAULT '',\n"
        "        duration INTEGER NOT NULL DEFAULT 0 CHECK (duration >= 0),\n"
        "        match_code TEXT NOT NULL DEFAULT '',\n"
        "        state TEXT NOT NULL\n"
        "                CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),\n"
        "        created_at INTEGER NOT NULL,\n"
        "        expires_at INTEGER NOT NULL,\n"
        "        decided_at INTEGER NOT NULL DEFAULT 0,\n"
        "        decided_by TEXT NOT NULL DEFAULT '',\n"
        "        decision_reason TEXT NOT NULL DEFAULT '',\n"
        "        grant_id TEXT NOT NULL DEFAULT ''\n"
        ") STRICT;\n"
        /* Check: the newest pending request of user+action. */
        "CREATE INDEX requests_pending ON requests (user, action, created_at) WHERE state = 'pending';\n"
        /* Check: a recent decision (say "denied"). */
        "CREATE INDEX requests_decided ON requests (user, action, decided_at) WHERE state <> 'pending';\n"
        /* Deadlines of pending requests. */
        "CREATE INDEX requests_pending_deadline ON requests (expires_at) WHERE state = 'pending';\n"
        /* Listings, newest first. */
        "CREATE INDEX requests_user_created ON requests (user, created_at);\n"
        "CREATE INDEX requests_created ON requests (created_at);\n"
        "\n"
        "CREATE TABLE grants (\n"
        "        id TEXT PRIMARY KEY NOT NULL,\n"
        "        request_id TEXT REFERENCES requests (id),\n" /* NULL: break-glass */
        "        user TEXT NOT NULL,\n"
        "        action TEXT NOT NULL CHECK (action IN ('login', 'sudo')),\n"
        "        created_at INTEGER NOT NULL,\n"
        "        expires_at INTEGER NOT NULL,\n"
        "        approver TEXT NOT NULL DEFAULT '',\n"
        "        reason TEXT NOT NULL DEFAULT '',\n"
        "        state TEXT NOT NULL CHECK (state IN ('active', 'expired', 'revoked')),\n"
        "        breakglass INTEGER NOT NULL DEFAULT 0 CHECK (breakglass IN (0, 1)),\n"
        "        ended_at INTEGER NOT NULL DEFAULT 0,\n"
        "        ended_by TEXT NOT NULL DEFAULT ''\n"
        ") STRICT;\n"
        /* The hot path: live grant of user+action. Only active rows are in it. */
        "CREATE INDEX grants_live ON grants (user, action, expires_at) WHERE state = 'active';\n"
        "CREATE INDEX grants_active_deadline ON grants (expires_at) WHERE state = 'active';\n"
        "CREATE INDEX grants_request ON grants (request_id);\n"
        "CREATE INDEX grants_user_created ON grants (user, created_at);\n"
        "CREATE INDEX grants_created ON grants (created_at);\n"
        "\n"
        /* logind session ids repeat after a reboot, so they are no key. */
        "CREATE TABLE sessions (\n"
        "        session_id TEXT NOT NULL,\n"
        "        grant_id TEXT NOT NULL REFERENCES grants (id),\n"
        "        user TEXT NOT NULL,\n"
        "        service TEXT NOT NULL DEFAULT '',\n"
        "        tty TEXT NOT NULL DEFAULT '',\n"
        "        rhost TEXT NOT NULL DEFAULT '',\n"
        "        pid INTEGER NOT NULL DEFAULT 0,\n"
        "        opened_at INTEGER NOT NULL,\n"
        "        closed_at INTEGER NOT NULL DEFAULT 0\n"
        ") STRICT;\n"
        "CREATE INDEX sessions_grant ON sessions (grant_id, opened_at);\n"
        "CREATE INDEX sessions_open ON sessions (user, session_id) WHERE closed_at = 0;\n" },

        /* jitctl extend: a request may ask for more time on a live grant.
         * Approving it creates a grant that records the one it extends, and
         * ends that one with a pointer to its successor. '' means none
         * (ADD COLUMN cannot add a REFERENCES column with a default). */
        { "grant extensions",
        "ALTER TABLE requests ADD COLUMN extends_grant_id TEXT NOT NULL DEFAULT '';\n"
        "ALTER TABLE grants ADD COLUMN extends_grant_id TEXT NOT NULL DEFAULT '';\n"
        "ALTER TABLE grants ADD COLUMN extended_by TEXT NOT NULL DEFAULT '';\n" },

        /* Approver notification (store-notify.c). The outbox holds one row
         * per message to one webhook endpoint, written in the transaction
         * that creates or decides the request, so a crash or a receiver
         * that is down loses nothing; it holds no body (bodies carry review
         * links, built per attempt). review_links keeps only the SHA-256 of
         * each link token. approvals are the votes towards a quorum. */
        { "notification outbox, review links, approvals",
        "CREATE TABLE outbox (\n"
        "        id INTEGER PRIMARY KEY,\n"
        "        message_id TEXT NOT NULL UNIQUE,\n" /* webhook-id: the same across retries */
        "        endpoint TEXT NOT NULL,\n"          /* [webhook NAME] */
        "        request_id TEXT NOT NULL REFERENCES requests (id),\n"
        "        event TEXT NOT NULL CHECK (event IN ('created', 'approved', 'denied', 'expired')),\n"
        "        created_at INTEGER NOT NULL,\n"     /* unix seconds; max_age counts from here */
        "        next_attempt_usec INTEGER NOT NULL,\n" /* CLOCK_REALTIME microseconds */
        "        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
        "        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),\n"
        "        last_status INTEGER NOT NULL DEFAULT 0,\n"
        "        last_error TEXT NOT NULL DEFAULT '',\n"
        "        last_attempt_at INTEGER NOT NULL DEFAULT 0,\n"
        "        delivered_at INTEGER NOT NULL DEFAULT 0\n"
        ") STRICT;\n"
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_usec);\n"
        "CREATE INDEX outbox_request ON outbox (request_id);\n"
        "\n"
        "CREATE TABLE review_links (\n"
        "        token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),\n"
        "        request_id TEXT NOT NULL REFERENCES requests (id),\n"
        "        approver TEXT NOT NULL DEFAULT '',\n" /* '' = shared: the trusted header names the approver */
        "        endpoint TEXT NOT NULL DEFAULT '',\n"
        "        created_at INTEGER NOT NULL,\n"
        "        expires_at INTEGER NOT NULL\n"
        ") STRICT, WITHOUT ROWID;\n"
        "CREATE INDEX review_links_expiry ON review_links (expires_at);\n"
        "CREATE INDEX review_links_request ON review_links (request_id);\n"
        "\n"
        "CREATE TABLE approvals (\n"
        "        request_id TEXT NOT NULL REFERENCES requests (id),\n"
        "        approver TEXT NOT NULL,\n"
        "        approved_at INTEGER NOT NULL,\n"
        "        duration INTEGER NOT NULL DEFAULT 0 CHECK (duration >= 0),\n"
        "        via TEXT NOT NULL DEFAULT '',\n"
        "        PRIMARY KEY (request_id, approver)\n"
        ") STRICT, WITHOUT ROWID;\n" },

        /* A closed session may live on in logind (KillUserProcesses=no) and
         * is ended at expiry only if it is provably the one recorded: these
         * say which one that was (see SessionRecord). */
        { "session identity",
        "ALTER TABLE sessions ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';\n"
        "ALTER TABLE sessions ADD COLUMN opened_monotonic_usec INTEGER NOT NULL DEFAULT 0;\n"
        "ALTER TABLE sessions ADD COLUMN uid INTEGER NOT NULL DEFAULT -1;\n" },

        /* What happens when a grant ends (audit, ending its sessions,
         * dropping sudo's cached credentials) runs after the commit that
         * ends it, and may fail or be cut short by a crash. One row per
         * grant whose end actions have not all run: written by every store
         * function that ends a grant (expire, revoke,
         * extension), in the same transaction; jitd deletes it once the
         * actions ran, and redoes what is left at start. Grants that ended
         * before this step have none: they were torn down as before. (Not a
         * trigger: triggers are off, so a tampered schema runs nothing.) */
        { "pending grant teardowns",
        "CREATE TABLE teardowns (\n"
        "        grant_id TEXT PRIMARY KEY NOT NULL REFERENCES grants (id),\n"
        "        reason TEXT NOT NULL DEFAULT '',\n" /* a revocation's reason, for its audit entry */
        "        audited INTEGER NOT NULL DEFAULT 0 CHECK (audited IN (0, 1)),\n"
        "        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
        "        next_attempt_at INTEGER NOT NULL DEFAULT 0,\n" /* unix seconds; 0: now */
        "        created_at INTEGER NOT NULL\n"
        ") STRICT, WITHOUT ROWID;\n"
        "CREATE INDEX teardowns_due ON teardowns (next_attempt_at);\n" },

        /* A requester withdrawing their own request gets a webhook event of
         * its own ("cancelled"; it went out as "denied" before). SQLite
         * cannot change a CHECK in place, so the outbox is rebuilt as its
         * documented 12-step ALTER procedure has it: a new table, every row
         * copied with its id (the rowid jitctl and the delivery engine
         * know it by), the old one dropped, the new one renamed, its
         * indexes made again. store_migrate() runs the steps with foreign
         * keys off and checks them all before the commit. No triggers or views to
         * remember: jitd creates none, and runs with both disabled. */
        { "outbox event 'cancelled'",
        "CREATE TABLE outbox_new (\n"
        "        id INTEGER PRIMARY KEY,\n"
        "        message_id TEXT NOT NULL UNIQUE,\n"
        "        endpoint TEXT NOT NULL,\n"
        "        request_id TEXT NOT NULL REFERENCES requests (id),\n"
        "        event TEXT NOT NULL CHECK (event IN ('created', 'approved', 'denied', 'expired', 'cancelled')),\n"
        "        created_at INTEGER NOT NULL,\n"
        "        next_attempt_usec INTEGER NOT NULL,\n"
        "        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
        "        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),\n"
        "        last_status INTEGER NOT NULL DEFAULT 0,\n"
        "        last_error TEXT NOT NULL DEFAULT '',\n"
        "        last_attempt_at INTEGER NOT NULL DEFAULT 0,\n"
        "        delivered_at INTEGER NOT NULL DEFAULT 0\n"
        ") STRICT;\n"
        "INSERT INTO outbox_new (id, message_id, endpoint, request_id, event, created_at, next_attempt_usec,\n"
        "                        attempts, state, last_status, last_error, last_attempt_at, delivered_at)\n"
        "        SELECT id, message_id, endpoint, request_id, event, created_at, next_attempt_usec,\n"
        "               attempts, state, last_status, last_error, last_attempt_at, delivered_at FROM outbox;\n"
        "DROP TABLE outbox;\n"
        "ALTER TABLE outbox_new RENAME TO outbox;\n"
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_usec);\n"
        "CREATE INDEX outbox_request ON outbox (request_id);\n" },

        /* One requester must not delay another's notices (store-notify.c):
         * each pending message carries its requester and a turn, and each
         * endpoint sends the lowest turn first. A requester's next message
         * takes the turn after their last pending one, and never one below
         * the lowest still pending, so a backlog of one user's messages
         * sits behind everyone else's newer ones. Messages pending at the
         * upgrade are numbered per endpoint and requester, oldest first.
         * outbox_created lets retention (store-retention.c) find old rows
         * without reading the whole table. */
        { "fair outbox order, retention",
        "ALTER TABLE outbox ADD COLUMN requester TEXT NOT NULL DEFAULT '';\n"
        "ALTER TABLE outbox ADD COLUMN turn INTEGER NOT NULL DEFAULT 0 CHECK (turn >= 0);\n"
        "UPDATE outbox SET requester = coalesce((SELECT user FROM requests WHERE requests.id = outbox.request_id), '');\n"
        "UPDATE outbox SET turn = numbered.turn FROM\n"
        "        (SELECT id, row_number() OVER (PARTITION BY endpoint, requester ORDER BY id) - 1 AS turn\n"
        "         FROM outbox WHERE state = 'pending') AS numbered\n"
        "        WHERE outbox.id = numbered.id;\n"
        "CREATE INDEX outbox_fair ON outbox (endpoint, turn, id) WHERE state = 'pending';\n"
        "CREATE INDEX outbox_requester_turn ON outbox (endpoint, requester, turn) WHERE state = 'pending';\n"
        "CREATE INDEX outbox_created ON outbox (created_at);\n" },
        /* An account is not a person: root is whoever ran sudo (person.h).
         * Who decided is recorded as both the account that called and the
         * person behind it ('' where none was known: rows from before this
         * step, a decision by root outside any login). A quorum counts
         * persons, so the approvals table is rebuilt (as the outbox above)
         * with the person in its key; a vote from before counted its
         * account as the person, and keeps it. */
        { "approver persons",
        "ALTER TABLE requests ADD COLUMN decided_by_person TEXT NOT NULL DEFAULT '';\n"
        "ALTER TABLE grants ADD COLUMN approver_person TEXT NOT NULL DEFAULT '';\n"
        "ALTER TABLE grants ADD COLUMN ended_by_person TEXT NOT NULL DEFAULT '';\n"
        "CREATE TABLE approvals_new (\n"
        "        request_id TEXT NOT NULL REFERENCES requests (id),\n"
        "        approver TEXT NOT NULL,\n" /* the account that called */
        "        person TEXT NOT NULL,\n"   /* who it was: one vote each */
        "        approved_at INTEGER NOT NULL,\n"
        "        duration INTEGER NOT NULL DEFAULT 0 CHECK (duration >= 0),\n"
        "        via TEXT NOT NULL DEFAULT '',\n"
        "        PRIMARY KEY (request_id, person)\n"
        ") STRICT, WITHOUT ROWID;\n"
        "INSERT INTO approvals_new (request_id, approver, person, approved_at, duration, via)\n"
        "        SELECT request_id, approver, approver, approved_at, duration, via FROM approvals;\n"
        "DROP TABLE approvals;\n"
        "ALTER TABLE approvals_new RENAME TO approvals;\n" },
};

_Static_assert(ELEMENTSOF(migrations) == STORE_SCHEMA_VERSION,
               "STORE_SCHEMA_VERSION must be the number of migration steps");

/* ---- prepared statements ---- */

#define REQUEST_COLUMNS                                                                                    \
        "id, user, action, service, rhost, tty, reason, duration, match_code, state, created_at, expires_at, " \
        "decided_at, decided_by, decision_reason, grant_id, extends_grant_id, decided_by_person"
#define GRANT_COLUMNS                                                                                      \
        "id, request_id, user, action, created_at, expires_at, approver, reason, state, breakglass, ended_at, " \
        "ended_by, extends_grant_id, extended_by, approver_person, ended_by_person"
#define TEARDOWN_COLUMNS "grant_id, reason, audited, attempts, next_attempt_at, created_at"
#define SESSION_COLUMNS                                                                                    \
        "session_id, grant_id, user, service, tty, rhost, pid, opened_at, closed_at, boot_id, "               \
        "opened_monotonic_usec, uid"

typedef enum StatementId {
        STMT_BEGIN,
        STMT_COMMIT,
        STMT_ROLLBACK,
        STMT_FIND_LIVE_GRANT,
        STMT_CHECK_LIVE_GRANT,
        STMT_FIND_PENDING_REQUEST,
        STMT_FIND_RECENT_REQUEST,
        STMT_NTH_NEWEST_REQUEST,
        STMT_INSERT_REQUEST,
        STMT_UPDATE_REQUEST_REASON,
        STMT_GET_REQUEST,
        STMT_GET_GRANT,
        STMT_REQUEST_EXISTS,
        STMT_GRANT_EXISTS,
        STMT_APPROVE_REQUEST,
        STMT_DENY_REQUEST,
        STMT_INSERT_GRANT,
        STMT_END_GRANT,
        STMT_EXPIRE_GRANTS,
        STMT_EXPIRE_REQUESTS,
        STMT_NEXT_DEADLINE,
        STMT_LIST_REQUESTS,
        STMT_LIST_REQUESTS_USER,
        STMT_LIST_PENDING,
        STMT_LIST_PENDING_USER,
        STMT_LIST_GRANTS,
        STMT_LIST_GRANTS_USER,
        STMT_LIST_ACTIVE,
        STMT_LIST_ACTIVE_USER,
        STMT_CLOSE_STALE_SESSION,
        STMT_INSERT_SESSION,
        STMT_CLOSE_SESSION,
        STMT_LIST_SESSIONS,
        STMT_LIST_SESSIONS_OPEN,
        STMT_LIST_SESSIONS_GRANT,
        STMT_LIST_SESSIONS_GRANT_OPEN,
        STMT_SUPERSEDE_GRANT,
        STMT_MOVE_SESSIONS,
        STMT_NEXT_GRANT_DEADLINE_AFTER,
        STMT_LIST_GRANTS_EXPIRING,
        STMT_TEARDOWN_INSERT,
        STMT_TEARDOWN_SET_REASON,
        STMT_TEARDOWN_GET,
        STMT_TEARDOWN_LIST_DUE,
        STMT_TEARDOWN_NEXT_DUE,
        STMT_TEARDOWN_ATTEMPT,
        STMT_TEARDOWN_DONE,
        STMT_TEARDOWN_ALL_DUE,
        _STMT_MAX,
} StatementId;

static const char *const statement_sql[_STMT_MAX] = {
        [STMT_BEGIN] = "BEGIN IMMEDIATE",
        [STMT_COMMIT] = "COMMIT",
        [STMT_ROLLBACK] = "ROLLBACK",

        /* Strictly after now: a grant whose deadline is this second is over. */
        [STMT_FIND_LIVE_GRANT] = "SELECT " GRANT_COLUMNS " FROM grants"
                                 " WHERE user = ?1 AND action = ?2 AND state = 'active' AND expires_at > ?3"
                                 " ORDER BY expires_at DESC LIMIT 1",
        /* The same query for io.jit.Check, reading only what its answer
         * and audit entry use: every text column read is copied and freed
         * by SQLite, on each of the most frequent calls. */
        [STMT_CHECK_LIVE_GRANT] = "SELECT id, request_id, expires_at, approver, breakglass FROM grants"
                                  " WHERE user = ?1 AND action = ?2 AND state = 'active' AND expires_at > ?3"
                                  " ORDER BY expires_at DESC LIMIT 1",
        [STMT_FIND_PENDING_REQUEST] = "SELECT " REQUEST_COLUMNS " FROM requests"
                                      " WHERE user = ?1 AND action = ?2 AND state = 'pending' AND expires_at > ?3"
                                      " ORDER BY created_at DESC, rowid DESC LIMIT 1",
        [STMT_FIND_RECENT_REQUEST] = "SELECT " REQUEST_COLUMNS " FROM requests"
                                     " WHERE user = ?1 AND action = ?2 AND state <> 'pending' AND decided_at >= ?3"
                                     " ORDER BY decided_at DESC, rowid DESC LIMIT 1",
        /* The request limit: requests_user_created serves it, and it reads
         * at most `limit` index entries however many the user filed. */
        [STMT_NTH_NEWEST_REQUEST] = "SELECT created_at FROM requests WHERE user = ?1 AND created_at > ?2"
                                    " ORDER BY created_at DESC LIMIT 1 OFFSET ?3",

        [STMT_INSERT_REQUEST] = "INSERT INTO requests (" REQUEST_COLUMNS ")"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        [STMT_UPDATE_REQUEST_REASON] = "UPDATE requests SET reason = ?2 WHERE id = ?1 AND state = 'pending'",
        [STMT_GET_REQUEST] = "SELECT " REQUEST_COLUMNS " FROM requests WHERE id = ?1",
        [STMT_GET_GRANT] = "SELECT " GRANT_COLUMNS " FROM grants WHERE id = ?1",
        [STMT_REQUEST_EXISTS] = "SELECT 1 FROM requests WHERE id = ?1",
        [STMT_GRANT_EXISTS] = "SELECT 1 FROM grants WHERE id = ?1",

        /* First decision wins: only a pending, unexpired request changes. */
        [STMT_APPROVE_REQUEST] = "UPDATE requests SET state = 'approved', decided_at = ?2, decided_by = ?3,"
                                 " grant_id = ?4, decided_by_person = ?5"
                                 " WHERE id = ?1 AND state = 'pending' AND expires_at > ?2"
                                 " RETURNING user, action, reason, extends_grant_id",
        /* Denied by an approver, or cancelled (withdrawn) by the requester. */
        [STMT_DENY_REQUEST] = "UPDATE requests SET state = ?5, decided_at = ?2, decided_by = ?3,"
                              " decision_reason = ?4, decided_by_person = ?6"
                              " WHERE id = ?1 AND state = 'pending' AND expires_at > ?2"
                              " RETURNING " REQUEST_COLUMNS,
        [STMT_INSERT_GRANT] = "INSERT INTO grants (" GRANT_COLUMNS ")"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        [STMT_END_GRANT] = "UPDATE grants SET state = ?2, ended_at = ?3, ended_by = ?4, ended_by_person = ?5"
                           " WHERE id = ?1 AND state = 'active' RETURNING " GRANT_COLUMNS,

        /* A grant ended at its deadline, whenever we got round to noticing. */
        [STMT_EXPIRE_GRANTS] = "UPDATE grants SET state = 'expired', ended_at = expires_at"
                               " WHERE rowid IN (SELECT rowid FROM grants"
                               "  WHERE state = 'active' AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2)"
                               " RETURNING " GRANT_COLUMNS,
        [STMT_EXPIRE_REQUESTS] = "UPDATE requests SET state = 'expired', decided_at = expires_at"
                                 " WHERE rowid IN (SELECT rowid FROM requests"
                                 "  WHERE state = 'pending' AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2)"
                                 " RETURNING " REQUEST_COLUMNS,
        [STMT_NEXT_DEADLINE] = "SELECT (SELECT min(expires_at) FROM grants WHERE state = 'active'),"
                               " (SELECT min(expires_at) FROM requests WHERE state = 'pending')",

        [STMT_LIST_REQUESTS] = "SELECT " REQUEST_COLUMNS " FROM requests"
                               " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_REQUESTS_USER] = "SELECT " REQUEST_COLUMNS " FROM requests WHERE user = ?1"
                                    " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_PENDING] = "SELECT " REQUEST_COLUMNS " FROM requests"
                              " WHERE state = 'pending' AND expires_at > ?2"
                              " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_PENDING_USER] = "SELECT " REQUEST_COLUMNS " FROM requests"
                                   " WHERE user = ?1 AND state = 'pending' AND expires_at > ?2"
                                   " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_GRANTS] = "SELECT " GRANT_COLUMNS " FROM grants"
                             " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_GRANTS_USER] = "SELECT " GRANT_COLUMNS " FROM grants WHERE user = ?1"
                                  " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_ACTIVE] = "SELECT " GRANT_COLUMNS " FROM grants"
                             " WHERE state = 'active' AND expires_at > ?2"
                             " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_ACTIVE_USER] = "SELECT " GRANT_COLUMNS " FROM grants"
                                  " WHERE user = ?1 AND state = 'active' AND expires_at > ?2"
                                  " ORDER BY created_at DESC, rowid DESC LIMIT ?3",

        /* A session id still "open" from before is a different session now
         * (a login), or this sudo grant's earlier row of the same login
         * session (sudo rows of one grant carry the session's id too). */
        [STMT_CLOSE_STALE_SESSION] = "UPDATE sessions SET closed_at = ?3"
                                     " WHERE user = ?1 AND session_id = ?2 AND closed_at = 0"
                                     " AND (grant_id = ?4 OR (SELECT action FROM grants WHERE id = ?4) = 'login')",
        [STMT_INSERT_SESSION] = "INSERT INTO sessions (" SESSION_COLUMNS ")"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        [STMT_CLOSE_SESSION] = "UPDATE sessions SET closed_at = ?3"
                               " WHERE user = ?1 AND session_id = ?2 AND closed_at = 0",
        [STMT_LIST_SESSIONS] = "SELECT " SESSION_COLUMNS " FROM sessions ORDER BY opened_at, rowid LIMIT ?2",
        [STMT_LIST_SESSIONS_OPEN] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE closed_at = 0"
                                    " ORDER BY opened_at, rowid LIMIT ?2",
        [STMT_LIST_SESSIONS_GRANT] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE grant_id = ?1"
                                     " ORDER BY opened_at, rowid LIMIT ?2",
        [STMT_LIST_SESSIONS_GRANT_OPEN] = "SELECT " SESSION_COLUMNS " FROM sessions"
                                          " WHERE grant_id = ?1 AND closed_at = 0"
                                          " ORDER BY opened_at, rowid LIMIT ?2",

        /* An extension approved: the grant it extends ends now (only if it
         * is still the user's live grant for that action), and its open
         * sessions carry on under the new grant. */
        [STMT_SUPERSEDE_GRANT] = "UPDATE grants SET state = 'expired', ended_at = ?3, ended_by = ?4, extended_by = ?2"
                                 " WHERE id = ?1 AND user = ?5 AND action = ?6 AND state = 'active'",
        [STMT_MOVE_SESSIONS] = "UPDATE sessions SET grant_id = ?2 WHERE grant_id = ?1 AND closed_at = 0",

        /* Expiry warnings: the next deadline after a point, and the grants
         * whose deadline falls in a window. */
        [STMT_NEXT_GRANT_DEADLINE_AFTER] = "SELECT min(expires_at) FROM grants WHERE state = 'active' AND expires_at > ?1",
        [STMT_LIST_GRANTS_EXPIRING] = "SELECT " GRANT_COLUMNS " FROM grants"
                                      " WHERE state = 'active' AND expires_at > ?1 AND expires_at <= ?2"
                                      " ORDER BY expires_at, rowid LIMIT ?3",

        /* Pending teardowns: one per grant that ended, written with its end. */
        [STMT_TEARDOWN_INSERT] = "INSERT OR IGNORE INTO teardowns (grant_id, created_at) VALUES (?1, ?2)",
        [STMT_TEARDOWN_SET_REASON] = "UPDATE teardowns SET reason = ?2 WHERE grant_id = ?1",
        [STMT_TEARDOWN_GET] = "SELECT " TEARDOWN_COLUMNS " FROM teardowns WHERE grant_id = ?1",
        [STMT_TEARDOWN_LIST_DUE] = "SELECT " TEARDOWN_COLUMNS " FROM teardowns WHERE next_attempt_at <= ?1"
                                   " ORDER BY next_attempt_at, created_at LIMIT ?2",
        [STMT_TEARDOWN_NEXT_DUE] = "SELECT min(next_attempt_at) FROM teardowns",
        [STMT_TEARDOWN_ATTEMPT] = "UPDATE teardowns SET audited = 1, attempts = ?2, next_attempt_at = ?3"
                                  " WHERE grant_id = ?1",
        [STMT_TEARDOWN_DONE] = "DELETE FROM teardowns WHERE grant_id = ?1",
        [STMT_TEARDOWN_ALL_DUE] = "UPDATE teardowns SET next_attempt_at = 0",
};

struct Store {
        sqlite3 *db;
        char *path;
        int schema_version;
        sqlite3_stmt *stmt[_STMT_MAX];
        /* Transactions nest flat (store_transaction_begin()): an inner
         * begin/commit joins the outer transaction, an inner failure dooms
         * it, and only the outermost commit writes. */
        unsigned tx_depth;
        bool tx_failed;
};

/* ---- errors and logging ---- */

static int sqlite_to_errno(int rc) {
        switch (rc) {
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE:
                return -EEXIST;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
                return -ENOENT;
        }
        switch (rc & 0xff) {
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_CONSTRAINT:
        case SQLITE_TOOBIG:
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
                return -EINVAL;
        default:
                return -EIO;
        }
}

/* Opening is the one place where the store explains itself: the daemon only
 * sees an errno, and "Input/output error" does not tell an admin that the
 * file is corrupt or from a newer jitd. */
#define store_log(path, fmt, ...) log_error("Store %s: " fmt, (path), ##__VA_ARGS__)

/* ---- statements ---- */

static void stmt_resetp(sqlite3_stmt **st) {
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_stmt_ _cleanup_(stmt_resetp)

/* Every statement is used by one caller at a time; a callback that reaches
 * back into a statement still stepping would silently reset it. */
static int store_stmt(Store *s, StatementId id, sqlite3_stmt **ret) {
        sqlite3_stmt *st = s->stmt[id];

        if (!st)
                return -EIO;
        if (sqlite3_stmt_busy(st))
                return -EBUSY;
        *ret = st;
        return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *v) {
        return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) == SQLITE_OK ? 0 : -ENOMEM;
}

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *v) {
        if (!v || !*v)
                return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -ENOMEM;
        return bind_text(st, i, v);
}

static int bind_int(sqlite3_stmt *st, int i, int64_t v) {
        return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -ENOMEM;
}

/* Step a statement that returns no rows (or whose rows we do not want). */
static int stmt_run(sqlite3_stmt *st) {
        int rc;

        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
        return rc == SQLITE_DONE ? 0 : sqlite_to_errno(rc);
}

/* 1 with a row, 0 at the end, <0 on error. */
static int stmt_next(sqlite3_stmt *st) {
        int rc = sqlite3_step(st);

        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return sqlite_to_errno(rc);
}

/* ---- transactions ---- */

static int store_exec_stmt(Store *s, StatementId id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = store_stmt(s, id, &st);
        if (r < 0)
                return r;
        return stmt_run(st);
}

static int store_begin(Store *s) {
        int r;

        if (s->tx_depth > 0) {
                s->tx_depth++;
                return 0;
        }
        r = store_exec_stmt(s, STMT_BEGIN);
        if (r >= 0) {
                s->tx_depth = 1;
                s->tx_failed = false;
        }
        return r;
}

static int store_commit(Store *s) {
        int r;

        if (s->tx_depth > 1) {
                s->tx_depth--;
                return 0;
        }
        /* A part failed: the caller's cleanup rolls all of it back. */
        if (s->tx_failed)
                return -ECANCELED;
        r = store_exec_stmt(s, STMT_COMMIT);
        if (r >= 0)
                s->tx_depth = 0;
        return r;
}

/* Cleanup for a transaction that did not reach COMMIT. */
static void store_rollbackp(Store **s) {
        if (!*s)
                return;
        if ((*s)->tx_depth > 1) {
                (*s)->tx_depth--;
                (*s)->tx_failed = true;
                return;
        }
        if (!sqlite3_get_autocommit((*s)->db))
                (void) store_exec_stmt(*s, STMT_ROLLBACK);
        (*s)->tx_depth = 0;
        (*s)->tx_failed = false;
}
#define _cleanup_rollback_ _cleanup_(store_rollbackp)

/* ---- reading rows (the file is input like any other) ---- */

static int column_string(sqlite3_stmt *st, int col, char *buf, size_t size, bool required) {
        const unsigned char *t;
        int type = sqlite3_column_type(st, col);
        int n;

        if (type == SQLITE_NULL) {
                if (required)
                        return -EIO;
                buf[0] = '\0';
                return 0;
        }
        if (type != SQLITE_TEXT)
                return -EIO;
        t = sqlite3_column_text(st, col);
        n = sqlite3_column_bytes(st, col);
        if (!t)
                return -ENOMEM;
        if (n < 0 || (size_t) n >= size || memchr(t, '\0', (size_t) n) || (required && n == 0))
                return -EIO;
        memcpy(buf, t, (size_t) n);
        buf[n] = '\0';
        return 0;
}

static int column_int(sqlite3_stmt *st, int col, int64_t *ret) {
        if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
                return -EIO;
        *ret = sqlite3_column_int64(st, col);
        return 0;
}

static int column_action(sqlite3_stmt *st, int col, JitAction *ret) {
        char buf[16];

        if (column_string(st, col, buf, sizeof buf, true) < 0)
                return -EIO;
        *ret = action_from_string(buf);
        return *ret < 0 ? -EIO : 0;
}

#define COL_STR(st, col, field, required) column_string((st), (col), (field), sizeof(field), (required))

static int read_request(sqlite3_stmt *st, RequestRecord *ret) {
        RequestRecord r = {};
        char state[16];
        int64_t duration;

        if (COL_STR(st, 0, r.id, true) < 0 || COL_STR(st, 1, r.user, true) < 0 || column_action(st, 2, &r.action) < 0 ||
            COL_STR(st, 3, r.service, false) < 0 || COL_STR(st, 4, r.rhost, false) < 0 ||
            COL_STR(st, 5, r.tty, false) < 0 || COL_STR(st, 6, r.reason, false) < 0 ||
            column_int(st, 7, &duration) < 0 || duration < 0 || COL_STR(st, 8, r.match_code, false) < 0 ||
            COL_STR(st, 9, state, true) < 0 || column_int(st, 10, &r.created_at) < 0 ||
            column_int(st, 11, &r.expires_at) < 0 || column_int(st, 12, &r.decided_at) < 0 ||
            COL_STR(st, 13, r.decided_by, false) < 0 || COL_STR(st, 14, r.decision_reason, false) < 0 ||
            COL_STR(st, 15, r.grant_id, false) < 0 || COL_STR(st, 16, r.extends_grant_id, false) < 0 ||
            COL_STR(st, 17, r.decided_by_person, false) < 0)
                return -EIO;
        r.duration_sec = (uint64_t) duration;
        r.state = request_state_from_string(state);
        if (r.state < 0)
                return -EIO;
        *ret = r;
        return 0;
}

static int read_grant(sqlite3_stmt *st, GrantRecord *ret) {
        GrantRecord g = {};
        char state[16];
        int64_t breakglass;

        if (COL_STR(st, 0, g.id, true) < 0 || COL_STR(st, 1, g.request_id, false) < 0 ||
            COL_STR(st, 2, g.user, true) < 0 || column_action(st, 3, &g.action) < 0 ||
            column_int(st, 4, &g.created_at) < 0 || column_int(st, 5, &g.expires_at) < 0 ||
            COL_STR(st, 6, g.approver, false) < 0 || COL_STR(st, 7, g.reason, false) < 0 ||
            COL_STR(st, 8, state, true) < 0 || column_int(st, 9, &breakglass) < 0 ||
            (breakglass != 0 && breakglass != 1) || column_int(st, 10, &g.ended_at) < 0 ||
            COL_STR(st, 11, g.ended_by, false) < 0 || COL_STR(st, 12, g.extends_grant_id, false) < 0 ||
            COL_STR(st, 13, g.extended_by, false) < 0 || COL_STR(st, 14, g.approver_person, false) < 0 ||
            COL_STR(st, 15, g.ended_by_person, false) < 0)
                return -EIO;
        g.breakglass = breakglass == 1;
        g.state = grant_state_from_string(state);
        if (g.state < 0)
                return -EIO;
        *ret = g;
        return 0;
}

/* "" or 32 lowercase hex digits (sd_id128_to_string()). */
static bool boot_id_ok(const char *s) {
        size_t n = strlen(s);

        if (n != 0 && n != 32)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

static int read_session(sqlite3_stmt *st, SessionRecord *ret) {
        SessionRecord r = {};

        if (COL_STR(st, 0, r.session_id, true) < 0 || COL_STR(st, 1, r.grant_id, true) < 0 ||
            COL_STR(st, 2, r.user, true) < 0 || COL_STR(st, 3, r.service, false) < 0 ||
            COL_STR(st, 4, r.tty, false) < 0 || COL_STR(st, 5, r.rhost, false) < 0 ||
            column_int(st, 6, &r.pid) < 0 || column_int(st, 7, &r.opened_at) < 0 ||
            column_int(st, 8, &r.closed_at) < 0 || COL_STR(st, 9, r.boot_id, false) < 0 ||
            column_int(st, 10, &r.opened_monotonic_usec) < 0 || column_int(st, 11, &r.uid) < 0 ||
            !boot_id_ok(r.boot_id) || r.uid < -1 || r.uid > UINT32_MAX)
                return -EIO;
        *ret = r;
        return 0;
}

static int read_teardown(sqlite3_stmt *st, TeardownRecord *ret) {
        TeardownRecord t = {};
        int64_t audited, attempts;

        if (COL_STR(st, 0, t.grant_id, true) < 0 || COL_STR(st, 1, t.reason, false) < 0 ||
            column_int(st, 2, &audited) < 0 || (audited != 0 && audited != 1) || column_int(st, 3, &attempts) < 0 ||
            attempts < 0 || attempts > UINT32_MAX || column_int(st, 4, &t.next_attempt_at) < 0 ||
            column_int(st, 5, &t.created_at) < 0)
                return -EIO;
        t.audited = audited == 1;
        t.attempts = (unsigned) attempts;
        *ret = t;
        return 0;
}

/* ---- checking what callers hand us ---- */

/* A string in a fixed-size record field: NUL-terminated inside the field. */
#define FIELD_OK(field, required) field_ok((field), sizeof(field), (required))
static bool field_ok(const char *field, size_t size, bool required) {
        size_t n = strnlen(field, size);
        return n < size && (!required || n > 0);
}

/* A string argument with a byte cap. NULL counts as "" for optional ones. */
static bool arg_ok(const char *s, size_t max, bool required) {
        if (!s)
                return !required;
        size_t n = strnlen(s, max + 1);
        return n <= max && (!required || n > 0);
}

static bool request_ok(const RequestRecord *r) {
        return r && FIELD_OK(r->id, true) && FIELD_OK(r->user, true) && action_to_string(r->action) &&
               FIELD_OK(r->service, false) && FIELD_OK(r->rhost, false) && FIELD_OK(r->tty, false) &&
               FIELD_OK(r->reason, false) && r->duration_sec <= INT64_MAX && FIELD_OK(r->match_code, false) &&
               request_state_to_string(r->state) && FIELD_OK(r->decided_by, false) &&
               FIELD_OK(r->decision_reason, false) && FIELD_OK(r->grant_id, false) &&
               FIELD_OK(r->extends_grant_id, false) && FIELD_OK(r->decided_by_person, false);
}

static bool grant_ok(const GrantRecord *g) {
        return g && FIELD_OK(g->id, true) && FIELD_OK(g->request_id, false) && FIELD_OK(g->user, true) &&
               action_to_string(g->action) && FIELD_OK(g->approver, false) && FIELD_OK(g->reason, false) &&
               grant_state_to_string(g->state) && FIELD_OK(g->ended_by, false) &&
               FIELD_OK(g->extends_grant_id, false) && FIELD_OK(g->extended_by, false) &&
               FIELD_OK(g->approver_person, false) && FIELD_OK(g->ended_by_person, false);
}

static bool session_ok(const SessionRecord *r) {
        return r && FIELD_OK(r->session_id, true) && FIELD_OK(r->grant_id, true) && FIELD_OK(r->user, true) &&
               FIELD_OK(r->service, false) && FIELD_OK(r->tty, false) && FIELD_OK(r->rhost, false) &&
               FIELD_OK(r->boot_id, false) && boot_id_ok(r->boot_id) && r->uid >= -1 && r->uid <= UINT32_MAX;
}

static int bind_grant(sqlite3_stmt *st, const GrantRecord *g) {
        if (bind_text(st, 1, g->id) < 0 || bind_text_or_null(st, 2, g->request_id) < 0 ||
            bind_text(st, 3, g->user) < 0 || bind_text(st, 4, action_to_string(g->action)) < 0 ||
            bind_int(st, 5, g->created_at) < 0 || bind_int(st, 6, g->expires_at) < 0 ||
            bind_text(st, 7, g->approver) < 0 || bind_text(st, 8, g->reason) < 0 ||
            bind_text(st, 9, grant_state_to_string(g->state)) < 0 || bind_int(st, 10, g->breakglass ? 1 : 0) < 0 ||
            bind_int(st, 11, g->ended_at) < 0 || bind_text(st, 12, g->ended_by) < 0 ||
            bind_text(st, 13, g->extends_grant_id) < 0 || bind_text(st, 14, g->extended_by) < 0 ||
            bind_text(st, 15, g->approver_person) < 0 || bind_text(st, 16, g->ended_by_person) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- opening ---- */

static int exec_sql(sqlite3 *db, const char *sql) {
        int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : sqlite_to_errno(rc);
}

/* A one-row, one-column query (pragmas). */
static int query_int(sqlite3 *db, const char *sql, int64_t *ret) {
        sqlite3_stmt *st = NULL;
        int rc, r;

        rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sqlite_to_errno(rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = sqlite3_column_int64(st, 0);
                r = 0;
        } else
                r = rc == SQLITE_DONE ? -ENODATA : sqlite_to_errno(rc);
        sqlite3_finalize(st);
        return r;
}

static int query_text(sqlite3 *db, const char *sql, char *buf, size_t size) {
        sqlite3_stmt *st = NULL;
        int rc, r;

        rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sqlite_to_errno(rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);
                snprintf(buf, size, "%s", t ? (const char *) t : "");
                r = 0;
        } else
                r = rc == SQLITE_DONE ? -ENODATA : sqlite_to_errno(rc);
        sqlite3_finalize(st);
        return r;
}

/* quick_check reads every page, so a truncated or scribbled file is caught
 * now, not at the first Check that happens to touch the damage. */
static int store_check_integrity(sqlite3 *db, const char *path) {
        sqlite3_stmt *st = NULL;
        int rc, r = 0, lines = 0;

        rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
        if (rc != SQLITE_OK) {
                store_log(path, "cannot check the database: %s", sqlite3_errstr(rc));
                return -EIO;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);

                if (t && strcmp((const char *) t, "ok") == 0)
                        continue;
                if (lines++ < 5)
                        store_log(path, "integrity check: %s", t ? (const char *) t : "(null)");
                r = -EIO;
        }
        if (rc != SQLITE_DONE) {
                store_log(path, "integrity check failed: %s", sqlite3_errmsg(db));
                r = -EIO;
        }
        sqlite3_finalize(st);
        if (r < 0)
                store_log(path, "the database is corrupt; refusing to use it (move it aside to start afresh)");
        return r;
}

/* Step 10 of SQLite's 12-step ALTER: with foreign keys off during the
 * migration, nothing checked that every row still points at a row that
 * exists. Any row of foreign_key_check is a violation. */
static int check_foreign_keys(Store *s) {
        sqlite3_stmt *st = NULL;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sqlite_to_errno(rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const unsigned char *table = sqlite3_column_text(st, 0), *parent = sqlite3_column_text(st, 2);

                store_log(s->path,
                          "schema migration failed: a row of %s (rowid %" PRIi64 ") points at a missing row of %s",
                          table ? (const char *) table : "?", (int64_t) sqlite3_column_int64(st, 1),
                          parent ? (const char *) parent : "?");
                r = -EIO;
        } else if (rc != SQLITE_DONE)
                r = sqlite_to_errno(rc);
        sqlite3_finalize(st);
        return r;
}

static int store_migrate_locked(Store *s) {
        int64_t version, tables;
        int r;

        r = exec_sql(s->db, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;

        /* Read again under the write lock, in case another opener raced us. */
        r = query_int(s->db, "PRAGMA user_version", &version);
        if (r < 0)
                goto rollback;
        if (version == 0) {
                /* Version 0 must really be an empty file, not somebody else's
                 * database that we would then write our tables into. */
                r = query_int(s->db, "SELECT count(*) FROM sqlite_schema", &tables);
                if (r < 0)
                        goto rollback;
                if (tables > 0) {
                        store_log(s->path, "not a jitd database (it has tables but no schema version)");
                        r = -EIO;
                        goto rollback;
                }
        }

        for (int64_t v = version; v < STORE_SCHEMA_VERSION; v++) {
                r = exec_sql(s->db, migrations[v].sql);
                if (r < 0) {
                        store_log(s->path, "schema migration %" PRIi64 " -> %" PRIi64 " (%s) failed: %s", v, v + 1,
                                  migrations[v].name, sqlite3_errmsg(s->db));
                        goto rollback;
                }
        }
        r = check_foreign_keys(s);
        if (r < 0)
                goto rollback;

        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d", STORE_APPLICATION_ID,
                 STORE_SCHEMA_VERSION);
        r = exec_sql(s->db, sql);
        if (r < 0)
                goto rollback;
        r = exec_sql(s->db, "COMMIT");
        if (r < 0)
                goto rollback;
        return 0;

rollback:
        (void) exec_sql(s->db, "ROLLBACK");
        return r;
}

/* Foreign keys are off while the steps run, as SQLite's procedure for
 * rebuilding a table asks (a DROP TABLE would otherwise delete or refuse
 * on their account); the pragma does nothing inside a transaction, so it
 * is switched around it. Rebuilt tables are checked before the commit. */
static int store_migrate(Store *s) {
        int64_t on;
        int r, k;

        r = exec_sql(s->db, "PRAGMA foreign_keys = OFF");
        if (r < 0)
                return r;
        r = store_migrate_locked(s);
        k = exec_sql(s->db, "PRAGMA foreign_keys = ON");
        if (k >= 0 && (query_int(s->db, "PRAGMA foreign_keys", &on) < 0 || on != 1))
                k = -EIO;
        if (k < 0) {
                store_log(s->path, "cannot enable foreign keys again after the migration");
                return r < 0 ? r : k;
        }
        return r;
}

/* The file itself: created 0600 by us (SQLite would use 0644 and the -wal
 * and -shm files copy the main file's mode), a regular file, not a
 * symlink, and ours: someone else who can write it can grant themselves. */
static int store_prepare_file(const char *path) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0) {
                int r = -errno;
                store_log(path, "cannot open: %s", strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode)) {
                store_log(path, "not a regular file");
                return -EBADF;
        }
        if (st.st_uid != geteuid()) {
                store_log(path, "owned by uid %u, not by us (uid %u); refusing it", (unsigned) st.st_uid,
                          (unsigned) geteuid());
                return -EPERM;
        }
        if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
                return -errno;
        /* Closed before SQLite opens the file: closing any descriptor of a
         * file drops the POSIX locks SQLite holds on it. */
        return 0;
}

static int store_configure(Store *s) {
        char mode[16];
        int64_t v;
        int r;

        sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
        /* A tampered schema must not run code on our behalf. */
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);

        r = query_text(s->db, "PRAGMA journal_mode = WAL", mode, sizeof mode);
        if (r < 0 || strcmp(mode, "wal") != 0) {
                store_log(s->path, "cannot switch to WAL mode (%s)", r < 0 ? strerror(-r) : mode);
                return r < 0 ? r : -EIO;
        }
        /* FULL: a commit (an approval, a revocation) survives power loss.
         * The page cache is a cap, not an allocation: big enough that the
         * live-grant index and rows of 100k grants stay in memory, which
         * halves the cost of a Check compared with SQLite's 2 MiB default.
         * Locking stays NORMAL so an admin's sqlite3 and --check-config can
         * still read the file while jitd runs. */
        r = exec_sql(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cell_size_check = ON;"
                            " PRAGMA cache_size = -65536");
        if (r < 0)
                return r;
        if (query_int(s->db, "PRAGMA synchronous", &v) < 0 || v != 2) {
                store_log(s->path, "cannot set synchronous=FULL");
                return -EIO;
        }
        if (query_int(s->db, "PRAGMA foreign_keys", &v) < 0 || v != 1) {
                store_log(s->path, "cannot enable foreign keys");
                return -EIO;
        }
        return 0;
}

int store_open(const char *path, Store **ret) {
        Store *s;
        int64_t version, app_id;
        int rc, r;

        if (!path || !*path || !ret)
                return -EINVAL;

        r = store_prepare_file(path);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(Store));
        if (!s)
                return -ENOMEM;
        s->path = strdup(path);
        if (!s->path) {
                free(s);
                return -ENOMEM;
        }

        rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                                     SQLITE_OPEN_NOFOLLOW,
                             NULL);
        if (rc != SQLITE_OK) {
                store_log(path, "cannot open: %s", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
                r = sqlite_to_errno(rc);
                goto fail;
        }
        sqlite3_extended_result_codes(s->db, 1);

        /* The first read of the header tells a non-database from a database. */
        r = query_int(s->db, "PRAGMA user_version", &version);
        if (r < 0) {
                store_log(path, "cannot read: %s (corrupt, or not a database)", sqlite3_errmsg(s->db));
                r = r == -ENOMEM ? r : -EIO;
                goto fail;
        }
        if (version > STORE_SCHEMA_VERSION || version < 0) {
                store_log(path,
                          "schema version %" PRIi64 " is newer than this jitd understands (%d); "
                          "refusing to open it (was jitd downgraded?)",
                          version, STORE_SCHEMA_VERSION);
                r = -EPROTONOSUPPORT;
                goto fail;
        }

        r = store_check_integrity(s->db, path);
        if (r < 0)
                goto fail;

        r = store_configure(s);
        if (r < 0)
                goto fail;

        if (version < STORE_SCHEMA_VERSION) {
                r = store_migrate(s);
                if (r < 0)
                        goto fail;
        }

        r = query_int(s->db, "PRAGMA application_id", &app_id);
        if (r < 0 || app_id != STORE_APPLICATION_ID) {
                store_log(path, "not a jitd database (application id %#" PRIx64 ")", r < 0 ? 0 : (uint64_t) app_id);
                r = -EIO;
                goto fail;
        }
        r = query_int(s->db, "PRAGMA user_version", &version);
        if (r < 0)
                goto fail;
        s->schema_version = (int) version;

        for (size_t i = 0; i < _STMT_MAX; i++) {
                rc = sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
                if (rc != SQLITE_OK) {
                        store_log(path, "cannot prepare statement %zu: %s", i, sqlite3_errmsg(s->db));
                        r = sqlite_to_errno(rc);
                        goto fail;
                }
        }

        *ret = s;
        return 0;

fail:
        store_close(s);
        return r;
}

void store_close(Store *s) {
        if (!s)
                return;
        for (size_t i = 0; i < _STMT_MAX; i++)
                sqlite3_finalize(s->stmt[i]);
        sqlite3_close(s->db);
        free(s->path);
        free(s);
}

int store_schema_version(Store *s) {
        return s ? s->schema_version : -EINVAL;
}

sqlite3 *store_get_sqlite(Store *s) {
        return s ? s->db : NULL;
}

int store_transaction_begin(Store *s) {
        return s ? store_begin(s) : -EINVAL;
}

int store_transaction_commit(Store *s) {
        return s ? store_commit(s) : -EINVAL;
}

void store_transaction_rollback(Store *s) {
        store_rollbackp(&s);
}

/* ---- lookups ---- */

static int find_one_request(Store *s, StatementId id, const char *user, JitAction action, int64_t t,
                            RequestRecord *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        RequestRecord r;
        int k;

        if (!s || !arg_ok(user, JIT_USER_MAX, true) || !action_to_string(action))
                return -EINVAL;
        k = store_stmt(s, id, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, user) < 0 || bind_text(st, 2, action_to_string(action)) < 0 || bind_int(st, 3, t) < 0)
                return -ENOMEM;
        k = stmt_next(st);
        if (k <= 0)
                return k;
        k = read_request(st, &r);
        if (k < 0)
                return k;
        if (ret)
                *ret = r;
        return 1;
}

/* Runs one of the two live-grant queries (same WHERE clause, different
 * columns) and steps to its row: 1 with *ret_st on the row, 0 if none. */
static int live_grant_query(Store *s, StatementId id, const char *user, JitAction action, int64_t now,
                            sqlite3_stmt **ret_st) {
        int k;

        if (!s || !arg_ok(user, JIT_USER_MAX, true) || !action_to_string(action))
                return -EINVAL;
        k = store_stmt(s, id, ret_st);
        if (k < 0)
                return k;
        if (bind_text(*ret_st, 1, user) < 0 || bind_text(*ret_st, 2, action_to_string(action)) < 0 ||
            bind_int(*ret_st, 3, now) < 0)
                return -ENOMEM;
        return stmt_next(*ret_st);
}

int store_find_live_grant(Store *s, const char *user, JitAction action, int64_t now, GrantRecord *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        GrantRecord g;
        int k;

        k = live_grant_query(s, STMT_FIND_LIVE_GRANT, user, action, now, &st);
        if (k <= 0)
                return k;
        k = read_grant(st, &g);
        if (k < 0)
                return k;
        if (ret)
                *ret = g;
        return 1;
}

int store_check_live_grant(Store *s, const char *user, JitAction action, int64_t now, LiveGrant *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        LiveGrant g = {};
        int64_t breakglass;
        int k;

        k = live_grant_query(s, STMT_CHECK_LIVE_GRANT, user, action, now, &st);
        if (k <= 0)
                return k;
        if (COL_STR(st, 0, g.id, true) < 0 || COL_STR(st, 1, g.request_id, false) < 0 ||
            column_int(st, 2, &g.expires_at) < 0 || COL_STR(st, 3, g.approver, false) < 0 ||
            column_int(st, 4, &breakglass) < 0 || (breakglass != 0 && breakglass != 1))
                return -EIO;
        g.breakglass = breakglass == 1;
        if (ret)
                *ret = g;
        return 1;
}

int store_find_pending_request(Store *s, const char *user, JitAction action, int64_t now, RequestRecord *ret) {
        return find_one_request(s, STMT_FIND_PENDING_REQUEST, user, action, now, ret);
}

int store_find_recent_request(Store *s, const char *user, JitAction action, int64_t since, RequestRecord *ret) {
        return find_one_request(s, STMT_FIND_RECENT_REQUEST, user, action, since, ret);
}

int store_nth_newest_request(Store *s, const char *user, int64_t since, unsigned n, int64_t *ret_created_at) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int64_t t;
        int k;

        if (!s || !arg_ok(user, JIT_USER_MAX, true) || n == 0)
                return -EINVAL;
        k = store_stmt(s, STMT_NTH_NEWEST_REQUEST, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, user) < 0 || bind_int(st, 2, since) < 0 || bind_int(st, 3, (int64_t) n - 1) < 0)
                return -ENOMEM;
        k = stmt_next(st);
        if (k <= 0)
                return k;
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
                return -EIO;
        t = sqlite3_column_int64(st, 0);
        if (ret_created_at)
                *ret_created_at = t;
        return 1;
}

int store_get_request(Store *s, const char *id, RequestRecord *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        RequestRecord r;
        int k;

        if (!s || !arg_ok(id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_stmt(s, STMT_GET_REQUEST, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, id) < 0)
                return -ENOMEM;
        k = stmt_next(st);
        if (k < 0)
                return k;
        if (k == 0)
                return -ENOENT;
        k = read_request(st, &r);
        if (k < 0)
                return k;
        if (ret)
                *ret = r;
        return 0;
}

int store_get_grant(Store *s, const char *id, GrantRecord *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        GrantRecord g;
        int k;

        if (!s || !arg_ok(id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_stmt(s, STMT_GET_GRANT, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, id) < 0)
                return -ENOMEM;
        k = stmt_next(st);
        if (k < 0)
                return k;
        if (k == 0)
                return -ENOENT;
        k = read_grant(st, &g);
        if (k < 0)
                return k;
        if (ret)
                *ret = g;
        return 0;
}

/* After an UPDATE matched nothing: was the id unknown, or in another state? */
static int store_stale_or_missing(Store *s, StatementId exists, const char *id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        k = store_stmt(s, exists, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, id) < 0)
                return -ENOMEM;
        k = stmt_next(st);
        if (k < 0)
                return k;
        return k > 0 ? -ESTALE : -ENOENT;
}

/* Steps an UPDATE ... RETURNING of the object `id` to its row: 1 on it;
 * if it matched nothing, the statement is reset and the answer is -ESTALE
 * (the object is in another state) or -ENOENT. */
static int step_returning(Store *s, sqlite3_stmt **st, StatementId exists, const char *id) {
        int k = stmt_next(*st);

        if (k == 0) {
                stmt_resetp(st);
                return store_stale_or_missing(s, exists, id);
        }
        return k;
}

/* A grant ended: its end actions are pending. Call in the transaction
 * that ends it. */
static int insert_teardown(Store *s, const char *grant_id, int64_t now) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        k = store_stmt(s, STMT_TEARDOWN_INSERT, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, grant_id) < 0 || bind_int(st, 2, now) < 0)
                return -ENOMEM;
        return stmt_run(st);
}

/* ---- writes ---- */

int store_insert_request(Store *s, const RequestRecord *r) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !request_ok(r))
                return -EINVAL;
        k = store_stmt(s, STMT_INSERT_REQUEST, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, r->id) < 0 || bind_text(st, 2, r->user) < 0 ||
            bind_text(st, 3, action_to_string(r->action)) < 0 || bind_text(st, 4, r->service) < 0 ||
            bind_text(st, 5, r->rhost) < 0 || bind_text(st, 6, r->tty) < 0 || bind_text(st, 7, r->reason) < 0 ||
            bind_int(st, 8, (int64_t) r->duration_sec) < 0 || bind_text(st, 9, r->match_code) < 0 ||
            bind_text(st, 10, request_state_to_string(r->state)) < 0 || bind_int(st, 11, r->created_at) < 0 ||
            bind_int(st, 12, r->expires_at) < 0 || bind_int(st, 13, r->decided_at) < 0 ||
            bind_text(st, 14, r->decided_by) < 0 || bind_text(st, 15, r->decision_reason) < 0 ||
            bind_text(st, 16, r->grant_id) < 0 || bind_text(st, 17, r->extends_grant_id) < 0 ||
            bind_text(st, 18, r->decided_by_person) < 0)
                return -ENOMEM;
        return stmt_run(st);
}

int store_update_request_reason(Store *s, const char *request_id, const char *reason) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(reason, JIT_REASON_MAX, false))
                return -EINVAL;
        k = store_stmt(s, STMT_UPDATE_REQUEST_REASON, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, request_id) < 0 || bind_text(st, 2, reason ?: "") < 0)
                return -ENOMEM;
        k = stmt_run(st);
        if (k < 0)
                return k;
        if (sqlite3_changes(s->db) == 0) {
                stmt_resetp(&st);
                return store_stale_or_missing(s, STMT_REQUEST_EXISTS, request_id);
        }
        return 0;
}

int store_insert_grant(Store *s, const GrantRecord *g) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !grant_ok(g))
                return -EINVAL;
        k = store_stmt(s, STMT_INSERT_GRANT, &st);
        if (k < 0)
                return k;
        k = bind_grant(st, g);
        if (k < 0)
                return k;
        return stmt_run(st);
}

int store_approve_request(Store *s, const char *request_id, const char *approver, int64_t now,
                          GrantRecord *grant) {
        _cleanup_rollback_ Store *tx = NULL;
        GrantRecord g;
        char request_reason[JIT_REASON_MAX + 1];
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(approver, JIT_USER_MAX, true) || !grant ||
            !FIELD_OK(grant->id, true) || !FIELD_OK(grant->reason, false) || !FIELD_OK(grant->approver_person, false) ||
            grant->expires_at <= now)
                return -EINVAL;

        /* The store, not the caller, says whose grant this is and what it
         * is for: the request row decides. */
        g = (GrantRecord){
                .created_at = grant->created_at > 0 ? grant->created_at : now,
                .expires_at = grant->expires_at,
                .state = GRANT_ACTIVE,
        };
        memcpy(g.id, grant->id, sizeof g.id);
        memcpy(g.reason, grant->reason, sizeof g.reason);
        strcpy(g.request_id, request_id); /* lengths checked above */
        strcpy(g.approver, approver);
        memcpy(g.approver_person, grant->approver_person, sizeof g.approver_person);

        k = store_begin(s);
        if (k < 0)
                return k;
        tx = s;

        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                k = store_stmt(s, STMT_APPROVE_REQUEST, &st);
                if (k < 0)
                        return k;
                if (bind_text(st, 1, request_id) < 0 || bind_int(st, 2, now) < 0 || bind_text(st, 3, approver) < 0 ||
                    bind_text(st, 4, g.id) < 0 || bind_text(st, 5, g.approver_person) < 0)
                        return -ENOMEM;
                k = step_returning(s, &st, STMT_REQUEST_EXISTS, request_id);
                if (k < 0)
                        return k;
                if (COL_STR(st, 0, g.user, true) < 0 || column_action(st, 1, &g.action) < 0 ||
                    COL_STR(st, 2, request_reason, false) < 0 || COL_STR(st, 3, g.extends_grant_id, false) < 0)
                        return -EIO;
                k = stmt_run(st);
                if (k < 0)
                        return k;
        }

        /* Nobody approves their own request, under their own account or
         * another (also checked by the caller). */
        if (strcmp(g.user, approver) == 0 || strcmp(g.user, g.approver_person) == 0)
                return -EPERM;
        if (g.reason[0] == '\0')
                memcpy(g.reason, request_reason, sizeof g.reason);

        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                k = store_stmt(s, STMT_INSERT_GRANT, &st);
                if (k < 0)
                        return k;
                k = bind_grant(st, &g);
                if (k < 0)
                        return k;
                k = stmt_run(st);
                if (k < 0)
                        return k;
        }

        /* An extension: in the same transaction, the grant it extends ends
         * (if it is still the live one) and its open sessions move to the
         * new grant, so there is no moment with both or neither. Whatever
         * path approves a request, an extension is carried out here. */
        if (g.extends_grant_id[0] != '\0') {
                bool superseded;

                {
                        _cleanup_stmt_ sqlite3_stmt *st = NULL;

                        k = store_stmt(s, STMT_SUPERSEDE_GRANT, &st);
                        if (k < 0)
                                return k;
                        if (bind_text(st, 1, g.extends_grant_id) < 0 || bind_text(st, 2, g.id) < 0 ||
                            bind_int(st, 3, now) < 0 || bind_text(st, 4, approver) < 0 ||
                            bind_text(st, 5, g.user) < 0 || bind_text(st, 6, action_to_string(g.action)) < 0)
                                return -ENOMEM;
                        k = stmt_run(st);
                        if (k < 0)
                                return k;
                        superseded = sqlite3_changes(s->db) > 0;
                }
                if (superseded) {
                        k = insert_teardown(s, g.extends_grant_id, now);
                        if (k < 0)
                                return k;
                }
                /* An extended grant that ended meanwhile (expired, revoked)
                 * had its sessions ended with it: nothing to carry over. */
                if (superseded) {
                        _cleanup_stmt_ sqlite3_stmt *st = NULL;

                        k = store_stmt(s, STMT_MOVE_SESSIONS, &st);
                        if (k < 0)
                                return k;
                        if (bind_text(st, 1, g.extends_grant_id) < 0 || bind_text(st, 2, g.id) < 0)
                                return -ENOMEM;
                        k = stmt_run(st);
                        if (k < 0)
                                return k;
                }
        }

        k = store_commit(s);
        if (k < 0)
                return k;
        tx = NULL;

        *grant = g;
        return 0;
}

static int store_close_request(Store *s, const char *request_id, RequestState state, const char *by,
                               const char *by_person, const char *reason, int64_t now, RequestRecord *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        RequestRecord r;
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(by, JIT_USER_MAX, true) ||
            !arg_ok(by_person, JIT_USER_MAX, false) || !arg_ok(reason, JIT_REASON_MAX, false) ||
            (state != REQUEST_DENIED && state != REQUEST_CANCELLED))
                return -EINVAL;
        k = store_stmt(s, STMT_DENY_REQUEST, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, request_id) < 0 || bind_int(st, 2, now) < 0 || bind_text(st, 3, by) < 0 ||
            bind_text(st, 4, reason ?: "") < 0 || bind_text(st, 5, request_state_to_string(state)) < 0 ||
            bind_text(st, 6, by_person ?: "") < 0)
                return -ENOMEM;
        k = step_returning(s, &st, STMT_REQUEST_EXISTS, request_id);
        if (k < 0)
                return k;
        k = read_request(st, &r);
        /* Finish the statement so the autocommit transaction commits (and is
         * on disk) before we report success. */
        int k2 = stmt_run(st);
        if (k2 < 0)
                return k2;
        if (k < 0)
                return k;
        if (ret)
                *ret = r;
        return 0;
}

int store_deny_request(Store *s, const char *request_id, const char *approver, const char *approver_person,
                       const char *reason, int64_t now, RequestRecord *ret) {
        return store_close_request(s, request_id, REQUEST_DENIED, approver, approver_person, reason, now, ret);
}

int store_cancel_request(Store *s, const char *request_id, const char *by, const char *by_person, const char *reason,
                         int64_t now, RequestRecord *ret) {
        return store_close_request(s, request_id, REQUEST_CANCELLED, by, by_person, reason, now, ret);
}

int store_end_grant(Store *s, const char *grant_id, GrantState new_state, const char *by, const char *by_person,
                    int64_t now, GrantRecord *ret) {
        _cleanup_rollback_ Store *tx = NULL;
        GrantRecord g;
        int k;

        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true) || !arg_ok(by, JIT_USER_MAX, false) ||
            !arg_ok(by_person, JIT_USER_MAX, false) ||
            (new_state != GRANT_REVOKED && new_state != GRANT_EXPIRED))
                return -EINVAL;

        k = store_begin(s);
        if (k < 0)
                return k;
        tx = s;

        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                k = store_stmt(s, STMT_END_GRANT, &st);
                if (k < 0)
                        return k;
                if (bind_text(st, 1, grant_id) < 0 || bind_text(st, 2, grant_state_to_string(new_state)) < 0 ||
                    bind_int(st, 3, now) < 0 || bind_text(st, 4, by ?: "") < 0 ||
                    bind_text(st, 5, by_person ?: "") < 0)
                        return -ENOMEM;
                k = step_returning(s, &st, STMT_GRANT_EXISTS, grant_id);
                if (k < 0)
                        return k;
                k = read_grant(st, &g);
                int k2 = stmt_run(st);
                if (k2 < 0)
                        return k2;
                if (k < 0)
                        return k;
        }

        k = insert_teardown(s, grant_id, now);
        if (k < 0)
                return k;

        k = store_commit(s);
        if (k < 0)
                return k;
        tx = NULL;

        if (ret)
                *ret = g;
        return 0;
}

/* ---- collecting rows, so callbacks run with no statement in flight ---- */

typedef struct RowArray {
        void *items;
        size_t n, allocated, item_size;
} RowArray;

static void *row_array_next(RowArray *a) {
        if (a->n >= a->allocated) {
                size_t want = a->allocated ? a->allocated * 2 : 16;
                void *p = reallocarray(a->items, want, a->item_size);
                if (!p)
                        return NULL;
                a->items = p;
                a->allocated = want;
        }
        return (uint8_t *) a->items + a->n * a->item_size;
}

typedef int (*RowReader)(sqlite3_stmt *st, void *ret);

static int read_request_any(sqlite3_stmt *st, void *ret) {
        return read_request(st, ret);
}
static int read_grant_any(sqlite3_stmt *st, void *ret) {
        return read_grant(st, ret);
}
static int read_session_any(sqlite3_stmt *st, void *ret) {
        return read_session(st, ret);
}

/* Step `st` to the end, appending each row. */
static int collect_rows(sqlite3_stmt *st, RowReader reader, RowArray *a) {
        int k;

        while ((k = stmt_next(st)) > 0) {
                void *slot = row_array_next(a);
                if (!slot)
                        return -ENOMEM;
                k = reader(st, slot);
                if (k < 0)
                        return k;
                a->n++;
        }
        return k;
}

static unsigned clamp_limit(unsigned limit) {
        return limit == 0 || limit > STORE_LIST_MAX ? STORE_LIST_MAX : limit;
}

/* ---- expiry ---- */

int store_expire_due(Store *s, int64_t now, StoreGrantCallback on_grant, StoreRequestCallback on_request,
                     void *userdata) {
        return store_expire_due_until(s, now, now, on_grant, on_request, userdata);
}

int store_expire_due_until(Store *s, int64_t grants_until, int64_t requests_until, StoreGrantCallback on_grant,
                           StoreRequestCallback on_request, void *userdata) {
        return store_expire_due_tx(s, grants_until, requests_until, NULL, on_grant, on_request, userdata);
}

int store_expire_due_tx(Store *s, int64_t grants_until, int64_t requests_until, StoreRequestCallback in_tx,
                        StoreGrantCallback on_grant, StoreRequestCallback on_request, void *userdata) {
        RowArray grants = { .item_size = sizeof(GrantRecord) };
        RowArray requests = { .item_size = sizeof(RequestRecord) };
        int total = 0, k = 0;

        if (!s)
                return -EINVAL;

        /* In batches, so a backlog (jitd was down for a week) does not make
         * one huge transaction or one huge allocation. */
        for (;;) {
                _cleanup_rollback_ Store *tx = NULL;
                size_t batch;

                grants.n = requests.n = 0;
                k = store_begin(s);
                if (k < 0)
                        break;
                tx = s;

                {
                        _cleanup_stmt_ sqlite3_stmt *st = NULL;

                        k = store_stmt(s, STMT_EXPIRE_GRANTS, &st);
                        if (k < 0 || (k = bind_int(st, 1, grants_until)) < 0 || (k = bind_int(st, 2, STORE_EXPIRE_BATCH)) < 0 ||
                            (k = collect_rows(st, read_grant_any, &grants)) < 0)
                                break;
                }
                for (size_t i = 0; k >= 0 && i < grants.n; i++)
                        k = insert_teardown(s, ((GrantRecord *) grants.items)[i].id, requests_until);
                if (k < 0)
                        break;
                {
                        _cleanup_stmt_ sqlite3_stmt *st = NULL;

                        k = store_stmt(s, STMT_EXPIRE_REQUESTS, &st);
                        if (k < 0 || (k = bind_int(st, 1, requests_until)) < 0 || (k = bind_int(st, 2, STORE_EXPIRE_BATCH)) < 0 ||
                            (k = collect_rows(st, read_request_any, &requests)) < 0)
                                break;
                }

                /* What must be written with the expiry (the webhook outbox
                 * rows): a failure undoes the whole batch, to be retried. */
                for (size_t i = 0; in_tx && k >= 0 && i < requests.n; i++)
                        k = in_tx((RequestRecord *) requests.items + i, userdata);
                if (k < 0)
                        break;

                k = store_commit(s);
                if (k < 0)
                        break;
                tx = NULL;

                /* Committed: now tell the caller (audit, waking waiters). A
                 * failing callback does not undo the change or stop the others. */
                for (size_t i = 0; i < grants.n; i++)
                        if (on_grant)
                                (void) on_grant((GrantRecord *) grants.items + i, userdata);
                for (size_t i = 0; i < requests.n; i++)
                        if (on_request)
                                (void) on_request((RequestRecord *) requests.items + i, userdata);

                batch = grants.n + requests.n;
                total += (int) batch;
                if (grants.n < STORE_EXPIRE_BATCH && requests.n < STORE_EXPIRE_BATCH)
                        break;
        }

        free(grants.items);
        free(requests.items);
        return k < 0 ? k : total;
}

int store_next_deadlines(Store *s, int64_t *ret_grant, int64_t *ret_request) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s)
                return -EINVAL;
        k = store_stmt(s, STMT_NEXT_DEADLINE, &st);
        if (k < 0)
                return k;
        k = stmt_next(st);
        if (k < 0)
                return k;
        if (k == 0)
                return -EIO;

        /* Two columns, each NULL when there is nothing of its kind. A value
         * may be <= now when something is due and not swept yet: the
         * caller then runs store_expire_due() at once. */
        bool have_g = sqlite3_column_type(st, 0) == SQLITE_INTEGER;
        bool have_r = sqlite3_column_type(st, 1) == SQLITE_INTEGER;
        if (ret_grant)
                *ret_grant = have_g ? sqlite3_column_int64(st, 0) : INT64_MAX;
        if (ret_request)
                *ret_request = have_r ? sqlite3_column_int64(st, 1) : INT64_MAX;
        return have_g || have_r;
}

int store_next_deadline(Store *s, int64_t *ret) {
        int64_t g, r;
        int k;

        k = store_next_deadlines(s, &g, &r);
        if (k <= 0)
                return k;
        if (ret)
                *ret = g < r ? g : r;
        return 1;
}

int store_next_grant_deadline_after(Store *s, int64_t after, int64_t *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s)
                return -EINVAL;
        k = store_stmt(s, STMT_NEXT_GRANT_DEADLINE_AFTER, &st);
        if (k < 0)
                return k;
        if (bind_int(st, 1, after) < 0)
                return -ENOMEM;
        k = stmt_next(st);
        if (k < 0)
                return k;
        if (k == 0)
                return -EIO;
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
                return 0;
        if (ret)
                *ret = sqlite3_column_int64(st, 0);
        return 1;
}

/* ---- listings ---- */

static int list_rows(Store *s, StatementId id, const char *key, bool bind_now, int64_t now, unsigned limit,
                     int limit_index, RowReader reader, size_t item_size, RowArray *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        RowArray a = { .item_size = item_size };
        int k;

        k = store_stmt(s, id, &st);
        if (k < 0)
                return k;
        if ((key && bind_text(st, 1, key) < 0) || (bind_now && bind_int(st, 2, now) < 0) ||
            bind_int(st, limit_index, clamp_limit(limit)) < 0)
                return -ENOMEM;
        k = collect_rows(st, reader, &a);
        if (k < 0) {
                free(a.items);
                return k;
        }
        *ret = a;
        return 0;
}

int store_list_requests(Store *s, const char *user, bool pending_only, int64_t now, unsigned limit,
                        StoreRequestCallback cb, void *userdata) {
        RowArray a;
        StatementId id;
        int k;

        if (!s || !cb || !arg_ok(user, JIT_USER_MAX, false))
                return -EINVAL;
        if (user && !*user)
                user = NULL;
        id = pending_only ? (user ? STMT_LIST_PENDING_USER : STMT_LIST_PENDING)
                          : (user ? STMT_LIST_REQUESTS_USER : STMT_LIST_REQUESTS);

        k = list_rows(s, id, user, pending_only, now, limit, 3, read_request_any, sizeof(RequestRecord), &a);
        if (k < 0)
                return k;
        for (size_t i = 0; i < a.n && k >= 0; i++)
                k = cb((RequestRecord *) a.items + i, userdata);
        free(a.items);
        return k < 0 ? k : (int) a.n;
}

int store_list_grants(Store *s, const char *user, bool active_only, int64_t now, unsigned limit,
                      StoreGrantCallback cb, void *userdata) {
        RowArray a;
        StatementId id;
        int k;

        if (!s || !cb || !arg_ok(user, JIT_USER_MAX, false))
                return -EINVAL;
        if (user && !*user)
                user = NULL;
        id = active_only ? (user ? STMT_LIST_ACTIVE_USER : STMT_LIST_ACTIVE)
                         : (user ? STMT_LIST_GRANTS_USER : STMT_LIST_GRANTS);

        k = list_rows(s, id, user, active_only, now, limit, 3, read_grant_any, sizeof(GrantRecord), &a);
        if (k < 0)
                return k;
        for (size_t i = 0; i < a.n && k >= 0; i++)
                k = cb((GrantRecord *) a.items + i, userdata);
        free(a.items);
        return k < 0 ? k : (int) a.n;
}

int store_list_grants_expiring(Store *s, int64_t after, int64_t until, StoreGrantCallback cb, void *userdata) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        RowArray a = { .item_size = sizeof(GrantRecord) };
        int k;

        if (!s || !cb)
                return -EINVAL;
        k = store_stmt(s, STMT_LIST_GRANTS_EXPIRING, &st);
        if (k < 0)
                return k;
        if (bind_int(st, 1, after) < 0 || bind_int(st, 2, until) < 0 || bind_int(st, 3, STORE_LIST_MAX) < 0)
                return -ENOMEM;
        k = collect_rows(st, read_grant_any, &a);
        stmt_resetp(&st);
        if (k < 0) {
                free(a.items);
                return k;
        }
        for (size_t i = 0; i < a.n && k >= 0; i++)
                k = cb((GrantRecord *) a.items + i, userdata);
        free(a.items);
        return k < 0 ? k : (int) a.n;
}

/* ---- sessions ---- */

int store_open_session(Store *s, const SessionRecord *r) {
        _cleanup_rollback_ Store *tx = NULL;
        int k;

        if (!s || !session_ok(r))
                return -EINVAL;

        k = store_begin(s);
        if (k < 0)
                return k;
        tx = s;

        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                k = store_stmt(s, STMT_CLOSE_STALE_SESSION, &st);
                if (k < 0)
                        return k;
                if (bind_text(st, 1, r->user) < 0 || bind_text(st, 2, r->session_id) < 0 ||
                    bind_int(st, 3, r->opened_at) < 0 || bind_text(st, 4, r->grant_id) < 0)
                        return -ENOMEM;
                k = stmt_run(st);
                if (k < 0)
                        return k;
        }
        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                k = store_stmt(s, STMT_INSERT_SESSION, &st);
                if (k < 0)
                        return k;
                if (bind_text(st, 1, r->session_id) < 0 || bind_text(st, 2, r->grant_id) < 0 ||
                    bind_text(st, 3, r->user) < 0 || bind_text(st, 4, r->service) < 0 || bind_text(st, 5, r->tty) < 0 ||
                    bind_text(st, 6, r->rhost) < 0 || bind_int(st, 7, r->pid) < 0 || bind_int(st, 8, r->opened_at) < 0 ||
                    bind_int(st, 9, r->closed_at) < 0 || bind_text(st, 10, r->boot_id) < 0 ||
                    bind_int(st, 11, r->opened_monotonic_usec) < 0 || bind_int(st, 12, r->uid) < 0)
                        return -ENOMEM;
                k = stmt_run(st); /* -ENOENT: no such grant */
                if (k < 0)
                        return k;
        }

        k = store_commit(s);
        if (k < 0)
                return k;
        tx = NULL;
        return 0;
}

int store_close_session(Store *s, const char *user, const char *session_id, int64_t now) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !arg_ok(user, JIT_USER_MAX, true) || !arg_ok(session_id, JIT_SESSION_MAX, true))
                return -EINVAL;
        k = store_stmt(s, STMT_CLOSE_SESSION, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, user) < 0 || bind_text(st, 2, session_id) < 0 || bind_int(st, 3, now) < 0)
                return -ENOMEM;
        k = stmt_run(st);
        if (k < 0)
                return k;
        return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_list_sessions(Store *s, const char *grant_id, bool open_only, StoreSessionCallback cb, void *userdata) {
        RowArray a;
        StatementId id;
        int k;

        if (!s || !cb || !arg_ok(grant_id, JIT_ID_MAX - 1, false))
                return -EINVAL;
        if (grant_id && !*grant_id)
                grant_id = NULL;
        id = grant_id ? (open_only ? STMT_LIST_SESSIONS_GRANT_OPEN : STMT_LIST_SESSIONS_GRANT)
                      : (open_only ? STMT_LIST_SESSIONS_OPEN : STMT_LIST_SESSIONS);

        k = list_rows(s, id, grant_id, false, 0, 0, 2, read_session_any, sizeof(SessionRecord), &a);
        if (k < 0)
                return k;
        for (size_t i = 0; i < a.n && k >= 0; i++)
                k = cb((SessionRecord *) a.items + i, userdata);
        free(a.items);
        return k < 0 ? k : (int) a.n;
}

/* ---- pending teardowns ---- */

int store_set_teardown_reason(Store *s, const char *grant_id, const char *reason) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true) || !arg_ok(reason, JIT_REASON_MAX, false))
                return -EINVAL;
        k = store_stmt(s, STMT_TEARDOWN_SET_REASON, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, grant_id) < 0 || bind_text(st, 2, reason ?: "") < 0)
                return -ENOMEM;
        k = stmt_run(st);
        if (k < 0)
                return k;
        return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_get_teardown(Store *s, const char *grant_id, TeardownRecord *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_stmt(s, STMT_TEARDOWN_GET, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, grant_id) < 0)
                return -ENOMEM;
        k = stmt_next(st);
        if (k <= 0)
                return k < 0 ? k : -ENOENT;
        return read_teardown(st, ret);
}

static int read_teardown_any(sqlite3_stmt *st, void *ret) {
        return read_teardown(st, ret);
}

int store_list_teardowns_due(Store *s, int64_t now, unsigned limit, TeardownRecord **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        RowArray a = { .item_size = sizeof(TeardownRecord) };
        int k;

        if (!s || !ret || !ret_n)
                return -EINVAL;
        if (limit == 0 || limit > STORE_EXPIRE_BATCH)
                limit = STORE_EXPIRE_BATCH;
        k = store_stmt(s, STMT_TEARDOWN_LIST_DUE, &st);
        if (k < 0)
                return k;
        if (bind_int(st, 1, now) < 0 || bind_int(st, 2, limit) < 0)
                return -ENOMEM;
        k = collect_rows(st, read_teardown_any, &a); /* the query's LIMIT bounds it */
        if (k < 0) {
                free(a.items);
                return k;
        }
        *ret = a.items;
        *ret_n = a.n;
        return 0;
}

int store_next_teardown_due(Store *s, int64_t *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s)
                return -EINVAL;
        k = store_stmt(s, STMT_TEARDOWN_NEXT_DUE, &st);
        if (k < 0)
                return k;
        k = stmt_next(st);
        if (k < 0)
                return k;
        if (k == 0)
                return -EIO;
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
                return 0;
        if (ret)
                *ret = sqlite3_column_int64(st, 0);
        return 1;
}

int store_teardown_attempt(Store *s, const char *grant_id, unsigned attempts, int64_t next_attempt_at) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_stmt(s, STMT_TEARDOWN_ATTEMPT, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, grant_id) < 0 || bind_int(st, 2, attempts) < 0 || bind_int(st, 3, next_attempt_at) < 0)
                return -ENOMEM;
        k = stmt_run(st);
        if (k < 0)
                return k;
        return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_teardown_done(Store *s, const char *grant_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_stmt(s, STMT_TEARDOWN_DONE, &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, grant_id) < 0)
                return -ENOMEM;
        return stmt_run(st);
}

int store_teardowns_all_due(Store *s) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int k;

        if (!s)
                return -EINVAL;
        k = store_stmt(s, STMT_TEARDOWN_ALL_DUE, &st);
        if (k < 0)
                return k;
        k = stmt_run(st);
        return k < 0 ? k : sqlite3_changes(s->db);
}
