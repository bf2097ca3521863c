/* The state store against a real SQLite file in a temporary directory:
 * schema creation and refusal of corrupt, foreign or newer files, the
 * durability pragmas, and migration of every older schema version with its
 * rows. What the store then holds (grants, requests, sessions, teardowns)
 * is test_store_grants.c's. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"
#include "store-test.h"

/* ---- migration: a database of every older schema version, with rows ---- */

static char *read_fixture(const char *name) {
        char path[512];
        char *text = NULL;
        size_t n = 0;
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", JIT_TEST_DATA_DIR, name);
        f = fopen(path, "re");
        CHECK(f != NULL);
        if (!f)
                return NULL;
        text = calloc(1, 65536);
        if (text)
                n = fread(text, 1, 65535, f);
        fclose(f);
        CHECK(n > 0);
        return text;
}

static int fixture_exec(sqlite3 *db, const char *name) {
        _cleanup_free_ char *sql = read_fixture(name);

        return sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_ERROR;
}

/* Rows as a jitd of schema `version` wrote them: what each table of that
 * version holds, in the columns it had. */
static const char *const rows_by_version[] = {
        [1] = "INSERT INTO requests (id, user, action, service, rhost, tty, reason, duration, match_code, state,"
              " created_at, expires_at, decided_at, decided_by, grant_id)"
              " VALUES ('r1111111111111111', 'alice', 'login', 'sshd', '192.0.2.7', 'ssh', 'old hotfix', 600,"
              " '111-222', 'approved', 100, 1000, 150, 'carol', 'g1111111111111111'),"
              " ('r2222222222222222', 'bob', 'sudo', 'sudo', '', 'pts/3', 'pending one', 0, '333-444', 'pending',"
              " 200, 99999999999, 0, '', '');"
              "INSERT INTO grants (id, request_id, user, action, created_at, expires_at, approver, reason, state)"
              " VALUES ('g1111111111111111', 'r1111111111111111', 'alice', 'login', 150, 99999999999, 'carol',"
              " 'old hotfix', 'active');"
              "INSERT INTO grants (id, user, action, created_at, expires_at, approver, reason, state, breakglass,"
              " ended_at, ended_by)"
              " VALUES ('g2222222222222222', 'dave', 'sudo', 160, 260, 'root', 'incident', 'revoked', 1, 170,"
              " 'root');"
              "INSERT INTO sessions (session_id, grant_id, user, service, tty, rhost, pid, opened_at)"
              " VALUES ('c7', 'g1111111111111111', 'alice', 'sshd', 'pts/1', '192.0.2.7', 4242, 151);",
        [2] = "INSERT INTO requests (id, user, action, state, created_at, expires_at, extends_grant_id)"
              " VALUES ('r3333333333333333', 'alice', 'login', 'pending', 300, 99999999999,"
              " 'g1111111111111111');",
        [3] = "INSERT INTO outbox (message_id, endpoint, request_id, event, created_at, next_attempt_usec, state)"
              " VALUES ('msg_1', 'ops', 'r2222222222222222', 'created', 200, 200000000, 'pending');"
              "INSERT INTO review_links (token_hash, request_id, approver, endpoint, created_at, expires_at)"
              " VALUES (zeroblob(32), 'r2222222222222222', 'carol', 'ops', 200, 99999999999);"
              "INSERT INTO approvals (request_id, approver, approved_at, duration, via)"
              " VALUES ('r2222222222222222', 'carol', 210, 600, 'web');",
        /* A message with every column set, at a rowid of its own: the
         * outbox is rebuilt by step 5 -> 6, and every column of every row
         * must come through it. */
        [5] = "INSERT INTO outbox (id, message_id, endpoint, request_id, event, created_at, next_attempt_usec,"
              " attempts, state, last_status, last_error, last_attempt_at, delivered_at)"
              " VALUES (77, 'msg_2', 'siem', 'r1111111111111111', 'approved', 150, 151000000, 3, 'failed', 503,"
              " 'HTTP 503', 160, 0);"
              "INSERT INTO teardowns (grant_id, reason, audited, attempts, next_attempt_at, created_at)"
              " VALUES ('g2222222222222222', 'incident over', 1, 2, 400, 170);",
        /* Pending messages of two requesters to one endpoint: step 6 -> 7
         * numbers each requester's turns, oldest first. */
        [6] = "INSERT INTO outbox (id, message_id, endpoint, request_id, event, created_at, next_attempt_usec, state)"
              " VALUES (90, 'msg_6', 'ops', 'r2222222222222222', 'denied', 220, 220000000, 'pending'),"
              " (91, 'msg_7', 'ops', 'r3333333333333333', 'created', 300, 300000000, 'pending');",
        /* A second vote on the pending request, by root: the approvals
         * table is rebuilt by step 7 -> 8 with the person in its key, and
         * each old vote keeps its account as its person. */
        [7] = "INSERT INTO approvals (request_id, approver, approved_at, duration, via)"
              " VALUES ('r2222222222222222', 'root', 220, 0, 'jitctl');",
};

static const char *const steps_by_version[] = {
        [1] = "store-schema-v1.sql",
        [2] = "store-schema-v2.sql",
        [3] = "store-schema-v3.sql",
        [4] = "store-schema-v4.sql",
        [5] = "store-schema-v5.sql",
        [6] = "store-schema-v6.sql",
        [7] = "store-schema-v7.sql",
};

static int count_session(const SessionRecord *r, void *userdata) {
        SessionRecord *out = userdata;

        *out = *r;
        return 0;
}

static void build_old_store(const char *path, int version) {
        sqlite3 *db = NULL;
        char sql[128];

        remove_db(path);
        CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
        for (int v = 1; v <= version; v++) {
                CHECK_INT(fixture_exec(db, steps_by_version[v]), SQLITE_OK);
                if (v < (int) ELEMENTSOF(rows_by_version) && rows_by_version[v])
                        CHECK_INT(sqlite3_exec(db, rows_by_version[v], NULL, NULL, NULL), SQLITE_OK);
        }
        snprintf(sql, sizeof sql, "PRAGMA application_id = 1246318660; PRAGMA user_version = %d", version);
        CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        CHECK_INT(chmod(path, 0600), 0);
}

/* Parts of test_migration_with_data(): what a store migrated from
 * `version` holds. The requests, grants and sessions of every version. */
static void check_migrated_requests(Store *s, int version) {
        SessionRecord sess = {};
        RequestRecord r;
        GrantRecord g;

        CHECK_INT(store_get_request(s, "r1111111111111111", &r), 0);
        CHECK_STR(r.user, "alice");
        CHECK_INT(r.state, REQUEST_APPROVED);
        CHECK_STR(r.reason, "old hotfix");
        CHECK_STR(r.match_code, "111-222");
        CHECK_STR(r.grant_id, "g1111111111111111");
        CHECK_STR(r.extends_grant_id, "");
        CHECK_STR(r.decided_by, "carol");
        CHECK_STR(r.decided_by_person, ""); /* from before schema 7: not recorded */
        CHECK_INT(store_get_request(s, "r2222222222222222", &r), 0);
        CHECK_INT(r.state, REQUEST_PENDING);
        CHECK_STR(r.tty, "pts/3");
        CHECK_INT(store_get_grant(s, "g1111111111111111", &g), 0);
        CHECK_INT(g.state, GRANT_ACTIVE);
        CHECK_STR(g.request_id, "r1111111111111111");
        CHECK_STR(g.extended_by, "");
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, 1000, &g), 1);
        CHECK_STR(g.id, "g1111111111111111");
        CHECK_INT(store_get_grant(s, "g2222222222222222", &g), 0);
        CHECK(g.breakglass);
        CHECK_INT(g.state, GRANT_REVOKED);
        CHECK_STR(g.ended_by, "root");
        CHECK_STR(g.approver_person, ""); /* from before schema 7: not recorded */
        CHECK_STR(g.ended_by_person, "");
        CHECK_INT(store_list_sessions(s, "g1111111111111111", true, count_session, &sess), 1);
        CHECK_STR(sess.session_id, "c7");
        CHECK_INT(sess.pid, 4242);
        CHECK_STR(sess.boot_id, ""); /* from before schema 4: unknown */
        CHECK_INT(sess.uid, -1);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM requests"), version >= 2 ? 3 : 2);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM grants"), 2);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sessions"), 1);
        if (version >= 2) {
                CHECK_INT(store_get_request(s, "r3333333333333333", &r), 0);
                CHECK_STR(r.extends_grant_id, "g1111111111111111");
        }
}

/* Review links and approvals (from schema 3), one vote per person. */
static void check_migrated_approvals(Store *s, int version) {
        CHECK_INT(sql_int(s, "SELECT count(*) FROM review_links"), version >= 3 ? 1 : 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM approvals WHERE approver = 'carol'"), version >= 3 ? 1 : 0);
        /* Every old vote came through, its account as its person. */
        CHECK_INT(sql_int(s, "SELECT count(*) FROM approvals"), version >= 7 ? 2 : version >= 3 ? 1 : 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM approvals WHERE person <> approver"), 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM approvals WHERE request_id = 'r2222222222222222' AND"
                             " approver = 'carol' AND person = 'carol' AND approved_at = 210 AND"
                             " duration = 600 AND via = 'web'"),
                  version >= 3 ? 1 : 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'approvals_new'"), 0);
        if (version >= 3) {
                /* One vote per person now: carol again, under root's account, is refused. */
                CHECK(sql_exec(s, "INSERT INTO approvals (request_id, approver, person, approved_at)"
                                  " VALUES ('r2222222222222222', 'root', 'carol', 230)") != SQLITE_OK);
                CHECK_INT(sql_exec(s, "INSERT INTO approvals (request_id, approver, person, approved_at)"
                                      " VALUES ('r2222222222222222', 'root', 'dave', 230)"),
                          SQLITE_OK);
        }
}

/* The outbox (from schema 3) through every rebuild, and the teardowns. */
static void check_migrated_outbox(Store *s, int version) {
        if (version >= 3) {
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox WHERE message_id = 'msg_1' AND"
                                     " endpoint = 'ops' AND request_id = 'r2222222222222222' AND"
                                     " event = 'created' AND created_at = 200 AND"
                                     " next_attempt_usec = 200000000 AND attempts = 0 AND"
                                     " state = 'pending'"),
                          1);
                /* The rebuilt table keeps its indexes (and the one of UNIQUE). */
                CHECK_INT(sql_int(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND"
                                     " tbl_name = 'outbox' AND name IN ('outbox_due', 'outbox_request',"
                                     " 'sqlite_autoindex_outbox_1')"),
                          3);
                CHECK_INT(sql_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'outbox_new'"), 0);
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox WHERE message_id = 'msg_1' AND"
                                     " requester = 'bob' AND turn = 0"),
                          1);
                CHECK_INT(sql_int(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND"
                                     " tbl_name = 'outbox' AND name IN ('outbox_fair',"
                                     " 'outbox_requester_turn', 'outbox_created')"),
                          3);
        }
        CHECK_INT(sql_int(s, "SELECT count(*) FROM teardowns"), version >= 5 ? 1 : 0);
        if (version >= 5) {
                TeardownRecord t;

                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox WHERE id = 77 AND message_id = 'msg_2' AND"
                                     " endpoint = 'siem' AND request_id = 'r1111111111111111' AND"
                                     " event = 'approved' AND created_at = 150 AND"
                                     " next_attempt_usec = 151000000 AND attempts = 3 AND"
                                     " state = 'failed' AND last_status = 503 AND"
                                     " last_error = 'HTTP 503' AND last_attempt_at = 160 AND"
                                     " delivered_at = 0"),
                          1);
                CHECK_INT(store_get_teardown(s, "g2222222222222222", &t), 0);
                CHECK_STR(t.reason, "incident over");
                CHECK_INT(t.attempts, 2);
                /* Every message knows its requester, a finished one too. */
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox WHERE id = 77 AND requester = 'alice'"), 1);
        }
        if (version >= 6) {
                /* bob's two pending messages to ops take turns 0 and 1,
                 * alice's one turn 0: she is not behind bob's second. */
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox"), 4);
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox WHERE message_id = 'msg_1' AND"
                                     " requester = 'bob' AND turn = 0"),
                          1);
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox WHERE id = 90 AND requester = 'bob' AND"
                                     " turn = 1"),
                          1);
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox WHERE id = 91 AND requester = 'alice' AND"
                                     " turn = 0"),
                          1);
        } else if (version >= 5) {
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox"), 2);
        } else
                CHECK_INT(sql_int(s, "SELECT count(*) FROM outbox"), version >= 3 ? 1 : 0);
        /* The outbox takes the event added by schema 6, and still
         * refuses what its CHECK never allowed. */
        CHECK_INT(sql_exec(s, "INSERT INTO outbox (message_id, endpoint, request_id, event, created_at,"
                              " next_attempt_usec, state) VALUES ('msg_3', 'ops', 'r2222222222222222',"
                              " 'cancelled', 300, 300000000, 'pending')"),
                  SQLITE_OK);
        CHECK(sql_exec(s, "INSERT INTO outbox (message_id, endpoint, request_id, event, created_at,"
                          " next_attempt_usec, state) VALUES ('msg_4', 'ops', 'r2222222222222222',"
                          " 'withdrawn', 300, 300000000, 'pending')") != SQLITE_OK);
        CHECK(sql_exec(s, "INSERT INTO outbox (message_id, endpoint, request_id, event, created_at,"
                          " next_attempt_usec, state) VALUES ('msg_5', 'ops', 'r_missing',"
                          " 'cancelled', 300, 300000000, 'pending')") != SQLITE_OK);
}

/* Each older version, with rows in every table it had, is migrated in
 * place to the current one and every row is still there and readable. */
static void test_migration_with_data(void) {
        /* Version 7 is the last before today's 8 ("approver persons");
         * the next step adds the fixture of 8. */
        _Static_assert(ELEMENTSOF(steps_by_version) >= STORE_SCHEMA_VERSION,
                       "every older schema version needs its frozen fixture (tests/unit/data/store-schema-vN.sql)");

        for (int version = 1; version < STORE_SCHEMA_VERSION; version++) {
                const char *path = tmp_path("old.db");
                Store *s = NULL;

                fprintf(stderr, "-- migration from schema version %d\n", version);
                build_old_store(path, version);
                CHECK_INT(store_open(path, &s), 0);
                if (!s)
                        continue;
                CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
                CHECK_INT(sql_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
                CHECK_INT(sql_int(s, "PRAGMA foreign_key_check"), -1); /* no row: no violation */

                check_migrated_requests(s, version);
                check_migrated_approvals(s, version);
                check_migrated_outbox(s, version);

                /* And it takes new rows in the new columns. */
                CHECK_INT(sql_exec(s, "UPDATE sessions SET boot_id = '0123456789abcdef0123456789abcdef', uid = 1000"),
                          SQLITE_OK);
                store_close(s);

                /* Opened again: already current, nothing to migrate. */
                s = NULL;
                CHECK_INT(store_open(path, &s), 0);
                if (s) {
                        CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
                        CHECK_INT(sql_int(s, "SELECT count(*) FROM sessions WHERE uid = 1000"), 1);
                        store_close(s);
                }
        }
}

/* Table rebuilds (the outbox's, the approvals') run with foreign keys off
 * (SQLite's procedure), so they are checked before the commit: an older
 * file with a vote on a request that is not there is refused and left as
 * it was, not migrated into a store that breaks its own rules. */
static bool table_exists(sqlite3 *db, const char *name) {
        sqlite3_stmt *st = NULL;
        bool found = false;

        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE name = ?", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                found = sqlite3_column_int64(st, 0) > 0;
        sqlite3_finalize(st);
        return found;
}

/* Builds `version` with a dangling vote, opens it, and leaves it open as
 * `ret_db` for the caller to check what was rolled back. */
static void open_dangling_store(const char *path, int version, sqlite3 **ret_db) {
        sqlite3 *db = NULL;
        Store *s = NULL;
        int64_t got = -1;
        sqlite3_stmt *st = NULL;

        build_old_store(path, version);
        CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
        CHECK_INT(sqlite3_exec(db,
                               "INSERT INTO approvals (request_id, approver, approved_at)"
                               " VALUES ('r_gone', 'carol', 1)",
                               NULL, NULL, NULL),
                  SQLITE_OK);
        sqlite3_close(db);

        CHECK_INT(store_open(path, &s), -EIO);
        CHECK(s == NULL);

        CHECK_INT(sqlite3_open(path, ret_db), SQLITE_OK);
        if (sqlite3_prepare_v2(*ret_db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                got = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        CHECK_INT(got, version);
}

static void test_migration_checks_foreign_keys(void) {
        const char *path = tmp_path("dangling.db");
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;

        /* Version 5: the last before the outbox rebuild (step 5 -> 6).
         * Rolled back: the old table, with its old CHECK, and no
         * half-built new one. */
        open_dangling_store(path, 5, &db);
        CHECK_INT(sqlite3_exec(db, "INSERT INTO outbox (message_id, endpoint, request_id, event, created_at,"
                                   " next_attempt_usec, state) VALUES ('msg_10', 'ops', 'r1111111111111111',"
                                   " 'cancelled', 1, 1, 'pending')",
                               NULL, NULL, NULL),
                  SQLITE_CONSTRAINT);
        CHECK(!table_exists(db, "outbox_new"));
        sqlite3_close(db);
        remove_db(path);

        /* Version 7: the last before the approvals rebuild (step 7 -> 8).
         * Rolled back: the old table, without the new column, and no
         * half-built new one. */
        open_dangling_store(path, 7, &db);
        CHECK(sqlite3_prepare_v2(db, "SELECT person FROM approvals", -1, &st, NULL) != SQLITE_OK);
        sqlite3_finalize(st);
        CHECK(!table_exists(db, "approvals_new"));
        sqlite3_close(db);
        remove_db(path);
}

static void test_state_strings(void) {
        CHECK_STR(request_state_to_string(REQUEST_PENDING), "pending");
        CHECK_STR(request_state_to_string(REQUEST_APPROVED), "approved");
        CHECK_STR(request_state_to_string(REQUEST_DENIED), "denied");
        CHECK_STR(request_state_to_string(REQUEST_EXPIRED), "expired");
        CHECK_STR(request_state_to_string(REQUEST_CANCELLED), "cancelled");
        CHECK(request_state_to_string(_REQUEST_STATE_MAX) == NULL);
        CHECK(request_state_to_string(_REQUEST_STATE_INVALID) == NULL);
        CHECK_INT(request_state_from_string("denied"), REQUEST_DENIED);
        CHECK_INT(request_state_from_string("Denied"), _REQUEST_STATE_INVALID);
        CHECK_INT(request_state_from_string(NULL), _REQUEST_STATE_INVALID);
        CHECK_STR(grant_state_to_string(GRANT_ACTIVE), "active");
        CHECK_STR(grant_state_to_string(GRANT_EXPIRED), "expired");
        CHECK_STR(grant_state_to_string(GRANT_REVOKED), "revoked");
        CHECK(grant_state_to_string(_GRANT_STATE_MAX) == NULL);
        CHECK_INT(grant_state_from_string("revoked"), GRANT_REVOKED);
        CHECK_INT(grant_state_from_string(""), _GRANT_STATE_INVALID);
}

static void test_create_and_reopen(void) {
        const char *path = tmp_path("create.db");
        Store *s = NULL;
        struct stat st;
        RequestRecord r, got;
        GrantRecord g, gg;

        remove_db(path);
        /* An empty existing file is a new database (what O_CREAT gives). */
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        close(fd);

        CHECK_INT(store_open(path, &s), 0);
        if (!s)
                return;
        CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
        CHECK_INT(sql_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                             "('requests', 'grants', 'sessions')"),
                  3);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'grants_live'"), 1);

        /* The durability settings really took. */
        char mode[16] = "";
        sqlite3_stmt *q = NULL;
        CHECK_INT(sqlite3_prepare_v2(store_get_sqlite(s), "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
        if (q && sqlite3_step(q) == SQLITE_ROW)
                snprintf(mode, sizeof mode, "%s", (const char *) sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
        CHECK_STR(mode, "wal");
        CHECK_INT(sql_int(s, "PRAGMA synchronous"), 2); /* FULL */
        CHECK_INT(sql_int(s, "PRAGMA foreign_keys"), 1);

        /* Only its owner may read who holds root. */
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0600);

        r = make_request("r0000000000000001", "alice", JIT_ACTION_LOGIN, 1000, 1900);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_insert_request(s, &r), -EEXIST);
        g = make_grant("g0000000000000001", "alice", JIT_ACTION_SUDO, 1000, 5000);
        g.breakglass = true;
        CHECK_INT(store_insert_grant(s, &g), 0);
        CHECK_INT(store_insert_grant(s, &g), -EEXIST);
        store_close(s);

        /* The WAL file is part of the database: it is not group/world readable either. */
        s = NULL;
        CHECK_INT(store_open(path, &s), 0);
        if (!s)
                return;
        CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
        CHECK_INT(store_get_request(s, "r0000000000000001", &got), 0);
        CHECK_STR(got.user, "alice");
        CHECK_INT(got.action, JIT_ACTION_LOGIN);
        CHECK_STR(got.service, "sshd");
        CHECK_STR(got.rhost, "192.0.2.7");
        CHECK_STR(got.reason, "deploy hotfix");
        CHECK_STR(got.match_code, "482-913");
        CHECK_INT(got.state, REQUEST_PENDING);
        CHECK_INT(got.duration_sec, 3600);
        CHECK_INT(got.created_at, 1000);
        CHECK_INT(got.expires_at, 1900);
        CHECK_INT(store_get_grant(s, "g0000000000000001", &gg), 0);
        CHECK_STR(gg.user, "alice");
        CHECK_STR(gg.request_id, ""); /* break-glass: no request */
        CHECK(gg.breakglass);
        CHECK_INT(gg.action, JIT_ACTION_SUDO);
        CHECK_INT(gg.expires_at, 5000);
        CHECK_INT(store_get_request(s, "r0000000000000009", &got), -ENOENT);
        CHECK_INT(store_get_grant(s, "g0000000000000009", &gg), -ENOENT);

        char wal[600];
        snprintf(wal, sizeof wal, "%s-wal", path);
        if (stat(wal, &st) >= 0)
                CHECK_INT(st.st_mode & 077, 0);
        store_close(s);
}

static void write_file(const char *path, const void *data, size_t n) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        CHECK_INT(write(fd, data, n), (long long) n);
        close(fd);
}

static off_t file_size(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 ? -1 : st.st_size;
}

static void make_raw_db(const char *path, const char *sql) {
        sqlite3 *db = NULL;

        remove_db(path);
        CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
        CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
}

/* Damaged files: garbage, a database cut short or scribbled over. */
static void test_refuse_damaged_files(void) {
        Store *s = NULL;
        const char *path;

        /* Garbage: not a database at all. It must stay as it was. */
        path = tmp_path("garbage.db");
        remove_db(path);
        char junk[8192];
        for (size_t i = 0; i < sizeof junk; i++)
                junk[i] = (char) (i * 7 + 13);
        write_file(path, junk, sizeof junk);
        CHECK_INT(store_open(path, &s), -EIO);
        CHECK(s == NULL);
        CHECK_INT(file_size(path), (long long) sizeof junk);

        /* A real jitd database cut short (a full disk, a bad copy). */
        path = tmp_path("truncated.db");
        s = open_fresh("truncated.db");
        if (s) {
                CHECK_INT(sql_exec(s, "BEGIN"), SQLITE_OK);
                for (int i = 0; i < 3000; i++) {
                        char id[32];
                        snprintf(id, sizeof id, "r%016d", i);
                        RequestRecord r = make_request(id, "alice", JIT_ACTION_LOGIN, 1000 + i, 99999);
                        CHECK_INT(store_insert_request(s, &r), 0);
                }
                CHECK_INT(sql_exec(s, "COMMIT"), SQLITE_OK);
                store_close(s);
                s = NULL;
        }
        off_t full = file_size(path);
        CHECK(full > 64 * 1024);
        CHECK_INT(truncate(path, full / 2), 0);
        CHECK_INT(store_open(path, &s), -EIO);
        CHECK(s == NULL);
        CHECK_INT(file_size(path), (long long) (full / 2));

        /* A healthy header with a damaged page in the middle. */
        path = tmp_path("scribbled.db");
        s = open_fresh("scribbled.db");
        if (s) {
                CHECK_INT(sql_exec(s, "BEGIN"), SQLITE_OK);
                for (int i = 0; i < 3000; i++) {
                        char id[32];
                        snprintf(id, sizeof id, "g%016d", i);
                        GrantRecord g = make_grant(id, "bob", JIT_ACTION_SUDO, 1000 + i, 99999);
                        CHECK_INT(store_insert_grant(s, &g), 0);
                }
                CHECK_INT(sql_exec(s, "COMMIT"), SQLITE_OK);
                store_close(s);
                s = NULL;
        }
        full = file_size(path);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        if (fd >= 0) {
                char junk2[4096];
                memset(junk2, 0x5a, sizeof junk2);
                CHECK_INT(pwrite(fd, junk2, sizeof junk2, (full / 4096 / 2) * 4096), (long long) sizeof junk2);
                close(fd);
        }
        CHECK_INT(store_open(path, &s), -EIO);
        CHECK(s == NULL);
}

/* Files that are sound but not ours to open: another program's database,
 * a newer jitd's, a symlink, a missing directory. */
static void test_refuse_foreign_files(void) {
        Store *s = NULL;
        const char *path;

        /* Somebody else's SQLite database: not silently adopted. */
        path = tmp_path("foreign.db");
        make_raw_db(path, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);");
        CHECK_INT(store_open(path, &s), -EIO);
        CHECK(s == NULL);

        /* From a newer jitd: refused, and left untouched for that jitd. */
        path = tmp_path("newer.db");
        {
                char sql[256];

                snprintf(sql, sizeof sql,
                         "PRAGMA application_id = 1246318660; PRAGMA user_version = %d;"
                         "CREATE TABLE future (x INTEGER);",
                         STORE_SCHEMA_VERSION + 1);
                make_raw_db(path, sql);
        }
        CHECK_INT(store_open(path, &s), -EPROTONOSUPPORT);
        CHECK(s == NULL);
        sqlite3 *db = NULL;
        CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
        sqlite3_stmt *st = NULL;
        CHECK_INT(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
        CHECK_INT(sqlite3_step(st), SQLITE_ROW);
        CHECK_INT(sqlite3_column_int(st, 0), STORE_SCHEMA_VERSION + 1);
        sqlite3_finalize(st);
        sqlite3_close(db);

        /* A symlink is not followed (someone could point it at a file of theirs). */
        path = tmp_path("link.db");
        remove_db(path);
        CHECK_INT(symlink(tmp_path("create.db"), path), 0);
        CHECK(store_open(path, &s) < 0);
        CHECK(s == NULL);
        unlink(path);

        /* The directory must exist; we do not create it. */
        CHECK_INT(store_open(tmp_path("no-such-dir/x.db"), &s), -ENOENT);
        CHECK_INT(store_open(NULL, &s), -EINVAL);
}

int main(void) {
        if (!store_test_begin("test_store"))
                return EXIT_FAILURE;

        test_state_strings();
        test_create_and_reopen();
        test_refuse_damaged_files();
        test_refuse_foreign_files();
        test_migration_with_data();
        test_migration_checks_foreign_keys();

        return store_test_end("test_store");
}
