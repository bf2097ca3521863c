/* The store's file: its schema and the migrations that bring an older
 * file up to it, and the checks made when the file is opened (a corrupt,
 * foreign or newer file is refused, never treated as empty; the file is
 * ours, 0600, a regular file). With store-db.c, the only file of jitd
 * that includes sqlite3.h. */

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

        /* Approver notification (store-outbox.c, store-approvals.c). The outbox holds one row
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

        /* One requester must not delay another's notices (store-outbox.c):
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


/* ---- opening ---- */

static int exec_sql(sqlite3 *db, const char *sql) {
        int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : store_sqlite_errno(rc);
}

/* Prepare `sql` and step to its first row: 0 with *ret on it (the caller
 * finalizes it), -ENODATA if there is none. */
static int query_first(sqlite3 *db, const char *sql, sqlite3_stmt **ret) {
        sqlite3_stmt *st = NULL;
        int rc;

        rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_errno(rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = st;
                return 0;
        }
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? -ENODATA : store_sqlite_errno(rc);
}

/* A one-row, one-column query (pragmas). */
static int query_int(sqlite3 *db, const char *sql, int64_t *ret) {
        sqlite3_stmt *st;
        int r;

        r = query_first(db, sql, &st);
        if (r < 0)
                return r;
        *ret = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return 0;
}

static int query_text(sqlite3 *db, const char *sql, char *buf, size_t size) {
        const unsigned char *t;
        sqlite3_stmt *st;
        int r;

        r = query_first(db, sql, &st);
        if (r < 0)
                return r;
        t = sqlite3_column_text(st, 0);
        snprintf(buf, size, "%s", t ? (const char *) t : "");
        sqlite3_finalize(st);
        return 0;
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
                return store_sqlite_errno(rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const unsigned char *table = sqlite3_column_text(st, 0), *parent = sqlite3_column_text(st, 2);

                store_log(s->path,
                          "schema migration failed: a row of %s (rowid %" PRIi64 ") points at a missing row of %s",
                          table ? (const char *) table : "?", (int64_t) sqlite3_column_int64(st, 1),
                          parent ? (const char *) parent : "?");
                r = -EIO;
        } else if (rc != SQLITE_DONE)
                r = store_sqlite_errno(rc);
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
        int r;

        if (!path || !*path || !ret)
                return -EINVAL;

        r = store_prepare_file(path);
        if (r < 0)
                return r;

        r = store_new(path, &s);
        if (r < 0)
                return r;

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

        r = store_prepare_statements(s);
        if (r < 0)
                goto fail;

        *ret = s;
        return 0;

fail:
        store_close(s);
        return r;
}


/* Read-only, so --check-config never migrates or locks: the file opens and
 * PRAGMA quick_check says "ok". On failure, SQLite's word in `error`. */
int store_verify_file(const char *path, char *error, size_t size) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        bool ok = false;
        int r;

        if (!path || !error || size == 0)
                return -EINVAL;
        r = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
        if (r == SQLITE_OK)
                r = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
        if (r == SQLITE_OK) {
                r = sqlite3_step(st);
                ok = r == SQLITE_ROW && sqlite3_column_text(st, 0) &&
                        strcmp((const char *) sqlite3_column_text(st, 0), "ok") == 0;
        }
        if (!ok)
                snprintf(error, size, "%s", db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_finalize(st);
        sqlite3_close(db);
        return ok ? 0 : -EIO;
}
